"""Rebates in the browser's terms (pages) and over the JSON API, for each role."""

from decimal import Decimal

from kernel.clock import uk_today
from kernel.extensions import db
from rebates import cli
from rebates.models import RebateAgreement, RebateShare, RebateStatus
from tests.factories import api_token, sign_in
from tests.rebates.conftest import agreement, invoiced_order, second_member, tomorrow


def _form(world, **overrides) -> dict:
    today = uk_today()
    values = {
        "name": "Paper rebate 2026",
        "supplier_id": str(world.supplier.id),
        "consortium_id": str(world.consortium.id),
        "network_id": "",
        "category_id": "",
        "basis": "spend",
        "method": "graduated",
        "period_start": f"{today.replace(day=1):%Y-%m-%d}",
        "period_end": f"{today:%Y-%m-%d}",
        "tiers": "0, 1\n£10,000, 2.5",
        "share_route": "credit_note",
        "retention_percent": "0",
        "retention_note": "",
    }
    return values | overrides


def test_a_secretary_makes_an_agreement_from_the_form(client, world):
    sign_in(client, world.secretary)
    assert "Make a rebate agreement" in client.get("/rebates/new").get_data(as_text=True)
    response = client.post("/rebates/new", data=_form(world))
    assert response.status_code == 302
    made = db.session.scalar(db.select(RebateAgreement))
    assert [(t.threshold, t.rate) for t in made.tiers] == [(0, Decimal("1")), (1_000_000, Decimal("2.5"))]
    page = client.get(response.location).get_data(as_text=True)
    assert "Paper rebate 2026" in page and "£10,000.00" in page and "2.5%" in page


def test_bad_tiers_are_shown_beside_the_field(client, world):
    sign_in(client, world.secretary)
    response = client.post("/rebates/new", data=_form(world, tiers="0, 5\n100, 2"))
    assert response.status_code == 422
    assert "A higher tier never pays a lower rate." in response.get_data(as_text=True)
    response = client.post("/rebates/new", data=_form(world, tiers="lots, of"))
    assert "Line 1: the threshold and the rate are numbers." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(RebateAgreement)) == 0


def _claimed(world):
    neighbour = second_member(world)
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 30), (neighbour, 10)])
    made = agreement(world)
    cli.claim_due(tomorrow())
    return made, neighbour


def test_claimed_received_and_shared_through_the_pages(app, client, world):
    made, neighbour = _claimed(world)
    sign_in(client, world.secretary)
    page = client.get(f"/rebates/{made.id}").get_data(as_text=True)
    assert "£8.00" in page and neighbour.name in page  # 2% of £400, and each member's spend
    form = {"amount": "8.00", "received_on": f"{uk_today():%Y-%m-%d}", "reference": "BACS 77"}
    assert (
        client.post(
            f"/rebates/{made.id}/retention", data={"retention_percent": "25", "retention_note": "AGM vote"}
        ).status_code
        == 302
    )
    assert client.post(f"/rebates/{made.id}/received", data=form).status_code == 302
    assert client.post(f"/rebates/{made.id}/share").status_code == 302
    db.session.expire_all()
    shares = {s.member_id: s.share_pence for s in db.session.scalars(db.select(RebateShare))}
    assert shares == {world.member.id: 450, neighbour.id: 150}  # £6 after 25% kept, 3:1
    page = client.get(f"/rebates/{made.id}").get_data(as_text=True)
    assert "Shared" in page and "£2.00" in page  # kept by the consortium
    member = app.test_client()
    sign_in(member, world.member_user)
    mine = member.get("/rebates/shares").get_data(as_text=True)
    assert "£4.50" in mine and "credit note" in mine and "£1.50" not in mine


def test_a_bad_amount_received_is_a_form_error(client, world):
    made, _ = _claimed(world)
    sign_in(client, world.secretary)
    response = client.post(f"/rebates/{made.id}/received", data={"amount": "-1", "received_on": "", "reference": ""})
    assert response.status_code == 422 and "Enter the date." in response.get_data(as_text=True)
    assert db.session.get(RebateAgreement, made.id).status is RebateStatus.CLAIMED


def test_the_supplier_sees_its_claim_by_consortium_not_by_member(client, world):
    made, neighbour = _claimed(world)
    sign_in(client, world.supplier_user)
    page = client.get(f"/rebates/{made.id}").get_data(as_text=True)
    assert "£400.00" in page and neighbour.name not in page and "Record received" not in page
    claim = client.get(f"/rebates/{made.id}/claim").get_data(as_text=True)
    assert "Rebate claimed" in claim and "£8.00" in claim
    pdf = client.get(f"/rebates/{made.id}/claim.pdf")
    assert pdf.data.startswith(b"%PDF") and pdf.headers["Content-Disposition"].startswith("attachment")
    csv = client.get(f"/rebates/{made.id}/claim.csv").get_data(as_text=True)
    assert csv.splitlines()[1] == f"{world.consortium.name},2,40000,40"


def test_the_api_makes_claims_and_shares(client, world):
    made, _ = _claimed(world)
    secretary = api_token(world.secretary)
    body = client.get(f"/api/v1/rebates/{made.id}", headers=secretary).get_json()
    assert (body["rebate_pence"], body["status"], body["claim"][0]["spend_pence"]) == (800, "claimed", 40_000)
    received = {"amount_pence": 800, "received_on": f"{uk_today():%Y-%m-%d}", "reference": "BACS 77"}
    assert client.post(f"/api/v1/rebates/{made.id}/received", json=received, headers=secretary).status_code == 200
    assert client.post(f"/api/v1/rebates/{made.id}/received", json=received, headers=secretary).status_code == 409
    assert client.post(f"/api/v1/rebates/{made.id}/share", headers=secretary).get_json()["retained_pence"] == 0
    shares = client.get(f"/api/v1/rebates/{made.id}/shares?per_page=1", headers=secretary).get_json()
    assert shares["total"] == 2 and len(shares["items"]) == 1 and shares["items"][0]["share_pence"] == 600
    mine = client.get("/api/v1/rebates/shares", headers=api_token(world.member_user)).get_json()
    assert [(s["share_pence"], s["route"]) for s in mine["items"]] == [(600, "credit_note")]
    listed = client.get("/api/v1/rebates?status=shared", headers=api_token(world.supplier_user)).get_json()
    assert [a["id"] for a in listed["items"]] == [made.id]


def test_the_api_names_bad_fields(client, world):
    secretary = api_token(world.secretary)
    body = {
        "name": "Paper",
        "supplier_id": world.supplier.id,
        "consortium_id": world.consortium.id,
        "basis": "spend",
        "method": "retrospective",
        "period_start": "2026-01-01",
        "period_end": "2025-12-31",
        "tiers": [{"threshold": 0, "rate": "5"}, {"threshold": 100, "rate": "2"}],
    }
    response = client.post("/api/v1/rebates", json=body, headers=secretary)
    assert response.status_code == 422 and "period_end" in response.get_json()["error"]["fields"]
    response = client.post("/api/v1/rebates", json=body | {"period_end": "2026-12-31"}, headers=secretary)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"tiers": ["A higher tier never pays a lower rate."]}
    for rate in ("NaN", "lots", "1e400"):
        bad = client.post(
            "/api/v1/rebates",
            json=body | {"period_end": "2026-12-31", "tiers": [{"threshold": 0, "rate": rate}]},
            headers=secretary,
        )
        assert bad.status_code == 422 and "tiers" in bad.get_json()["error"]["fields"], rate
    national = body | {"period_end": "2026-12-31", "consortium_id": None, "tiers": [{"threshold": 0, "rate": "2"}]}
    assert client.post("/api/v1/rebates", json=national, headers=secretary).status_code == 403
    made = client.post("/api/v1/rebates", json=national, headers=api_token(world.admin))
    assert made.status_code == 201 and made.get_json()["consortium_id"] is None


def test_an_active_agreement_is_cancelled_with_a_reason_and_never_claimed(client, world):
    made = agreement(world)
    sign_in(client, world.secretary)
    assert client.post(f"/rebates/{made.id}/cancel", data={"reason": ""}).status_code == 422
    assert client.post(f"/rebates/{made.id}/cancel", data={"reason": "Supplier went under"}).status_code == 302
    assert cli.claim_due(tomorrow()).claimed == []
    body = client.post(
        f"/api/v1/rebates/{made.id}/cancel", json={"reason": "Again"}, headers=api_token(world.secretary)
    )
    assert body.status_code == 409
    page = client.get(f"/rebates/{made.id}").get_data(as_text=True)
    assert "Cancelled: Supplier went under" in page
