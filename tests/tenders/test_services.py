"""A tender from a pool's forecast to an award that opens the pool at the winning tiers, and the ways it can end."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from orders import services as orders_services
from orders.models import Pool, PoolPriceChange, PoolStatus
from orders.prices import pool_list_price, pool_tiers
from organisations import outbox
from organisations.models import OutboxMessage
from tenders import services
from tenders.models import Bid, TenderRecord, TenderStatus
from tests import factories
from tests.tenders.conftest import CLARIFICATIONS, SUBMISSIONS, T0


def test_a_tender_from_a_draft_pool_forecasts_its_minimum_and_starts_as_a_draft(tendering):
    tender = tendering.tender
    assert tender.status is TenderStatus.DRAFT
    assert [(lot.name, lot.unit, lot.forecast_quantity, lot.pool_id) for lot in tender.lots] == [
        ("A4 copier paper, box of 5 reams", "ream", 300, tendering.pool.id)
    ]


def test_an_open_pools_pledges_are_the_forecast(tendering):
    w = tendering.world
    orders_services.open_pool(w.secretary, tendering.pool)
    orders_services.pledge(w.member_user, tendering.pool.id, 420, member_id=w.member.id)
    assert services.lot_from_pool(w.secretary, tendering.pool.id).forecast_quantity == 420


def test_a_draft_names_every_bad_field(tendering):
    w = tendering.world
    bad = services.TenderDraft(
        title=" ",
        category_id=tendering.pool.offer.category_id,
        consortium_id=w.consortium.id,
        specification="x",
        clarification_deadline=T0 - timedelta(days=1),
        submission_deadline=T0 - timedelta(days=2),
        lots=[services.LotDraft("Paper", "ream", 0)],
        price_weight=70,
        quality_weight=40,
        supplier_ids=[],
    )
    with pytest.raises(ValidationFailed) as raised:
        services.create_tender(w.secretary, bad)
    assert set(raised.value.fields) == {
        "title",
        "clarification_deadline",
        "submission_deadline",
        "price_weight",
        "supplier_ids",
        "lots.0.forecast_quantity",
    }


def test_only_an_admin_starts_a_national_tender_and_a_secretary_only_their_own(tendering):
    w = tendering.world
    draft = services.TenderDraft(
        title="National paper",
        category_id=tendering.pool.offer.category_id,
        consortium_id=None,
        specification="Paper.",
        clarification_deadline=CLARIFICATIONS,
        submission_deadline=SUBMISSIONS,
        lots=[services.LotDraft("Paper", "ream", 100)],
        supplier_ids=[w.supplier.id],
    )
    with pytest.raises(Forbidden):
        services.create_tender(w.secretary, draft)
    assert services.create_tender(w.admin, draft).is_national
    draft.consortium_id = w.other_consortium.id
    with pytest.raises(ValidationFailed):
        services.create_tender(w.secretary, draft)


def test_from_forecast_to_award_the_pool_opens_at_the_winning_tiers(tendering):
    w = tendering.world
    tender = tendering.scored(ours=70, theirs=60)
    # Price 60: the rival is cheaper at 300 boxes (300 x 19.50 + 20 = £5,870 vs 300 x 21 + 15 = £6,315).
    ranked = services.ranking_of(tender)[tendering.lot.id]
    rival_bid = db.session.scalar(select(Bid).where(Bid.supplier_id == tendering.rival.id))
    assert ranked[0].bid_id == rival_bid.id
    assert ranked[0].cost_pence == 587_000
    with pytest.raises(Conflict):
        services.propose_award(w.secretary, tender)  # not evaluated yet
    services.evaluate(w.secretary, tender)
    services.propose_award(w.secretary, tender)
    assert services.proposed_bids(tender)[tendering.lot.id].id == rival_bid.id
    services.start_standstill(w.secretary, tender)
    db.session.commit()
    assert tender.standstill_ends_at == SUBMISSIONS + timedelta(minutes=1, days=3)
    with pytest.raises(Conflict, match="standstill has not ended"):
        services.award(w.secretary, tender)
    db.session.rollback()
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    services.award(w.secretary, tendering.reload())
    db.session.commit()

    pool = db.session.get(Pool, tendering.pool.id)
    assert tendering.reload().status is TenderStatus.AWARDED
    assert pool.status is PoolStatus.OPEN
    assert pool.offer.supplier_id == tendering.rival.id
    assert [(t.min_quantity, t.unit_price) for t in pool_tiers(pool)] == [
        (1, Decimal("24.0000")),
        (100, Decimal("19.5000")),
        (400, Decimal("18.0000")),
    ]
    assert pool_list_price(pool) == Decimal("24.0000")
    assert pool.delivery_charge_pence == 2000
    actions = db.session.scalars(select(TenderRecord.action).where(TenderRecord.tender_id == tender.id)).all()
    for expected in ("drafted", "published", "bid made", "opened", "scored", "viewed bids", "evaluated", "awarded"):
        assert expected in actions


def test_an_open_pool_continues_at_winning_tiers_that_only_lower_its_prices(tendering):
    w = tendering.world
    orders_services.open_pool(w.secretary, tendering.pool)  # list price £26, no tiers
    tendering.pool.delivery_charge_pence = 2500
    tender = tendering.scored()
    for step in (services.evaluate, services.propose_award, services.start_standstill):
        step(w.secretary, tender)
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    services.award(w.secretary, tender)
    db.session.commit()
    pool = db.session.get(Pool, tendering.pool.id)
    assert pool.status is PoolStatus.OPEN and pool.offer.supplier_id == tendering.rival.id
    assert pool_tiers(pool)[1].unit_price == Decimal("19.5000") and pool.delivery_charge_pence == 2000
    change = db.session.scalar(select(PoolPriceChange).where(PoolPriceChange.pool_id == pool.id))
    assert change.tiers_before == [] and change.tiers_after[0] == {"min_quantity": 1, "unit_price": "24.0000"}


def test_winning_tiers_that_would_raise_an_open_pools_prices_are_refused(tendering):
    w = tendering.world
    orders_services.open_pool(w.secretary, tendering.pool)
    tendering.pool.held_list_price = Decimal("20.00")  # members pledged against £20 a box
    db.session.commit()
    tender = tendering.scored()
    for step in (services.evaluate, services.propose_award, services.start_standstill):
        step(w.secretary, tender)
    db.session.commit()
    tendering.clock.set(SUBMISSIONS + timedelta(days=4))
    with pytest.raises(Conflict, match="only fall"):
        services.award(w.secretary, tender)


def test_bids_are_sealed_from_everyone_but_their_supplier_until_the_opening(tendering):
    w = tendering.world
    tender = tendering.tender
    services.publish(w.secretary, tender)
    tendering.bid(w.supplier_user, [(1, "25.00")])
    services.name_evaluators(w.secretary, tender, [w.member_user.id, tendering.evaluator.id])
    db.session.commit()
    for person in (w.secretary, w.admin, w.member_user, tendering.evaluator):
        with pytest.raises(Conflict, match="sealed"):
            services.all_bids(person, tender)
        with pytest.raises(Conflict, match="sealed"):
            services.compare(person, tender)
        assert services.own_bids(person, tender) == []
    assert [b.tiers[0].unit_price for b in services.own_bids(w.supplier_user, tender)] == [Decimal("25.0000")]
    assert services.own_bids(tendering.rival_user, tender) == []
    assert services.bid_counts(tender) == {tendering.lot.id: 1}
    tendering.at(SUBMISSIONS + timedelta(minutes=1))
    with pytest.raises(Conflict, match="sealed"):
        services.all_bids(w.secretary, tendering.reload())  # closed, not yet opened


def test_a_bid_is_replaced_whole_until_the_deadline_then_refused(tendering):
    w = tendering.world
    services.publish(w.secretary, tendering.tender)
    first = tendering.bid(w.supplier_user, [(1, "25.00"), (100, "22.00")])
    again = tendering.bid(w.supplier_user, [(1, "24.00")], delivery=500)
    db.session.commit()
    assert again.id == first.id
    assert [(t.min_quantity, t.unit_price) for t in again.tiers] == [(1, Decimal("24.0000"))]
    assert db.session.scalar(select(func.count()).select_from(Bid)) == 1
    with pytest.raises(ValidationFailed) as raised:
        tendering.bid(w.supplier_user, [(5, "24.00"), (10, "25.00")], answers=())
    assert set(raised.value.fields) == {"tiers", "answers"}
    with pytest.raises(Forbidden):
        tendering.bid(factories.user(None), [(1, "1.00")])
    tendering.at(SUBMISSIONS)
    with pytest.raises(Conflict, match="no longer takes bids"):
        tendering.bid(w.supplier_user, [(1, "20.00")])


def test_answers_reach_every_bidder_without_the_askers_name(tendering):
    w = tendering.world
    tender = tendering.tender
    services.publish(w.secretary, tender)
    asked = services.ask(tendering.rival_user, tender, "Is recycled paper acceptable?")
    db.session.commit()
    assert [c.question for c in services.clarifications(w.supplier_user, tender)] == []  # unanswered: the asker's own
    assert [c.asked_by for c in services.clarifications(w.secretary, tender)] == ["Tay Paper Works CIC"]
    services.answer(w.secretary, tender, asked.id, "Yes, if FSC Recycled.")
    db.session.commit()
    seen = services.clarifications(w.supplier_user, tender)
    assert [(c.question, c.answer, c.asked_by) for c in seen] == [
        ("Is recycled paper acceptable?", "Yes, if FSC Recycled.", None)
    ]
    tendering.at(CLARIFICATIONS)
    assert tendering.reload().status is TenderStatus.CLARIFICATIONS_CLOSED
    with pytest.raises(Conflict, match="closed to questions"):
        services.ask(tendering.rival_user, tendering.tender, "One more?")


def test_too_few_valid_bids_make_the_tender_unsuccessful_with_the_reason(tendering):
    w = tendering.world
    services.publish(w.secretary, tendering.tender)
    tendering.bid(w.supplier_user, [(1, "25.00")])
    db.session.commit()
    tendering.at(SUBMISSIONS + timedelta(hours=1))
    assert tendering.reload().status is TenderStatus.SUBMISSIONS_CLOSED
    services.open_bids(w.secretary, tendering.tender)
    assert tendering.tender.status is TenderStatus.UNSUCCESSFUL
    assert tendering.tender.unsuccessful_reason == (
        "Too few valid bids: A4 copier paper, box of 5 reams had 1 valid bid, 2 needed."
    )
    assert tendering.tender.sealed
    with pytest.raises(Conflict, match="sealed"):
        services.all_bids(w.secretary, tendering.tender)


def test_evaluators_score_blind_to_each_other_and_see_no_ranking(tendering):
    w = tendering.world
    tender = tendering.scored(ours=80, theirs=30)
    bid = db.session.scalar(select(Bid).where(Bid.supplier_id == w.supplier.id))
    services.score(tendering.evaluator, tender, bid.id, 50)
    assert services.my_scores(tendering.evaluator, tender)[bid.id].quality == 50
    assert services.my_scores(w.member_user, tender)[bid.id].quality == 80
    rows = services.compare(tendering.evaluator, tender)[0].rows
    assert all(row.ranked is None for row in rows)
    assert [r.ranked.quality_score for r in services.compare(w.secretary, tender)[0].rows if r.bid.id == bid.id] == [65]
    with pytest.raises(Forbidden):
        services.score(w.secretary, tender, bid.id, 90)
    with pytest.raises(ValidationFailed):
        services.score(tendering.evaluator, tender, bid.id, 101)


def test_evaluation_waits_for_two_evaluators_and_every_score(tendering):
    w = tendering.world
    tender = tendering.opened()
    with pytest.raises(Conflict, match="two evaluators"):
        services.evaluate(w.secretary, tender)
    with pytest.raises(ValidationFailed):
        services.name_evaluators(w.secretary, tender, [w.member_user.id])
    with pytest.raises(ValidationFailed):
        services.name_evaluators(w.secretary, tender, [w.member_user.id, w.supplier_user.id])
    services.name_evaluators(w.secretary, tender, [w.member_user.id, tendering.evaluator.id])
    services.score(w.member_user, tender, services.all_bids(w.secretary, tender)[0].id, 60)
    with pytest.raises(Conflict, match="3 scores are still to come"):
        services.evaluate(w.secretary, tender)


def test_comparison_costs_the_forecast_and_a_quarter_either_side_net_and_gross(tendering):
    tender = tendering.opened()
    lot = services.compare(tendering.world.secretary, tender)[0]
    assert lot.quantities == (225, 300, 375)
    rival = next(row for row in lot.rows if row.bid.supplier_id == tendering.rival.id)
    assert rival.net_pence == (225 * 1950 + 2000, 300 * 1950 + 2000, 375 * 1950 + 2000)
    assert rival.gross_pence == tuple(n * 6 // 5 for n in rival.net_pence)


def test_a_winner_declining_in_the_standstill_passes_the_award_to_the_next_ranked_bid(tendering):
    w = tendering.world
    tender = tendering.scored()
    for step in (services.evaluate, services.propose_award, services.start_standstill):
        step(w.secretary, tender)
    db.session.commit()
    with pytest.raises(Forbidden):
        services.decline(w.supplier_user, tender, tendering.lot.id)  # ours is not the proposed winner
    services.decline(tendering.rival_user, tender, tendering.lot.id, "Mill capacity sold")
    assert tender.status is TenderStatus.AWARD_PROPOSED
    assert services.proposed_bids(tender)[tendering.lot.id].supplier_id == w.supplier.id
    services.start_standstill(w.secretary, tender)
    services.decline(w.supplier_user, tender, tendering.lot.id)
    assert tender.status is TenderStatus.UNSUCCESSFUL
    assert "No bid is left" in tender.unsuccessful_reason


def test_cancelling_a_published_tender_tells_the_invitees_through_the_outbox(tendering):
    w = tendering.world
    services.publish(w.secretary, tendering.tender)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        services.cancel(w.secretary, tendering.tender, " ")
    db.session.rollback()
    services.cancel(w.secretary, tendering.tender, "The pool's demand moved to a national framework.")
    db.session.commit()
    outbox.expand_pending()
    db.session.commit()
    cancelled = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "tender_cancelled")).all()
    assert sorted(m.to_email for m in cancelled) == ["rival@example.org", "supplier@example.org"]
    assert "moved to a national framework" in cancelled[0].body_text
    invited = db.session.scalars(select(OutboxMessage.to_email).where(OutboxMessage.kind == "tender_published")).all()
    assert sorted(invited) == ["rival@example.org", "supplier@example.org"]


def test_only_the_runner_moves_the_tender(tendering):
    w = tendering.world
    for person in (w.member_user, w.supplier_user, factories.user(None)):
        with pytest.raises(Forbidden):
            services.publish(person, tendering.tender)
