"""The demo's shared services: a year of billed periods, exact every month, and seeding twice changes nothing."""

from sqlalchemy import func, select

from billing import demo as billing_demo
from billing.models import Invoice, InvoiceStatus
from catalogue import demo as catalogue_demo
from kernel.extensions import db
from orders import demo as orders_demo
from organisations import demo as people_demo
from shared_services import demo
from shared_services.models import (
    BilledPeriod,
    ParticipationChange,
    ServicePool,
    ServicePoolStatus,
    SharedServiceCharge,
)


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (ServicePool, BilledPeriod, SharedServiceCharge, ParticipationChange)
    )


def test_demo_pools_have_a_year_of_exact_billed_periods_and_seeding_twice_changes_nothing(app):
    for seed in (people_demo.seed, catalogue_demo.seed, orders_demo.seed, billing_demo.seed, demo.seed):
        seed()
    db.session.commit()
    pools = {p.offer.name: p for p in db.session.scalars(select(ServicePool))}
    retainer, advice = pools["PR and media relations retainer"], pools["HR advice line"]
    assert retainer.status is advice.status is ServicePoolStatus.ACTIVE
    assert advice.is_national and retainer.consortia[0].code == "TAY"
    assert pools["Managed IT support"].status is ServicePoolStatus.OPEN
    first_change = db.session.scalar(select(func.min(ParticipationChange.changed_at)))
    assert first_change.date() < retainer.start_date  # the history reads as the year it tells of
    for pool in (retainer, advice):
        billed = db.session.scalars(select(BilledPeriod).where(BilledPeriod.service_pool_id == pool.id)).all()
        assert len(billed) >= 12
        assert all(sum(c.share_pence for c in b.charges) == pool.cost_per_period_pence for b in billed)
    statuses = set(
        db.session.scalars(
            select(Invoice.status).join(SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id)
        )
    )
    assert statuses == {InvoiceStatus.PAID, InvoiceStatus.ISSUED}  # paid but for the latest months
    counts = _counts()
    demo.seed()
    db.session.commit()
    assert _counts() == counts
