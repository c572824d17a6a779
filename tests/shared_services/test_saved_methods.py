"""`bill-shared-services` queues a member's saved payment method for the charging job, as issuing from the web does."""

import pytest

from billing.models import InvoiceStatus, PaymentMethod
from kernel.extensions import db
from shared_services import services
from tests.billing.fake_stripe import CONFIG, FakeStripe
from tests.billing.test_saved_methods import payments_of, save_method
from tests.shared_services.conftest import make_pool, month_text
from tests.shared_services.test_billing import _invoices, _joined

stripe_on = pytest.mark.app_config(CONFIG | {"STRIPE_HTTP_CLIENT": FakeStripe()})


@pytest.fixture
def fake(app) -> FakeStripe:
    app.config["STRIPE_HTTP_CLIENT"] = fake = FakeStripe()
    return fake


@stripe_on
def test_the_billing_run_queues_saved_methods_and_the_job_charges_them(runner, world, offer, members, fake):
    pool = make_pool(world.secretary, offer, [world.consortium], cost_per_period_pence=30_000)
    _joined(pool, members)
    save_method(world.member)

    result = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])

    assert result.exit_code == 0, result.output
    assert fake.requests == []
    assert runner.invoke(args=["charge-saved-methods"]).exit_code == 0
    db.session.expire_all()
    invoices = {i.member_id: i for i in _invoices(pool.id, 1)}
    ours = invoices.pop(world.member.id)
    [call] = fake.to("/v1/payment_intents")
    assert (call.params["off_session"], call.params["payment_method"]) == ("true", "pm_card_visa")
    assert (call.params["amount"], call.params["metadata[invoice_id]"]) == (str(ours.total_pence), str(ours.id))
    assert call.params["return_url"].endswith(f"/invoices/{ours.id}")
    assert (ours.status, payments_of(ours)) == (InvoiceStatus.PAID, [(PaymentMethod.STRIPE, ours.total_pence)])
    assert [i.status for i in invoices.values()] == [InvoiceStatus.ISSUED, InvoiceStatus.ISSUED]

    again = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])
    assert again.exit_code == 0
    assert runner.invoke(args=["charge-saved-methods"]).exit_code == 0
    assert len(fake.to("/v1/payment_intents")) == 1


@stripe_on
def test_a_period_rolled_back_after_issuing_queues_nothing_until_it_is_billed_again(
    runner, world, offer, members, fake, monkeypatch
):
    pool = make_pool(world.secretary, offer, [world.consortium])
    _joined(pool, members)
    save_method(world.member)
    real_bill_period = services.bill_period

    def fail_after_issuing(*args, **kwargs):
        real_bill_period(*args, **kwargs)
        raise RuntimeError("the printer caught fire")

    monkeypatch.setattr(services, "bill_period", fail_after_issuing)

    result = runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)])

    assert result.exit_code == 1
    assert runner.invoke(args=["charge-saved-methods"]).exit_code == 0
    assert _invoices(pool.id, 1) == [] and fake.requests == []
    monkeypatch.undo()
    assert runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)]).exit_code == 0
    assert runner.invoke(args=["charge-saved-methods"]).exit_code == 0
    assert len(fake.to("/v1/payment_intents")) == 1
