"""`bill-shared-services`: each period billed once, exactly the cost, through the billing service."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from billing import services as billing_services
from billing.models import Invoice, LineKind
from kernel.extensions import db
from shared_services import cli, periods, services
from shared_services.models import AllocationKey, BilledPeriod, ServicePool, ServicePoolStatus, SharedServiceCharge
from tests.shared_services.conftest import make_pool, month_text


def _invoices(pool_id: int, period: int) -> list[Invoice]:
    return list(
        db.session.scalars(
            db.select(Invoice)
            .join(SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id)
            .where(SharedServiceCharge.service_pool_id == pool_id, SharedServiceCharge.period == period)
            .order_by(Invoice.member_id)
        )
    )


def _joined(pool, members, units=None):
    for (_member, user), n in zip(members, units or [None] * len(members), strict=True):
        services.join(user, pool.id, n)
    db.session.commit()


def test_two_periods_billed_the_invoices_sum_exactly_to_the_cost(runner, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], cost_per_period_pence=100_001)
    _joined(pool, members)
    second = periods.add_months(pool.start_date, 1)

    result = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])
    assert result.exit_code == 0, result.output
    assert "1 periods billed (3 invoices)" in result.output
    result = runner.invoke(args=["bill-shared-services", "--period", month_text(second)])
    assert result.exit_code == 0, result.output

    db.session.expire_all()
    assert db.session.get(ServicePool, pool.id).status is ServicePoolStatus.ACTIVE
    for period in (1, 2):
        invoices = _invoices(pool.id, period)
        assert sum(i.net_pence for i in invoices) == 100_001
        # headcounts 10, 3 and 7 of 20: exact shares 50,000.5, 15,000.15, 35,000.35
        assert [i.net_pence for i in invoices] == [50_001, 15_000, 35_000]
        assert all(i.purchase_order_id is None and i.lines[0].kind is LineKind.SERVICE for i in invoices)
        assert all(i.vat_pence == 0 and i.seller_name == "Tayside" for i in invoices)  # an unregistered consortium
        assert {i.supply_date for i in invoices} == {periods.period_start(pool.start_date, 1, period)}
        # What was bought, in the members' words: "<service>, <month year>", never an internal id.
        month = periods.period_start(pool.start_date, 1, period).strftime("%b %Y")
        assert {i.reference for i in invoices} == {f"{offer.name}, {month}"}
    charges = db.session.scalars(db.select(SharedServiceCharge).where(SharedServiceCharge.period == 1)).all()
    assert {(c.units, c.list_unit_price) for c in charges} == {(1, offer.list_price)}
    numbers = sorted(i.number for p in (1, 2) for i in _invoices(pool.id, p))
    assert len(set(numbers)) == 6


def test_running_twice_bills_nothing_twice(runner, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium])
    _joined(pool, members)
    args = ["bill-shared-services", "--period", month_text(periods.add_months(pool.start_date, 1))]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code == 0 and "0 periods billed (0 invoices)" in again.output
    assert db.session.scalar(db.select(db.func.count()).select_from(BilledPeriod)) == 2
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 6


def test_pledged_units_split_the_cost_and_are_kept_for_the_savings_report(runner, world, offer, members):
    pool = make_pool(
        world.secretary, offer, [world.consortium], allocation_key=AllocationKey.UNITS, cost_per_period_pence=30_000
    )
    _joined(pool, members, [1, 2, 3])
    assert runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)]).exit_code == 0
    charges = db.session.scalars(db.select(SharedServiceCharge).order_by(SharedServiceCharge.member_id)).all()
    assert [(c.units, c.share_pence) for c in charges] == [(1, 5_000), (2, 10_000), (3, 15_000)]
    assert all(c.invoice.net_pence == c.share_pence for c in charges)


def test_a_failure_half_way_leaves_nothing_billed_for_that_period_and_a_rerun_completes_it(
    runner, world, offer, members, monkeypatch
):
    pool = make_pool(world.secretary, offer, [world.consortium])
    _joined(pool, members)
    real_issue = billing_services.issue_invoice
    calls = []

    def failing_issue(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the mail merge fell over")
        return real_issue(*args, **kwargs)

    monkeypatch.setattr(billing_services, "issue_invoice", failing_issue)
    failed = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])
    assert failed.exit_code == 1
    assert "nothing billed: the mail merge fell over" in failed.output
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(BilledPeriod)) == 0
    assert db.session.get(ServicePool, pool.id).status is ServicePoolStatus.ACTIVE  # its start stands

    monkeypatch.setattr(billing_services, "issue_invoice", real_issue)
    rerun = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])
    assert rerun.exit_code == 0, rerun.output
    assert sum(i.net_pence for i in _invoices(pool.id, 1)) == pool.cost_per_period_pence
    assert len(_invoices(pool.id, 1)) == 3


def test_the_last_period_ends_the_pool_and_a_pool_below_its_minimum_is_cancelled(runner, world, offer, members):
    ending = make_pool(world.secretary, offer, [world.consortium], term_periods=2, notice_periods=0)
    short = make_pool(world.secretary, offer, [world.consortium], minimum_participants=3)
    _joined(ending, members)
    services.join(members[0][1], short.id)
    db.session.commit()
    result = runner.invoke(
        args=["bill-shared-services", "--period", month_text(periods.add_months(ending.start_date, 5))]
    )
    assert result.exit_code == 0, result.output
    assert f"Shared-service pool {short.id} cancelled: Only 1 member joined" in result.output
    db.session.expire_all()
    assert db.session.get(ServicePool, ending.id).status is ServicePoolStatus.ENDED
    assert db.session.get(ServicePool, short.id).status is ServicePoolStatus.CANCELLED
    assert db.session.scalar(db.select(db.func.count()).select_from(BilledPeriod)) == 2


def test_a_bad_month_is_refused(runner):
    result = runner.invoke(args=["bill-shared-services", "--period", "March"])
    assert result.exit_code == 2 and "YYYY-MM" in result.output


def test_two_runs_at_once_bill_each_period_once(app, world, offer, members, postgresql_only):
    pool = make_pool(world.secretary, offer, [world.consortium])
    _joined(pool, members)
    through = periods.add_months(pool.start_date, 2)
    runs = 4
    barrier = Barrier(runs)

    def run(_):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                return cli.bill_due(through, through)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=runs) as executor:
        results = list(executor.map(run, range(runs)))
    assert sum(r.billed for r in results) == 3 and not any(r.failed for r in results)
    db.session.expire_all()
    assert sorted(db.session.scalars(db.select(BilledPeriod.period))) == [1, 2, 3]
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 9
    for period in (1, 2, 3):
        assert sum(i.net_pence for i in _invoices(pool.id, period)) == pool.cost_per_period_pence
