"""The pools a report's scope joined, asked of each pool in SQL, agree with its members' pledges and participations."""

from sqlalchemy import select

from kernel.extensions import db
from orders.models import Pledge, PoolStatus
from organisations.models import Member
from reports import savings
from shared_services.models import Participation, ServicePoolStatus
from tests import factories
from tests.shared_services.conftest import make_pool

from .test_agreement import _scopes

GONE = (PoolStatus.DRAFT, PoolStatus.CANCELLED)
SHARED_GONE = (ServicePoolStatus.DRAFT, ServicePoolStatus.CANCELLED)


def _in(scope: savings.Scope, member: Member) -> bool:
    if scope.kind == "platform":
        return True
    return {"member": member.id, "network": member.network_id, "consortium": member.consortium_id}[
        scope.kind
    ] == scope.id


def _oracle(scope: savings.Scope) -> savings.Joined:
    pools = {
        p.pool_id
        for p in db.session.scalars(select(Pledge))
        if p.quantity > 0 and p.pool.status not in GONE and _in(scope, p.member)
    }
    shared = {
        p.service_pool_id
        for p in db.session.scalars(select(Participation))
        if (p.left_after is None or p.left_after >= p.joined_from)
        and p.pool.status not in SHARED_GONE
        and _in(scope, p.member)
    }
    return savings.Joined(len(pools), len(shared))


def _taking_part(trading) -> None:
    """Two shared-service pools: the world's member and its neighbour in one, the member far away in the other."""
    world = trading.world
    offer = factories.offer(world.supplier, name="HR advice line", list_price="30.00", unit="seat")
    here, there = (make_pool(world.admin, offer, [world.consortium]) for _ in range(2))
    for pool, member in ((here, world.member), (here, trading.neighbour), (there, trading.far_member)):
        db.session.add(Participation(service_pool_id=pool.id, member_id=member.id, joined_from=1))
    db.session.flush()


def test_every_scope_counts_the_pools_its_members_are_in(trading):
    _taking_part(trading)
    idle = factories.member(factories.network(trading.world.consortium, "Quiet Network"), "Idle Trust")
    db.session.flush()
    scopes = _scopes(trading.world)
    assert any(savings.joined(scope).shared_services == 1 for scope in scopes)
    assert savings.joined(savings.scope_for(trading.world.admin, "member", idle.id)) == savings.Joined(0, 0)
    for scope in scopes:
        assert savings.joined(scope) == _oracle(scope), scope


def test_withdrawn_pledges_and_participations_left_before_joining_do_not_count(trading):
    _taking_part(trading)
    for pledge in db.session.scalars(select(Pledge)).all()[::2]:
        pledge.quantity = 0
    for participation in db.session.scalars(select(Participation)).all()[::2]:
        participation.left_after = participation.joined_from - 1
    db.session.flush()
    scopes = _scopes(trading.world)
    assert any(savings.joined(scope).total == 0 for scope in scopes)
    for scope in scopes:
        assert savings.joined(scope) == _oracle(scope), scope
