"""Shared-service invoices in the savings reports: spend, units at list price and pools joined agree to the penny."""
from billing import services as billing_services
from billing.models import Invoice
from marketplace.extensions import db
from marketplace.money import line_pence
from reports import savings
from shared_services import periods, services
from shared_services.models import AllocationKey, SharedServiceCharge
from tests.shared_services.conftest import make_pool, month_text


def test_billed_periods_and_a_credit_note_show_in_every_level_of_the_savings_report(runner, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], allocation_key=AllocationKey.UNITS,
                     cost_per_period_pence=20_000)
    for (_, user), units in zip(members, (2, 3, 5)):
        services.join(user, pool.id, units)
    db.session.commit()
    for month in (pool.start_date, periods.add_months(pool.start_date, 1)):
        assert runner.invoke(args=["bill-shared-services", "--period", month_text(month)]).exit_code == 0
    credited = db.session.scalar(db.select(Invoice).join(SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id)
                                 .where(Invoice.member_id == world.member.id, SharedServiceCharge.period == 2))
    billing_services.issue_credit_note(world.secretary, credited, billing_services.full_credit(credited), "Not used")
    db.session.commit()

    member = savings.savings_report(savings.scope_for(world.admin, "member", world.member.id))
    # two periods of 2 units of 10 at £65 list: one credited, so 2 units (£130 at list) for £40.00
    assert (member.totals.invoices, member.totals.units, member.totals.list_value_pence, member.totals.spend_pence) == (
        2, 2, line_pence(2, offer.list_price), 4_000)
    assert member.pools_joined == 1
    consortium = savings.savings_report(savings.scope_for(world.admin, "consortium", world.consortium.id))
    assert consortium.totals.spend_pence == 2 * 20_000 - 4_000
    assert consortium.totals.units == 2 * 10 - 2
    assert consortium.totals.list_value_pence == line_pence(18, offer.list_price)
    assert consortium.pools_joined == 1
