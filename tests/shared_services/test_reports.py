"""Shared-service invoices in the savings reports: spend, units at list price and pools joined agree to the penny."""

from billing import services as billing_services
from billing.models import Invoice
from kernel.extensions import db
from kernel.money import line_pence
from reports import savings
from shared_services import periods, services
from shared_services.models import AllocationKey, SharedServiceCharge
from tests import factories
from tests.shared_services.conftest import make_pool, month_text


def test_billed_periods_and_a_credit_note_show_in_every_level_of_the_savings_report(runner, world, offer, members):
    pool = make_pool(
        world.secretary, offer, [world.consortium], allocation_key=AllocationKey.UNITS, cost_per_period_pence=20_000
    )
    for (_, user), units in zip(members, (2, 3, 5), strict=True):
        services.join(user, pool.id, units)
    db.session.commit()
    for month in (pool.start_date, periods.add_months(pool.start_date, 1)):
        assert runner.invoke(args=["bill-shared-services", "--period", month_text(month)]).exit_code == 0
    credited = db.session.scalar(
        db.select(Invoice)
        .join(SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id)
        .where(Invoice.member_id == world.member.id, SharedServiceCharge.period == 2)
    )
    billing_services.issue_credit_note(world.secretary, credited, billing_services.full_credit(credited), "Not used")
    db.session.commit()

    member = savings.savings_report(savings.scope_for(world.admin, "member", world.member.id))
    # two periods of 2 units of 10 at £65 list: one credited, so 2 units (£130 at list) for £40.00
    assert (member.totals.invoices, member.totals.units, member.totals.list_value_pence, member.totals.spend_pence) == (
        2,
        2,
        line_pence(2, offer.list_price),
        4_000,
    )
    assert member.pools_joined == 1
    consortium = savings.savings_report(savings.scope_for(world.admin, "consortium", world.consortium.id))
    assert consortium.totals.spend_pence == 2 * 20_000 - 4_000
    assert consortium.totals.units == 2 * 10 - 2
    assert consortium.totals.list_value_pence == line_pence(18, offer.list_price)
    assert consortium.pools_joined == 1


def test_a_shared_retainer_saves_each_member_the_list_price_of_buying_it_alone_less_its_share(runner, world, members):
    """£2,000 a month shared equally by three, where each alone would pay the offer's £750 a month."""
    retainer = factories.offer(
        world.supplier, name="PR agency retainer", list_price="750.00", tiers=((6, "690.00"),), unit="month"
    )
    db.session.commit()
    pool = make_pool(
        world.secretary, retainer, [world.consortium], allocation_key=AllocationKey.EQUAL, cost_per_period_pence=200_000
    )
    for _, user in members:
        services.join(user, pool.id, None)
    db.session.commit()
    for month in (pool.start_date, periods.add_months(pool.start_date, 1)):
        assert runner.invoke(args=["bill-shared-services", "--period", month_text(month)]).exit_code == 0

    consortium = savings.savings_report(savings.scope_for(world.admin, "consortium", world.consortium.id))
    # two months of three retainers bought alone: 6 x £750 = £4,500, against 2 x £2,000 invoiced
    assert (consortium.totals.invoices, consortium.totals.units) == (6, 6)
    assert (consortium.totals.list_value_pence, consortium.totals.spend_pence) == (450_000, 400_000)
    assert consortium.totals.saving_pence == 50_000
    shares = sorted(
        db.session.scalars(db.select(SharedServiceCharge.share_pence).where(SharedServiceCharge.period == 1))
    )
    assert shares == [66_666, 66_667, 66_667]
    saved = {
        member.id: savings.savings_report(savings.scope_for(world.admin, "member", member.id)).totals
        for member, _ in members
    }
    assert sorted((t.list_value_pence, t.spend_pence, t.saving_pence) for t in saved.values()) == sorted(
        (150_000, 2 * share, 150_000 - 2 * share) for share in shares
    )
    assert sum(t.saving_pence for t in saved.values()) == 50_000
