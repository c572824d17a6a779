"""The tenders API: the seal on every route that could show a price, the error format, paging, and a whole run."""

import re
from datetime import timedelta

from tenders import services
from tests.factories import api_token, sign_in
from tests.tenders.conftest import CLARIFICATIONS, SUBMISSIONS

PRICES = ("24.0000", "19.5000", "21.0000", "25.0000", "£24", "£19.50", "£21", "£25")


def _no_price(text: str) -> bool:
    return not any(price in text for price in PRICES)


def test_no_route_shows_a_price_before_the_opening(tendering, client):
    """Every page and endpoint a secretary, an admin, an evaluator or the other bidder could open shows no
    price until the tender is opened; the same routes show them afterwards (so the check can fail)."""
    w = tendering.world
    t = tendering.tender
    services.publish(w.secretary, t)
    services.name_evaluators(w.secretary, t, [w.member_user.id, tendering.evaluator.id])
    tendering.bid(w.supplier_user, [(1, "25.00"), (100, "21.00")], delivery=1500)
    tendering.bid(tendering.rival_user, [(1, "24.00"), (100, "19.50")], delivery=2000)
    from kernel.extensions import db

    db.session.commit()
    base = f"/api/v1/tenders/{t.id}"
    api_reads = [base, f"{base}/bids", f"{base}/comparison", f"{base}/trail", f"{base}/clarifications"]
    pages = [f"/tenders/{t.id}", f"/tenders/{t.id}/comparison", f"/tenders/{t.id}/trail", f"/tenders/{t.id}/trail.csv"]

    def looks(person, opened: bool) -> list[str]:
        shown = []
        headers = api_token(person)
        for url in api_reads:
            response = client.get(url, headers=headers)
            if url.endswith(("/bids", "/comparison")) and not opened and person is not tendering.rival_user:
                assert response.status_code in (403, 409), (url, response.status_code)
                if response.status_code == 409:
                    assert "sealed" in response.json["error"]["message"]
            shown.append(response.get_data(as_text=True))
        client.get("/sign-out")
        sign_in(client, person)
        for url in pages:
            shown.append(client.get(url).get_data(as_text=True))
        client.post("/sign-out")
        return shown

    for person in (w.secretary, w.admin, w.member_user, tendering.evaluator):
        assert all(_no_price(text) for text in looks(person, opened=False)), person.email
    rival_sees = "".join(looks(tendering.rival_user, opened=False))
    assert "24.0000" in rival_sees or "£24" in rival_sees  # its own bid
    assert "25.0000" not in rival_sees and "£25" not in rival_sees  # never its competitor's

    tendering.at(SUBMISSIONS + timedelta(minutes=1))
    services.open_bids(w.secretary, tendering.reload())
    db.session.commit()
    assert not all(_no_price(text) for text in looks(w.secretary, opened=True))
    assert not all(_no_price(text) for text in looks(tendering.evaluator, opened=True))


def test_a_tender_runs_over_the_api_from_a_pool_to_award(tendering, client):
    w = tendering.world
    secretary, rival = api_token(w.secretary), api_token(tendering.rival_user)
    body = {
        "title": "Paper by API",
        "category_id": tendering.pool.offer.category_id,
        "consortium_id": w.consortium.id,
        "specification": "A4.\nFSC.",
        "clarification_deadline": CLARIFICATIONS.isoformat(),
        "submission_deadline": SUBMISSIONS.isoformat(),
        "lots": [{"pool_id": tendering.pool.id}],
        "price_weight": 100,
        "quality_weight": 0,
        "minimum_valid_bids": 1,
        "standstill_days": 0,
        "supplier_ids": [tendering.rival.id],
    }
    created = client.post("/api/v1/tenders", headers=secretary, json=body)
    assert created.status_code == 201, created.json
    tender_id, lot = created.json["id"], created.json["lots"][0]
    assert (lot["forecast_quantity"], lot["pool_id"]) == (300, tendering.pool.id)
    base = f"/api/v1/tenders/{tender_id}"
    assert client.get(base, headers=rival).status_code == 404  # a draft is its secretary's
    assert client.post(f"{base}/publish", headers=secretary).json["status"] == "published"
    bid = {"tiers": [{"min_quantity": 1, "unit_price": "23.5"}, {"min_quantity": 250, "unit_price": "20.1"}]}
    made = client.put(f"{base}/lots/{lot['id']}/bid", headers=rival, json=bid)
    assert made.status_code == 200, made.json
    assert made.json["tiers"][1] == {"min_quantity": 250, "unit_price": "20.1000"}
    bad = client.put(
        f"{base}/lots/{lot['id']}/bid", headers=rival, json={"tiers": [{"min_quantity": 5, "unit_price": "nope"}]}
    )
    assert bad.status_code == 422 and "tiers.0.unit_price" in bad.json["error"]["fields"]
    rising = client.put(
        f"{base}/lots/{lot['id']}/bid",
        headers=rival,
        json={"tiers": [{"min_quantity": 1, "unit_price": "2"}, {"min_quantity": 9, "unit_price": "3"}]},
    )
    assert rising.status_code == 422 and "must not rise" in rising.json["error"]["fields"]["tiers"][0]
    assert client.post(f"{base}/open", headers=secretary).status_code == 409
    tendering.at(SUBMISSIONS)
    names = {"user_ids": [w.member_user.id, tendering.evaluator.id]}
    assert client.put(f"{base}/evaluators", headers=secretary, json=names).status_code == 200
    assert client.post(f"{base}/open", headers=secretary).json["status"] == "opened"
    compared = client.get(f"{base}/comparison", headers=secretary).json["lots"][0]
    assert compared["quantities"] == [225, 300, 375]
    assert compared["bids"][0]["net_pence"] == [225 * 2350, 300 * 2010, 375 * 2010]
    assert compared["bids"][0]["gross_pence"][1] == 300 * 2010 * 6 // 5
    assert (
        client.get(f"{base}/comparison", headers=api_token(tendering.evaluator)).json["lots"][0]["bids"][0]["rank"]
        is None
    )
    bid_id = compared["bids"][0]["bid_id"]
    for person in (w.member_user, tendering.evaluator):
        scored = client.put(f"{base}/bids/{bid_id}/score", headers=api_token(person), json={"quality": 55})
        assert scored.status_code == 200
    assert client.put(f"{base}/bids/{bid_id}/score", headers=secretary, json={"quality": 5}).status_code == 403
    for step, state in (("evaluate", "evaluated"), ("propose-award", "award_proposed"), ("standstill", "standstill")):
        assert client.post(f"{base}/{step}", headers=secretary).json["status"] == state
    awarded = client.post(f"{base}/award", headers=secretary)
    assert awarded.json["status"] == "awarded" and awarded.json["lots"][0]["awarded_offer_id"]
    trail = client.get(f"{base}/trail?per_page=3", headers=secretary).json
    assert trail["total"] > 10 and len(trail["items"]) == 3 and trail["items"][0]["action"] == "drafted"


def test_bad_input_is_a_422_naming_the_fields_never_a_500(tendering, client):
    w = tendering.world
    headers = api_token(w.secretary)
    response = client.post(
        "/api/v1/tenders",
        headers=headers,
        json={"title": "", "category_id": 2**40, "consortium_id": w.consortium.id, "lots": []},
    )
    assert response.status_code == 422
    assert {"title", "category_id", "lots", "specification"} <= set(response.json["error"]["fields"])
    base = f"/api/v1/tenders/{tendering.tender.id}"
    assert client.post(f"{base}/cancel", headers=headers, json={}).status_code == 422  # a reason is needed
    assert client.put(f"{base}/evaluators", headers=headers, json={"user_ids": [1]}).status_code == 422


def test_the_trail_page_and_csv_name_who_did_what(tendering, client):
    w = tendering.world
    services.publish(w.secretary, tendering.tender)
    from kernel.extensions import db

    db.session.commit()
    sign_in(client, w.secretary)
    page = client.get(f"/tenders/{tendering.tender.id}/trail").get_data(as_text=True)
    assert "Sam Secretary" in page and "published" in page
    csv = client.get(f"/tenders/{tendering.tender.id}/trail.csv")
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).splitlines()
    assert lines[0].lstrip("\ufeff").startswith("When,Who,What")
    assert any(re.search(r"Sam Secretary,published", line) for line in lines)


def test_the_new_tender_page_saves_a_draft_from_a_pool_and_puts_errors_beside_their_fields(tendering, client):
    w = tendering.world
    sign_in(client, w.secretary)
    form = {
        "title": "Paper from the form",
        "consortium_id": w.consortium.id,
        "category_id": tendering.pool.offer.category_id,
        "specification": "A4.",
        "pool_id": 0,
        "lot_name": "",
        "forecast_quantity": "",
        "vat_rate": "standard",
        "price_weight": 50,
        "quality_weight": 40,
        "social_weight": 0,
        "clarification_deadline": "2026-12-05T09:00",
        "submission_deadline": "2026-12-04T09:00",
        "minimum_valid_bids": 2,
        "standstill_days": 10,
        "supplier_ids": [w.supplier.id],
    }
    refused = client.post("/tenders/new", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "must add up to 100" in page and "must come after the clarification deadline" in page
    assert "Enter the lot" in page  # the lot's name, mapped from lots.0.name to the form's field
    saved = client.post(
        "/tenders/new",
        data=form | {"pool_id": tendering.pool.id, "price_weight": 60, "submission_deadline": "2026-12-06T09:00"},
    )
    assert saved.status_code == 302
    shown = client.get(saved.location).get_data(as_text=True)
    assert "Paper from the form" in shown and "300 reams" in shown and "Draft" in shown
