"""The aggregation behind the supplier's demand dashboard and the secretary's consortium dashboard."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from catalogue import pricing
from catalogue.pricing import Tier
from kernel.clock import utcnow
from kernel.errors import ValidationFailed
from kernel.extensions import db
from kernel.money import line_pence
from orders import demand, services
from orders.models import Pool, PoolStatus, PurchaseOrderStatus
from tests import factories
from tests.orders.conftest import make_closed_pool, make_offer, make_pool

START = datetime(2026, 3, 1, 9, tzinfo=UTC)


# Pure parts


def test_projection_is_the_pace_so_far_carried_to_the_deadline():
    opened, deadline = START, START + timedelta(days=4)
    assert demand.projected_total(30, opened, deadline, START + timedelta(days=2)) == 60
    assert demand.projected_total(30, opened, deadline, START + timedelta(days=1)) == 120
    assert demand.projected_total(30, opened, deadline, deadline + timedelta(days=1)) == 30
    assert demand.projected_total(30, None, deadline, START) is None
    assert demand.projected_total(30, opened, deadline, opened) is None


@given(pledged=st.integers(0, 10**7), elapsed=st.integers(1, 10**7), remaining=st.integers(0, 10**7))
def test_projection_never_falls_below_what_is_pledged_and_grows_with_time_left(pledged, elapsed, remaining):
    now = START + timedelta(seconds=elapsed)
    projected = demand.projected_total(pledged, START, now + timedelta(seconds=remaining), now)
    longer = demand.projected_total(pledged, START, now + timedelta(seconds=remaining + 60), now)
    assert pledged <= projected <= longer
    assert projected <= pledged + pledged * remaining // elapsed + 1


@given(units=st.integers(0, 10**6), target=st.integers(1, 10**6))
def test_within_reach_means_short_by_at_most_a_tenth(units, target):
    assert demand.within_reach(units, target) == (units < target and 10 * (target - units) <= target)
    assert 0 <= demand.progress_percent(units, target) <= 100


def test_pounds_text_is_exact():
    assert str(demand.pounds_text(123456)) == "1234.56"
    assert str(demand.pounds_text(5)) == "0.05"


# The supplier's demand, checked against figures worked out by hand


def build_demand(world):
    """Pool A (ours): 45 units, 5 short of the 50 tier: about to tip. Pool B (national, minimum 100):
    30 ours + 25 theirs = 55 at £20. Pool C: another supplier's. Pool D (closed): sent 100 units to us,
    confirmed 60 to them, one cancelled order. Pool E (closed): a draft order only, not yet the supplier's."""
    offer = make_offer(world.supplier)
    other = make_offer(world.other_supplier, name="Laptops")
    db.session.commit()
    ours, theirs = world.consortium, world.other_consortium
    members = [factories.member(world.network) for _ in range(3)]
    deadline = datetime(2030, 5, 20, 12, tzinfo=UTC)
    pool_a = make_pool(world.admin, offer, [ours], deadline=deadline)
    for member, units in zip(members, (20, 15, 10), strict=True):
        services.pledge(world.admin, pool_a.id, units, 2, member_id=member.id)
    pool_b = make_pool(world.admin, offer, [ours, theirs], minimum=100, deadline=deadline + timedelta(days=30))
    services.pledge(world.admin, pool_b.id, 30, member_id=world.member.id)
    services.pledge(world.admin, pool_b.id, 25, member_id=world.other_member.id)
    services.pledge(world.admin, pool_b.id, 7, member_id=members[0].id)
    services.withdraw_pledge(world.admin, pool_b.id, member_id=members[0].id)
    pool_c = make_pool(world.admin, other, [ours], deadline=deadline)
    services.pledge(world.admin, pool_c.id, 99, member_id=world.member.id)
    ordered = datetime(2030, 4, 3, 10, tzinfo=UTC)
    pool_d = make_closed_pool(
        world.admin,
        offer,
        [
            (ours, 100, PurchaseOrderStatus.SENT, [(world.member, 100)]),
            (theirs, 60, PurchaseOrderStatus.CONFIRMED, [(world.other_member, 60)]),
        ],
        unit_price="18.50",
        created_at=ordered,
    )
    third = factories.consortium("Fife", "FIF")
    pool_f = make_closed_pool(world.admin, offer, [(third, 40, PurchaseOrderStatus.CANCELLED, [])], created_at=ordered)
    pool_e = make_closed_pool(world.admin, offer, [(ours, 70, PurchaseOrderStatus.DRAFT, [])], created_at=ordered)
    db.session.commit()
    return offer, {"a": pool_a, "b": pool_b, "c": pool_c, "d": pool_d, "e": pool_e, "f": pool_f}


def test_supplier_demand_figures(world):
    offer, pools = build_demand(world)
    found = demand.supplier_demand(world.supplier)
    assert [o.offer.id for o in found.offers] == [offer.id]
    item = found.offers[0]
    assert (item.open_pools, item.pools_about_to_tip, item.forecast_units) == (2, 1, 100)
    assert item.forecast_value_pence == found.forecast_value_pence == 99000 + 110000
    assert item.orders == found.orders
    a, b = found.forecast.items
    assert (a.id, a.units, a.flexible_units, a.members, a.consortia) == (pools["a"].id, 45, 6, 3, ["Tayside"])
    assert (a.unit_price, a.tier.min_quantity, a.next_tier.min_quantity, a.units_to_next_tier) == (
        Decimal("22.00"),
        10,
        50,
        5,
    )
    assert (a.value_pence, a.next_tier_percent, a.minimum_reached, a.about_to_tip) == (99000, 90, True, True)
    assert (b.id, b.units, b.members, b.is_national) == (pools["b"].id, 55, 2, True)
    assert b.consortia == ["Lothians", "Tayside"]
    assert (b.unit_price, b.units_to_next_tier, b.minimum_percent, b.about_to_tip) == (Decimal("20.00"), 145, 55, False)
    assert b.value_pence == 110000

    assert [o.id for o in item.orders] == [pools["f"].id, pools["d"].id]  # newest first
    d = next(o for o in item.orders if o.id == pools["d"].id)
    assert (d.units, d.packs, d.goods_pence, dict(d.order_statuses)) == (160, 160, 296000, {"sent": 1, "confirmed": 1})
    f = next(o for o in item.orders if o.id == pools["f"].id)
    assert (f.units, f.goods_pence, dict(f.order_statuses)) == (0, 0, {"cancelled": 1})
    assert pools["e"].id not in {o.id for o in item.orders}

    by_consortium = {t.label: t for t in found.by_consortium}
    assert set(by_consortium) == {"Tayside", "Lothians", "Fife"}
    tay, lot, fife = by_consortium["Tayside"], by_consortium["Lothians"], by_consortium["Fife"]
    assert (tay.open_pools, tay.forecast_units, tay.forecast_value_pence) == (2, 75, 99000 + 60000)
    assert (tay.orders, tay.ordered_units, tay.ordered_goods_pence) == (1, 100, 185000)
    assert (lot.open_pools, lot.forecast_units, lot.forecast_value_pence) == (1, 25, 50000)
    assert (lot.orders, lot.ordered_units, lot.ordered_goods_pence) == (1, 60, 111000)
    assert (fife.open_pools, fife.orders, fife.ordered_units) == (0, 1, 0)

    by_month = {t.key: t for t in found.by_month}
    assert list(by_month) == ["2030-04", "2030-05", "2030-06"]
    assert (by_month["2030-04"].orders, by_month["2030-04"].ordered_units) == (3, 160)
    assert (by_month["2030-05"].open_pools, by_month["2030-05"].forecast_units) == (1, 45)
    assert (by_month["2030-06"].open_pools, by_month["2030-06"].forecast_value_pence) == (1, 110000)
    assert by_month["2030-05"].label == "May 2030"


def test_choosing_an_offer_narrows_the_pools_and_totals_but_every_offer_is_still_summed(world):
    _offer, pools = build_demand(world)
    second = make_offer(world.supplier, name="Envelopes")
    db.session.commit()
    envelopes = make_pool(world.admin, second, [world.other_consortium], deadline=datetime(2030, 7, 1, tzinfo=UTC))
    services.pledge(world.admin, envelopes.id, 12, member_id=world.other_member.id)
    db.session.commit()

    everything = demand.supplier_demand(world.supplier)
    assert [p.id for p in everything.forecast.items] == [pools["a"].id, pools["b"].id, envelopes.id]  # by deadline
    assert everything.forecast_units == 112 and everything.pools_about_to_tip == 1
    chosen = demand.supplier_demand(world.supplier, second.id)
    assert chosen.offer.id == second.id and [p.id for p in chosen.forecast.items] == [envelopes.id]
    assert chosen.orders == []
    assert [(t.label, t.forecast_units) for t in chosen.by_consortium] == [("Lothians", 12)]
    assert [t.key for t in chosen.by_month] == ["2030-07"]
    assert {o.offer.name: (o.open_pools, o.forecast_units) for o in chosen.offers} == {
        "A4 copier paper": (2, 100),
        "Envelopes": (1, 12),
    }
    with pytest.raises(ValidationFailed) as refused:
        demand.supplier_demand(world.supplier, make_offer(world.other_supplier, name="Toner").id)
    assert "offer_id" in refused.value.fields


def test_a_pools_pledged_units_by_day_are_a_running_total_of_its_changes(world, monkeypatch):
    offer = make_offer(world.supplier)
    pool = make_pool(world.admin, offer, [world.consortium])
    other = make_pool(world.admin, make_offer(world.other_supplier, name="Laptops"), [world.consortium])
    second = factories.member(world.network)
    today = utcnow().replace(hour=12)

    def on(days_ago, pledge, *args, **kwargs):
        monkeypatch.setattr(services, "utcnow", lambda: today - timedelta(days=days_ago))
        pledge(world.admin, *args, **kwargs)

    on(3, services.pledge, pool.id, 10, member_id=world.member.id)
    on(1, services.pledge, pool.id, 15, member_id=second.id)
    on(1, services.pledge, pool.id, 12, member_id=world.member.id)
    on(0, services.withdraw_pledge, pool.id, member_id=second.id)
    on(0, services.pledge, other.id, 500, member_id=world.member.id)
    db.session.commit()
    points = services.pledged_by_day(db.session.get(Pool, pool.id))
    assert points == [
        ((today - timedelta(days=3)).date(), 10),
        ((today - timedelta(days=1)).date(), 27),
        (today.date(), 12),
    ]
    assert points[-1][1] == db.session.get(Pool, pool.id).pledged_quantity


# The secretary's consortium


def test_consortium_dashboard_projection_orders_and_members_who_never_pledged(world):
    offer = make_offer(world.supplier)
    db.session.commit()
    now = utcnow()
    slow = make_pool(world.admin, offer, [world.consortium], minimum=100, deadline=now + timedelta(days=2))
    brisk = make_pool(world.admin, offer, [world.consortium], minimum=100, deadline=now + timedelta(days=2))
    national = make_pool(
        world.admin, offer, [world.consortium, world.other_consortium], minimum=10, deadline=now + timedelta(days=2)
    )
    factories.member(world.network, "Quiet Bakery CIC")
    withdrawn = factories.member(world.network, "Withdrawn Woodwork Ltd")
    services.pledge(world.admin, slow.id, 30, member_id=world.member.id)
    services.pledge(world.admin, brisk.id, 60, member_id=world.member.id)
    services.pledge(world.admin, national.id, 8, member_id=world.member.id)
    services.pledge(world.admin, national.id, 40, member_id=world.other_member.id)
    services.pledge(world.admin, slow.id, 5, member_id=withdrawn.id)
    services.withdraw_pledge(world.admin, slow.id, member_id=withdrawn.id)
    for pool in (slow, brisk, national):
        pool.opened_at = now - timedelta(days=2)
    closed = make_closed_pool(
        world.admin,
        offer,
        [
            (world.consortium, 100, PurchaseOrderStatus.SENT, []),
        ],
        unit_price="18.50",
    )
    make_closed_pool(world.admin, offer, [(world.consortium, 10, PurchaseOrderStatus.DELIVERED, [])])
    make_closed_pool(world.admin, offer, [(world.other_consortium, 10, PurchaseOrderStatus.CONFIRMED, [])])
    db.session.commit()

    board = demand.consortium_dashboard(world.consortium, now=now)
    assert [(row.id, row.projected) for row in board.at_risk.items] == [(slow.id, 60)]
    assert board.at_risk.total == 1 and board.open_pools.total == 3
    rows = {row.id: row for row in board.open_pools.items}
    assert rows[brisk.id].projected == 120 and not rows[brisk.id].will_miss_minimum
    assert rows[national.id].units == 8 and rows[national.id].unit_price == Decimal("22.00")  # 48 in all
    assert rows[national.id].value_pence == 17600
    by_status = {t.status: t for t in board.by_status}
    assert (by_status[PoolStatus.OPEN].pools, by_status[PoolStatus.OPEN].units) == (3, 30 + 60 + 8)
    assert by_status[PoolStatus.OPEN].value_pence == 30 * 2200 + 60 * 2000 + 8 * 2200
    assert by_status[PoolStatus.ORDERED].pools == 2
    assert [o.pool_id for o in board.orders_to_progress.items] == [closed.id] and board.orders_to_progress.total == 1
    assert [m.name for m in board.never_pledged.items] == ["Quiet Bakery CIC"] and board.never_pledged.total == 1


# The dashboard's SQL sums, held to the Python figures of each pool

prices = st.integers(1, 5_000_000).map(lambda n: Decimal(n).scaleb(-4))  # £0.0001 to £500.0000
in_2030 = st.integers(0, 365 * 24 * 60 - 1).map(
    lambda minutes: datetime(2030, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
)


@st.composite
def open_pools(draw):
    """A ladder of any shape (prices may rise, fall or repeat) and pools on it, each with its own total,
    minimum and deadline; late-evening deadlines cross into the next UK month in summer."""
    ladder = draw(st.dictionaries(st.integers(1, 500), prices, max_size=4))
    pools = draw(st.lists(st.tuples(st.integers(0, 600), st.integers(1, 600), in_2030), min_size=1, max_size=5))
    return draw(prices), ladder, pools


@given(case=open_pools())
@example(  # both boundaries of "about to tip", and 23:30 UTC on 31 May, which is June in the UK
    case=(
        Decimal("25"),
        {100: Decimal("20")},
        [(90, 600, datetime(2030, 5, 31, 23, 30, tzinfo=UTC)), (180, 200, datetime(2030, 5, 31, 22, 59, tzinfo=UTC))],
    )
)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_sql_sums_and_prices_agree_with_each_pools_own_figures(world, case):
    list_price, ladder, specs = case
    offer = make_offer(
        world.supplier,
        name=f"Ladder {len(ladder)}",
        list_price=str(list_price),
        tiers=[(str(q), str(p)) for q, p in ladder.items()],
    )
    db.session.commit()
    made = []
    for units, minimum, deadline in specs:
        pool = make_pool(world.admin, offer, [world.consortium], minimum=minimum, deadline=deadline)
        pool.pledged_quantity = units
        made.append((pool.id, units, minimum, deadline))
    db.session.commit()

    found = demand.supplier_demand(world.supplier, offer.id, per_page=len(made))
    tiers = [Tier(q, p) for q, p in sorted(ladder.items())]
    expected = {}
    for pool_id, units, minimum, _deadline in made:
        standing = pricing.standing(tiers, units, list_price)
        tipping = demand.within_reach(units, minimum) or (
            standing.next_tier is not None and demand.within_reach(units, standing.next_tier.min_quantity)
        )
        expected[pool_id] = (
            standing.unit_price,
            standing.tier,
            standing.next_tier,
            line_pence(units, standing.unit_price),
            tipping,
        )
    shown = {p.id: (p.unit_price, p.tier, p.next_tier, p.value_pence, p.about_to_tip) for p in found.forecast.items}
    assert shown == expected
    assert found.open_pools == len(made)
    assert found.forecast_units == sum(units for _, units, _, _ in made)
    assert found.forecast_value_pence == sum(e[3] for e in expected.values())
    assert found.pools_about_to_tip == sum(e[4] for e in expected.values())
    months = {}
    for pool_id, units, _, deadline in made:
        months.setdefault(demand.month_of(deadline), []).append((units, expected[pool_id][3]))
    assert {t.key: (t.open_pools, t.forecast_units, t.forecast_value_pence) for t in found.by_month} == {
        month: (len(rows), sum(u for u, _ in rows), sum(v for _, v in rows)) for month, rows in months.items()
    }
    assert [(t.label, t.forecast_value_pence) for t in found.by_consortium] == [
        (world.consortium.name, found.forecast_value_pence)
    ]
    tipping = demand.supplier_demand(world.supplier, offer.id, about_to_tip=True, per_page=len(made))
    assert {p.id for p in tipping.forecast.items} == {pool_id for pool_id, e in expected.items() if e[4]}
