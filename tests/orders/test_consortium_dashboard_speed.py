"""The consortium dashboard judges, prices and pages in SQL (issue 14): held here to the Python rules it replaced.

Which pools will miss their minimum at this pace is decided in SQL over every open pool
(`demand._SHORT_AT_THIS_PACE`), and must pick exactly the pools `projected_total` says, to the millisecond;
the pages of pools carry the price `catalogue.pricing` gives; the members who never pledged are counted and
paged in one statement. Each page is laid end to end, one past the last included, against the oracle.
"""

from datetime import UTC, datetime, timedelta
from math import ceil

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from catalogue import pricing
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.money import line_pence
from orders import demand, services
from orders.models import Pledge, Pool, PoolStatus, pool_consortium
from orders.prices import pool_list_price, pool_tiers
from organisations.models import Member, Network, Organisation
from tests import factories
from tests.orders.conftest import make_offer, make_pool

PER_PAGE = 2
NOW = datetime(2031, 3, 1, 12, 0, 0, 999_600, tzinfo=UTC)  # 0.4 ms before a whole second: SQLite must not round


def _oracle(consortium, now):
    """The open pools of the consortium by deadline, each with the Python figures the dashboard shows."""
    pools = db.session.scalars(
        select(Pool)
        .where(
            Pool.id.in_(select(pool_consortium.c.pool_id).where(pool_consortium.c.consortium_id == consortium.id)),
            Pool.status == PoolStatus.OPEN,
        )
        .order_by(Pool.deadline, Pool.id)
    ).all()
    rows = []
    for pool in pools:
        projected = demand.projected_total(pool.pledged_quantity, pool.opened_at, pool.deadline, now)
        price = pricing.unit_price(pool_tiers(pool), pool.pledged_quantity, pool_list_price(pool))
        misses = pool.pledged_quantity < pool.minimum_quantity and projected is not None
        rows.append(
            (
                pool.id,
                projected,
                price,
                line_pence(pool.pledged_quantity, price),
                misses and projected < pool.minimum_quantity,
            )
        )
    return rows


def _laid_end_to_end(consortium, now, page_of):
    """Every page of one list, and one past the last: the rows in order, and each page's total."""
    first = page_of(demand.consortium_dashboard(consortium, now, demand.DashboardPages(pools_per_page=PER_PAGE)))
    rows, totals = [], []
    for page in range(1, ceil(first.total / PER_PAGE) + 2):
        pages = demand.DashboardPages(at_risk=page, open_pools=page, pools_per_page=PER_PAGE)
        shown = page_of(demand.consortium_dashboard(consortium, now, pages))
        rows.extend(shown.items)
        totals.append(shown.total)
    return rows, totals


us = timedelta(microseconds=1)
pool_specs = st.lists(
    st.tuples(
        st.integers(0, 400),  # pledged
        st.integers(1, 10_000_000),  # minimum
        st.integers(-(10**11), 3_000),  # opened, µs from now: up to a day before, or just after
        st.integers(-(10**10), 10**11),  # deadline, µs from now
    ),
    min_size=1,
    max_size=4,
)


@given(specs=pool_specs)
@example(specs=[(50, 100, -(2 * 86_400_000_000), 2 * 86_400_000_000)])  # on course for exactly 100: safe
@example(specs=[(50, 101, -(2 * 86_400_000_000), 2 * 86_400_000_000)])  # one short: at risk
@example(specs=[(50, 100, -(2 * 86_400_000_000), 2 * 86_400_000_000 - 500)])  # a tie to the ms, not to the µs
@example(specs=[(50, 100, -(2 * 86_400_000_000) - 1_000, 2 * 86_400_000_000 + 300)])  # at risk by 1 ms; due .9999 s
@example(specs=[(3, 10, -300, -5_000_000)])  # opened within this millisecond, deadline passed: no pace yet
@example(specs=[(3, 10, -700, -5_000_000)])  # opened in the millisecond before: past its deadline, short
@example(specs=[(0, 5, -1_000, 10**9), (7, 7, -(10**9), 10**9)])  # nothing pledged; minimum already met
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_pools_at_risk_and_their_pages_are_the_ones_projected_total_picks(world, specs):
    offer = make_offer(world.supplier)
    db.session.commit()
    for pledged, minimum, opened, deadline in specs:
        pool = make_pool(world.admin, offer, [world.consortium], deadline=utcnow() + timedelta(days=1))
        pool.pledged_quantity, pool.minimum_quantity = pledged, minimum
        pool.opened_at, pool.deadline = NOW + opened * us, NOW + deadline * us
    db.session.commit()

    expected = _oracle(world.consortium, NOW)
    at_risk, risk_totals = _laid_end_to_end(world.consortium, NOW, lambda board: board.at_risk)
    assert [(p.id, p.projected) for p in at_risk] == [(i, projected) for i, projected, *_, miss in expected if miss]
    assert all(p.will_miss_minimum for p in at_risk)
    assert set(risk_totals) == {sum(miss for *_, miss in expected)}

    open_pools, open_totals = _laid_end_to_end(world.consortium, NOW, lambda board: board.open_pools)
    shown = [(p.id, p.projected, p.unit_price, p.value_pence, p.will_miss_minimum) for p in open_pools]
    assert shown == expected
    assert set(open_totals) == {len(expected)}


@given(
    members=st.lists(
        st.tuples(
            st.sampled_from(["Ash Trust", "Birch CIC", "ash trust", "Cedar Co-op"]),
            st.booleans(),  # pledged
            st.booleans(),  # active
            st.sampled_from(["ours", "our other network", "theirs"]),
        ),
        max_size=7,
    ),
    per_page=st.integers(1, 3),
)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_members_who_never_pledged_are_counted_and_paged_in_one_statement(world, members, per_page):
    offer = make_offer(world.supplier)
    db.session.commit()
    perth = db.session.scalar(select(Network).where(Network.name == "Perth Network"))
    networks = {
        "ours": world.network,
        "our other network": perth or factories.network(world.consortium, "Perth Network"),
        "theirs": world.other_network,
    }
    pools = {
        world.consortium.id: make_pool(world.admin, offer, [world.consortium]),
        world.other_consortium.id: make_pool(world.admin, offer, [world.other_consortium]),
    }
    for name, pledged, active, where in members:
        member = factories.member(networks[where], name)
        if pledged:
            services.pledge(world.admin, pools[networks[where].consortium_id].id, 1, member_id=member.id)
        member.active = active
    db.session.commit()

    # The database only puts names in its collation's order; Python decides who has never pledged.
    everyone = db.session.execute(
        select(Member.id, Organisation.legal_name, Network.name, Network.consortium_id, Member.active)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .join(Network, Network.id == Member.network_id)
        .order_by(Organisation.legal_name, Member.id)
    ).all()
    pledged_ever = set(db.session.scalars(select(Pledge.member_id)))
    quiet = [
        (name, member_id, network)
        for member_id, name, network, consortium_id, active in everyone
        if consortium_id == world.consortium.id and active and member_id not in pledged_ever
    ]
    found, totals = [], set()
    for page in range(1, ceil(len(quiet) / per_page) + 2):
        board = demand.consortium_dashboard(
            world.consortium, pages=demand.DashboardPages(members=page, members_per_page=per_page)
        )
        found.extend((m.name, m.id, m.network_name) for m in board.never_pledged.items)
        totals.add(board.never_pledged.total)
    assert found == quiet
    assert totals == {len(quiet)}
