"""Tenders and frameworks: an award that makes a framework at the winning prices, and mini-competitions among a
framework's suppliers whose award places the call-off, within the framework's ceiling."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from frameworks import services as frameworks
from frameworks.models import CallOff, Framework, FrameworkStatus, Route
from kernel.clock import uk_today
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from organisations.models import Role
from tenders import services
from tenders.models import TenderStatus
from tenders.ranking import BidTier
from tests import factories
from tests.factories import api_token, sign_in
from tests.frameworks.conftest import HOURS, make_framework
from tests.tenders.conftest import SUBMISSIONS, T0, draft_for


def _bid(user, tender, lot, tiers, delivery: int = 0):
    draft = services.BidDraft([BidTier(q, Decimal(p)) for q, p in tiers], delivery, 2, [])
    return services.submit_bid(user, tender, lot.id, draft)


def in_standstill(tendering):
    """A price-only tender of two typed lots: the rival cheaper for design days, ours for leaflet boxes; opened,
    evaluated, proposed and in its standstill (no evaluators: quality weighs nothing)."""
    w = tendering.world
    draft = draft_for(
        w,
        tendering.pool,
        title="Design and print for Tayside",
        lots=[services.LotDraft("Design days", "day", 40), services.LotDraft("Leaflet boxes", "box", 100)],
        supplier_ids=[w.supplier.id, tendering.rival.id],
        price_weight=100,
        quality_weight=0,
        quality_questions=[],
    )
    tender = services.create_tender(w.secretary, draft)
    services.publish(w.secretary, tender)
    design, boxes = tender.lots
    _bid(w.supplier_user, tender, design, [(1, "400"), (20, "380")])
    _bid(tendering.rival_user, tender, design, [(1, "390"), (20, "350")])
    _bid(w.supplier_user, tender, boxes, [(1, "30")])
    _bid(tendering.rival_user, tender, boxes, [(1, "32.50")])
    db.session.commit()
    tendering.tender = tender
    tendering.at(SUBMISSIONS + timedelta(minutes=1))
    tender = tendering.reload()
    for step in (services.open_bids, services.evaluate, services.propose_award, services.start_standstill):
        step(w.secretary, tender)
    db.session.commit()
    return tender


def award_terms(**overrides) -> services.FrameworkAward:
    today = uk_today()
    values = dict(
        name="Tayside design and print",
        starts_on=today,
        ends_on=today + timedelta(days=365),
        ceiling_pence=5_000_000,
        allowance_percent=Decimal("5"),
        fee_percent=Decimal("1.5"),
        route=Route.DIRECT_AWARD,
    )
    return services.FrameworkAward(**(values | overrides))


def test_an_award_makes_a_live_framework_of_each_lots_winner_at_the_winning_tiers(tendering, client):
    w = tendering.world
    tender = in_standstill(tendering)
    with pytest.raises(Conflict, match="standstill has not ended"):
        services.award_to_framework(w.secretary, tender, award_terms())
    db.session.rollback()
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    framework = services.award_to_framework(w.secretary, tendering.reload(), award_terms())
    db.session.commit()

    assert tendering.reload().status is TenderStatus.AWARDED
    assert framework.status is FrameworkStatus.LIVE and framework.source_tender_id == tender.id
    assert framework.consortium_ids == {w.consortium.id} and framework.supplier_ids == {
        w.supplier.id,
        tendering.rival.id,
    }
    design, boxes = framework.lots
    assert (design.name, design.unit_singular, design.unit_plural, design.supplier_id) == (
        "Design days",
        "day",
        "days",
        tendering.rival.id,
    )
    assert design.rate_card == [(1, Decimal("390.0000")), (20, Decimal("350.0000"))]
    assert (boxes.unit_plural, boxes.supplier_id, boxes.rate_card) == ("boxes", w.supplier.id, [(1, Decimal("30"))])

    # A member calls off design days: from the lot's winner, at its tier for 25 days.
    placed = frameworks.place_call_off(
        w.member_user, framework_id=framework.id, lot_id=design.id, member_id=None, quantity=25
    )
    assert (placed.supplier_id, placed.unit_price, placed.net_pence) == (tendering.rival.id, Decimal(350), 875_000)

    sign_in(client, w.secretary)
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    assert f'Awarded to framework <a href="/frameworks/{framework.id}">{framework.reference}' in page
    page = client.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert f'<a href="/tenders/{tender.id}">tender {tender.id}</a>' in page
    assert "Design days (per day), from Tay Paper Works CIC" in page


def test_when_the_winner_declines_the_next_ranked_bid_goes_onto_the_framework(tendering):
    w = tendering.world
    tender = in_standstill(tendering)
    design = tender.lots[0]
    services.decline(tendering.rival_user, tender, design.id, "No designers free")
    services.start_standstill(w.secretary, tender)
    db.session.commit()
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    framework = services.award_to_framework(w.secretary, tendering.reload(), award_terms())
    db.session.commit()
    assert framework.supplier_ids == {w.supplier.id}
    assert framework.lots[0].supplier_id == w.supplier.id
    assert framework.lots[0].rate_card == [(1, Decimal("400.0000")), (20, Decimal("380.0000"))]


def test_a_tender_whose_lots_all_go_to_pools_makes_no_framework(tendering):
    w = tendering.world
    tender = tendering.scored()
    for step in (services.evaluate, services.propose_award, services.start_standstill):
        step(w.secretary, tender)
    db.session.commit()
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    with pytest.raises(Conflict, match="goes to its pool"):
        services.award_to_framework(w.secretary, tendering.reload(), award_terms())
    db.session.rollback()
    assert db.session.scalar(select(Framework.id)) is None


def test_the_award_page_and_api_make_the_framework_and_refuse_bad_terms(tendering, client):
    w = tendering.world
    tender = in_standstill(tendering)
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    sign_in(client, w.secretary)
    page = client.get(f"/tenders/{tender.id}").get_data(as_text=True)
    # The ceiling starts at the winners' cost at 25% above the forecast: 50 days x £350 + 125 boxes x £30.
    assert "Award to a framework" in page and 'value="21250.00"' in page
    refused = client.post(f"/tenders/{tender.id}/award-framework", data={"name": "", "ceiling": "0"})
    assert refused.status_code == 422
    headers = api_token(w.secretary)
    body = {
        "name": "Tayside design and print",
        "starts_on": uk_today().isoformat(),
        "ends_on": (uk_today() - timedelta(days=1)).isoformat(),
        "ceiling_pence": 2_125_000,
        "allowance_percent": "0",
        "fee_percent": "2",
        "route": "mini_competition",
    }
    bad = client.post(f"/api/v1/tenders/{tender.id}/award-framework", headers=headers, json=body)
    assert bad.status_code == 422 and "ends_on" in bad.json["error"]["fields"]
    assert tendering.reload().status is TenderStatus.STANDSTILL
    made = client.post(
        f"/api/v1/tenders/{tender.id}/award-framework",
        headers=headers,
        json=body | {"ends_on": (uk_today() + timedelta(days=700)).isoformat()},
    )
    assert made.status_code == 201, made.json
    assert made.json["status"] == "live" and made.json["route"] == "mini_competition"
    assert made.json["source_tender_id"] == tender.id
    assert [lot["supplier_id"] for lot in made.json["lots"]] == [tendering.rival.id, w.supplier.id]
    again = client.post(f"/api/v1/tenders/{tender.id}/award-framework", headers=headers, json=body)
    assert again.status_code == 409


# Mini-competitions


@pytest.fixture
def mini(tendering):
    """A live mini-competition framework of our consortium with our supplier and the rival: a ceiling of £10,000
    and a 10% allowance."""
    w = tendering.world
    return make_framework(w, route=Route.MINI_COMPETITION, supplier_ids=[w.supplier.id, tendering.rival.id])


def mini_draft(tendering, framework, quantity: int, start=T0, **overrides) -> services.MiniCompetitionDraft:
    values = dict(
        framework_id=framework.id,
        lot_id=framework.lots[0].id,
        member_id=None,
        quantity=quantity,
        category_id=tendering.pool.offer.category_id,
        specification="A launch campaign in March.",
        clarification_deadline=start + timedelta(hours=1),
        submission_deadline=start + timedelta(hours=2),
    )
    return services.MiniCompetitionDraft(**(values | overrides))


def run_to_standstill(tendering, tender, runner, ours: str, theirs: str):
    w = tendering.world
    lot = tender.lots[0]
    _bid(w.supplier_user, tender, lot, [(1, "65"), (20, ours)])
    _bid(tendering.rival_user, tender, lot, [(1, "66"), (25, theirs)])
    db.session.commit()
    tendering.tender = tender
    tendering.at(tender.submission_deadline + timedelta(minutes=1))
    tender = tendering.reload()
    for step in (services.open_bids, services.evaluate, services.propose_award, services.start_standstill):
        step(runner, tender)
    db.session.commit()
    return tender


def test_a_member_runs_a_mini_competition_whose_award_places_its_call_off_within_the_ceiling(tendering, mini):
    w = tendering.world
    tender = services.start_mini_competition(w.member_user, mini_draft(tendering, mini, 30))
    db.session.commit()
    assert tender.status is TenderStatus.PUBLISHED and tender.is_mini_competition
    assert {s.id for s in tender.invited} == {w.supplier.id, tendering.rival.id}
    assert (tender.consortium_id, tender.call_off_member_id, tender.lots[0].unit) == (
        w.consortium.id,
        w.member.id,
        "hour",
    )
    with pytest.raises(ValidationFailed) as delivery:
        _bid(w.supplier_user, tender, tender.lots[0], [(1, "65")], delivery=500)
    assert "delivery_charge_pence" in delivery.value.fields
    db.session.rollback()
    # Another member's people neither see nor run it.
    outsider = factories.user(None, (Role.MEMBER, tendering.second_member.id))
    with pytest.raises(NotFound):
        services.tender_for(outsider, tender.id)

    # 30 hours: ours at £58 = £1,740; the rival's £52 from 25 hours = £1,560, cheaper. No standstill is set.
    tender = run_to_standstill(tendering, tender, w.member_user, ours="58", theirs="52")
    services.award(w.member_user, tender)
    db.session.commit()
    tender = tendering.reload()
    assert tender.status is TenderStatus.AWARDED
    call_off = db.session.get(CallOff, tender.call_off_id)
    assert (call_off.supplier_id, call_off.member_id, call_off.quantity) == (tendering.rival.id, w.member.id, 30)
    assert (call_off.unit_price, call_off.net_pence) == (Decimal(52), 156_000)
    assert db.session.get(Framework, mini.id).consumed_pence == 156_000


def test_a_mini_competition_award_past_the_ceiling_is_refused_and_the_tender_waits(tendering, mini):
    w = tendering.world
    # 200 hours at £52 = £10,400, and the first £1,560: past £10,000 plus 10%.
    first = services.start_mini_competition(w.secretary, mini_draft(tendering, mini, 30, member_id=w.member.id))
    db.session.commit()
    run_to_standstill(tendering, first, w.secretary, ours="58", theirs="52")
    services.award(w.secretary, tendering.reload())
    db.session.commit()
    later = T0 + timedelta(hours=3)
    second = services.start_mini_competition(w.member_user, mini_draft(tendering, mini, 200, start=later))
    db.session.commit()
    tender = run_to_standstill(tendering, second, w.member_user, "58", "52")
    with pytest.raises(Conflict, match="ceiling"):
        services.award(w.member_user, tender)
    db.session.rollback()
    tender = tendering.reload()
    assert tender.status is TenderStatus.STANDSTILL and tender.call_off_id is None
    assert db.session.get(Framework, mini.id).consumed_pence == 156_000


def test_a_direct_award_framework_takes_no_mini_competition(tendering):
    w = tendering.world
    direct = make_framework(w, lots=[HOURS])
    with pytest.raises(Conflict, match="placed directly"):
        services.start_mini_competition(w.member_user, mini_draft(tendering, direct, 5))


def test_the_mini_competition_page_and_api(tendering, mini, client):
    w = tendering.world
    sign_in(client, w.member_user)
    page = client.get(f"/frameworks/{mini.id}").get_data(as_text=True)
    assert "Start a mini-competition" in page
    form = client.get(f"/tenders/mini-competitions/{mini.id}")
    assert form.status_code == 200 and "Publish the mini-competition" in form.get_data(as_text=True)
    data = {
        "lot_id": mini.lots[0].id,
        "member_id": w.member.id,
        "quantity": "",
        "category_id": tendering.pool.offer.category_id,
        "specification": "A launch campaign.",
        "clarification_deadline": "2026-12-04T10:00",
        "submission_deadline": "2026-12-05T10:00",
        "price_weight": 100,
        "quality_weight": 0,
        "minimum_valid_bids": 1,
        "standstill_days": 0,
    }
    assert client.post(f"/tenders/mini-competitions/{mini.id}", data=data).status_code == 422
    made = client.post(f"/tenders/mini-competitions/{mini.id}", data=data | {"quantity": "12"})
    assert made.status_code == 302
    page = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "A mini-competition under" in page and "12 hours of Marketing and PR support" in page
    direct = make_framework(w)
    assert client.get(f"/tenders/mini-competitions/{direct.id}").status_code == 409

    headers = api_token(w.member_user)
    body = {
        "lot_id": mini.lots[0].id,
        "quantity": 8,
        "category_id": tendering.pool.offer.category_id,
        "specification": "Press releases.",
        "clarification_deadline": "2026-12-04T10:00:00+00:00",
        "submission_deadline": "2026-12-05T10:00:00+00:00",
    }
    started = client.post(f"/api/v1/frameworks/{mini.id}/mini-competitions", headers=headers, json=body)
    assert started.status_code == 201, started.json
    assert started.json["framework_id"] == mini.id and started.json["call_off_quantity"] == 8
    assert started.json["status"] == "published" and started.json["price_weight"] == 100
    bad = client.post(f"/api/v1/frameworks/{mini.id}/mini-competitions", headers=headers, json=body | {"quantity": 0})
    assert bad.status_code == 422 and "quantity" in bad.json["error"]["fields"]
    supplier = client.post(
        f"/api/v1/frameworks/{mini.id}/mini-competitions", headers=api_token(w.supplier_user), json=body
    )
    assert supplier.status_code == 403
