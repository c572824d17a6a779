"""A pool's band totals (what a member's estimate reads instead of every pledge) always equal its pledges counted
by consortium and turnover band: after pledges, changes and withdrawals, and after members change band or network
and networks change consortium, through any of the app's ways of making those changes."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kernel.extensions import db
from orders import services
from orders.models import Pledge, PoolBandTotal
from organisations import services as people
from organisations.models import Member, Network, TurnoverBand
from tests import factories
from tests.orders.conftest import make_offer, make_pool

BANDS = list(TurnoverBand)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pledge"), st.integers(0, 3), st.integers(0, 30)),
        st.tuples(st.just("band"), st.integers(0, 3), st.integers(0, len(BANDS) - 1)),
        st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 2)),
        st.tuples(st.just("network"), st.integers(0, 2), st.integers(0, 1)),
    ),
    max_size=12,
)


def kept() -> dict:
    rows = db.session.execute(
        select(PoolBandTotal.pool_id, PoolBandTotal.consortium_id, PoolBandTotal.turnover_band, PoolBandTotal.quantity)
    )
    return {(p, c, b): q for p, c, b, q in rows if q}


def counted() -> dict:
    rows = db.session.execute(
        select(Pledge.pool_id, Network.consortium_id, Member.turnover_band, func.sum(Pledge.quantity))
        .join(Member, Member.id == Pledge.member_id)
        .join(Network, Network.id == Member.network_id)
        .where(Pledge.quantity > 0)
        .group_by(Pledge.pool_id, Network.consortium_id, Member.turnover_band)
    )
    return {(p, c, b): q for p, c, b, q in rows}


def test_band_totals_follow_every_pledge_and_every_move(world):
    consortia = [world.consortium, world.other_consortium]
    networks = [world.network, world.other_network, factories.network(world.consortium, "Angus Network")]
    members = [world.member, world.other_member, factories.member(networks[2]), factories.member(networks[0])]
    offer = make_offer(world.supplier)
    db.session.commit()

    @given(operations)
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    def check(steps):
        pool = make_pool(world.admin, offer, consortia)
        for kind, first, second in steps:
            if kind == "pledge":
                member = members[first]
                pledged = db.session.scalar(
                    select(Pledge.quantity).where(Pledge.pool_id == pool.id, Pledge.member_id == member.id)
                )
                if second:
                    services.pledge(world.admin, pool.id, second, member_id=member.id)
                elif pledged:
                    services.withdraw_pledge(world.admin, pool.id, member_id=member.id)
            elif kind == "band":
                members[first].turnover_band = BANDS[second]
            elif kind == "move":
                member = members[first]
                data = {"network_id": networks[second].id, "headcount": member.headcount}
                people.save_member(
                    data
                    | {"turnover_band": member.turnover_band, "legal_name": member.name}
                    | {
                        k: getattr(member.organisation, k)
                        for k in ("address_line1", "city", "postcode", "contact_email")
                    },
                    member,
                )
            else:
                networks[first].consortium = consortia[second]
            db.session.commit()
            assert kept() == counted(), (kind, first, second)

    check()
