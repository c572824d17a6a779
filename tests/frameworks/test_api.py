"""Frameworks and call-offs over JSON: the shapes, the error format, paging and CSV."""

from datetime import timedelta
from decimal import Decimal

from frameworks import services
from frameworks.terms import add_months
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token
from tests.frameworks.conftest import call_off, make_framework


def _body(world, **overrides):
    today = uk_today()
    return {
        "name": "Tayside design services",
        "consortium_ids": [world.consortium.id],
        "supplier_ids": [world.supplier.id],
        "lots": [
            {
                "name": "Graphic design",
                "unit_singular": "day",
                "unit_plural": "days",
                "tiers": [{"min_quantity": 1, "unit_price": "420.00"}, {"min_quantity": 10, "unit_price": "390.5"}],
            }
        ],
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "extensions_allowed": 2,
        "extension_months": 12,
        "ceiling_pence": 5_000_000,
        "allowance_percent": "5",
        "fee_percent": "1.5",
        "route": "direct_award",
    } | overrides


def test_a_secretary_creates_edits_and_makes_a_framework_live(client, world):
    headers = api_token(world.secretary)
    created = client.post("/api/v1/frameworks", json=_body(world), headers=headers)
    assert created.status_code == 201, created.get_json()
    framework = created.get_json()
    assert framework["status"] == "draft" and framework["reference"] == "FW-TAY-0001"
    assert framework["lots"][0]["tiers"][1] == {"min_quantity": 10, "unit_price": "390.5000"}
    assert (framework["allowance_percent"], framework["fee_percent"]) == ("5.00", "1.50")
    assert framework["remaining_pence"] == 5_250_000
    url = f"/api/v1/frameworks/{framework['id']}"
    edited = client.put(
        url, json=_body(world, name="Tayside design and print", ceiling_pence=6_000_000), headers=headers
    )
    assert edited.status_code == 200 and edited.get_json()["ceiling_pence"] == 6_000_000
    assert client.post(f"{url}/live", headers=headers).get_json()["status"] == "live"
    again = client.put(url, json=_body(world), headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == "Only a draft framework can be edited; this one is live."
    extended = client.post(f"{url}/extensions", headers=headers)
    assert extended.status_code == 201
    assert extended.get_json()["to_ends_on"] == add_months(uk_today() + timedelta(days=365), 12).isoformat()
    ended = client.post(f"{url}/end", json={"reason": "Supplier ceased trading"}, headers=headers)
    assert ended.get_json()["status"] == "ended" and ended.get_json()["end_reason"] == "Supplier ceased trading"


def test_bad_terms_are_422_with_field_messages_and_others_consortia_403(client, world):
    headers = api_token(world.secretary)
    bad = client.post(
        "/api/v1/frameworks",
        json=_body(
            world,
            lots=[
                {
                    "name": "x",
                    "unit_singular": "day",
                    "unit_plural": "days",
                    "tiers": [{"min_quantity": 2, "unit_price": "1"}],
                }
            ],
        ),
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["fields"] == {
        "lots.0.tiers": ["The first tier starts at quantity 1, so every call-off has a price."]
    }
    theirs = client.post(
        "/api/v1/frameworks", json=_body(world, consortium_ids=[world.other_consortium.id]), headers=headers
    )
    assert theirs.status_code == 403
    national = client.post("/api/v1/frameworks", json=_body(world, consortium_ids=[]), headers=headers)
    assert national.status_code == 403
    assert (
        client.post(
            "/api/v1/frameworks", json=_body(world, consortium_ids=[]), headers=api_token(world.admin)
        ).status_code
        == 201
    )


def test_members_call_off_and_the_ceiling_answers_409(client, world):
    framework = make_framework(world, ceiling_pence=10_000, allowance_percent=Decimal(0))
    headers = api_token(world.member_user)
    url = f"/api/v1/frameworks/{framework.id}/call-offs"
    lot_id = framework.lots[0].id
    placed = client.post(url, json={"lot_id": lot_id, "quantity": 1}, headers=headers)
    assert placed.status_code == 201
    assert {k: placed.get_json()[k] for k in ("number", "unit_price", "net_pence", "fee_pence", "status")} == {
        "number": "FW-TAY-0001-0001",
        "unit_price": "65.0000",
        "net_pence": 6500,
        "fee_pence": 163,
        "status": "placed",
    }
    refused = client.post(url, json={"lot_id": lot_id, "quantity": 1}, headers=headers)
    assert refused.status_code == 409
    assert refused.get_json()["error"] == {
        "code": "conflict",
        "message": "This call-off of £65.00 would take the framework past its ceiling with the allowance: "
        "£35.00 is left to call off.",
        "fields": {},
    }
    listed = client.get(url, headers=headers).get_json()
    assert (listed["total"], listed["items"][0]["member_name"]) == (1, "Re-Tweed Dundee CIC")
    assert client.post(url, json={"lot_id": lot_id, "quantity": 0}, headers=headers).status_code == 422
    assert (
        client.post(url, json={"lot_id": lot_id, "quantity": 1}, headers=api_token(world.supplier_user)).status_code
        == 403
    )


def test_supplier_confirms_and_delivers_secretary_invoices(client, world, framework):
    made = call_off(world, framework, 2)
    supplier, secretary = api_token(world.supplier_user), api_token(world.secretary)
    base = f"/api/v1/call-offs/{made.id}"
    assert client.post(f"{base}/invoice", headers=secretary).status_code == 409
    assert client.post(f"{base}/confirm", headers=supplier).get_json()["status"] == "confirmed"
    assert client.post(f"{base}/confirm", headers=supplier).status_code == 409
    assert client.post(f"{base}/deliver", headers=supplier).get_json()["status"] == "delivered"
    assert client.post(f"{base}/invoice", headers=supplier).status_code == 403
    invoiced = client.post(f"{base}/invoice", headers=secretary).get_json()
    assert invoiced["status"] == "invoiced" and invoiced["invoice_id"] is not None
    invoice = client.get(f"/api/v1/invoices/{invoiced['invoice_id']}", headers=api_token(world.member_user))
    assert invoice.status_code == 200 and invoice.get_json()["total_pence"] == 13_000


def test_consumption_as_json_and_csv(client, world, framework):
    call_off(world, framework, 3)
    delivered = call_off(world, framework, 20)
    services.deliver(world.supplier_user, delivered.id)
    db.session.commit()
    url = f"/api/v1/frameworks/{framework.id}/consumption"
    body = client.get(url, headers=api_token(world.secretary)).get_json()
    assert (body["ordered_pence"], body["limit_pence"], body["remaining_pence"]) == (136_500, 1_100_000, 963_500)
    assert body["lots"][0] | {"id": 0} == {
        "id": 0,
        "name": "Marketing and PR support",
        "units": 23,
        "ordered_pence": 136_500,
        "delivered_pence": 117_000,
        "invoiced_pence": 0,
    }
    assert [m["name"] for m in body["members"]] == ["Re-Tweed Dundee CIC"] and body["total"] == 1
    csv = client.get(url, headers=api_token(world.secretary) | {"Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).removeprefix("\ufeff").splitlines() == [
        "by,name,units,ordered_pence,delivered_pence,invoiced_pence",
        "lot,Marketing and PR support,23,136500,117000,0",
        "member,Re-Tweed Dundee CIC,23,136500,117000,0",
    ]


def test_other_consortia_do_not_see_the_framework(client, world, framework):
    lothians = factories.user(None, (Role.MEMBER, world.other_member.id))
    assert client.get(f"/api/v1/frameworks/{framework.id}", headers=api_token(lothians)).status_code == 404
    assert client.get("/api/v1/frameworks", headers=api_token(lothians)).get_json()["total"] == 0
    assert client.get("/api/v1/frameworks", headers=api_token(world.member_user)).get_json()["total"] == 1
