from catalogue import demo as catalogue_demo
from kernel.extensions import db
from orders import demo
from orders.models import Pledge, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from organisations import demo as people_demo


def test_demo_pools_and_orders_cover_every_state_and_seeding_twice_changes_nothing(app):
    people_demo.seed()
    catalogue_demo.seed()
    demo.seed()
    db.session.commit()
    pools = db.session.scalars(db.select(Pool)).all()
    assert {p.status for p in pools} == {
        PoolStatus.DRAFT,
        PoolStatus.OPEN,
        PoolStatus.CANCELLED,
        PoolStatus.CLOSED,
        PoolStatus.ORDERED,
        PoolStatus.DELIVERED,
    }
    order_states = set(db.session.scalars(db.select(PurchaseOrder.status)))
    assert order_states == set(PurchaseOrderStatus)
    cancelled = db.session.scalar(db.select(PurchaseOrder).where(PurchaseOrder.status == PurchaseOrderStatus.CANCELLED))
    assert cancelled.cancel_reason and db.session.get(Pool, cancelled.pool_id).status is PoolStatus.CANCELLED
    assert any(p.is_national for p in pools)
    open_with_pledges = [p for p in pools if p.status is PoolStatus.OPEN and p.member_count > 0]
    assert len(open_with_pledges) >= 4
    counts = (len(pools), db.session.scalar(db.select(db.func.count()).select_from(Pledge)))
    demo.seed()
    db.session.commit()
    assert (
        db.session.scalar(db.select(db.func.count()).select_from(Pool)),
        db.session.scalar(db.select(db.func.count()).select_from(Pledge)),
    ) == counts
