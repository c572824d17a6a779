"""Bank transfers a secretary records: part, full and over-payments, refunds, and who may record them."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from threading import Barrier

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod
from billing.payments import apply_status, member_credit_pence, record_payment, record_refund, status_for
from kernel.clock import uk_today
from kernel.errors import Forbidden, ValidationFailed
from kernel.extensions import db
from organisations.models import Role, User
from tests import factories
from tests.billing.conftest import issued_invoice

RECEIVED = date(2026, 3, 20)


def pay(world, invoice, pence, reference="BACS TAY-000001"):
    payment = record_payment(world.secretary, invoice, pence, RECEIVED, reference)
    db.session.commit()
    return payment


def test_a_part_payment_leaves_the_rest_due(world, invoice):
    payment = pay(world, invoice, 5_000)

    assert (invoice.status, invoice.paid_pence, invoice.due_pence) == (InvoiceStatus.PART_PAID, 5_000, 7_000)
    assert (payment.method, payment.member_id, payment.recorded_by_id) == (
        PaymentMethod.BANK_TRANSFER,
        world.member.id,
        world.secretary.id,
    )
    assert member_credit_pence(world.member.id) == 0


def test_payments_that_reach_the_total_mark_it_paid(world, invoice):
    pay(world, invoice, 5_000)
    pay(world, invoice, 7_000, "BACS second half")

    assert (invoice.status, invoice.paid_pence, invoice.due_pence) == (InvoiceStatus.PAID, 12_000, 0)


def test_an_over_payment_is_paid_and_the_excess_held_as_credit(world, invoice):
    other = issued_invoice(world.member, net_pence=1_000, vat_pence=200)
    pay(world, invoice, 12_345)
    pay(world, other, 1_300)

    assert (invoice.status, invoice.due_pence) == (InvoiceStatus.PAID, 0)
    assert member_credit_pence(world.member.id) == 345 + 100
    assert member_credit_pence(world.other_member.id) == 0


def test_a_refund_is_a_negative_payment_and_moves_the_status_back(world, invoice):
    pay(world, invoice, 12_000)
    refund = record_refund(world.secretary, invoice, 2_000, RECEIVED, "Refund for damaged reams")
    db.session.commit()

    assert refund.amount_pence == -2_000
    assert (invoice.status, invoice.paid_pence, invoice.due_pence) == (InvoiceStatus.PART_PAID, 10_000, 2_000)


def test_refunding_an_over_payment_uses_up_the_credit(world, invoice):
    pay(world, invoice, 15_000)
    record_refund(world.secretary, invoice, 3_000, RECEIVED, "Excess returned")

    assert invoice.status is InvoiceStatus.PAID
    assert member_credit_pence(world.member.id) == 0


def test_no_more_can_be_refunded_than_was_paid(world, invoice):
    pay(world, invoice, 5_000)

    with pytest.raises(ValidationFailed) as caught:
        record_refund(world.secretary, invoice, 5_001, RECEIVED, "Too much")
    assert caught.value.status_code == 422
    assert "£50.00" in caught.value.fields["amount_pence"][0]
    with pytest.raises(ValidationFailed):
        record_refund(world.secretary, issued_invoice(world.member), 1, RECEIVED, "Nothing paid")


def test_credit_notes_covering_the_total_mark_it_credited(world, invoice):
    invoice.credited_pence = 12_000
    apply_status(invoice)
    assert invoice.status is InvoiceStatus.CREDITED

    part = issued_invoice(world.member)
    part.credited_pence = 2_000
    pay(world, part, 10_000)
    assert (part.status, part.due_pence) == (InvoiceStatus.PAID, 0)


def test_paid_is_recomputed_from_the_payments_themselves(world, invoice):
    pay(world, invoice, 4_000)
    invoice.paid_pence = 99_999

    apply_status(invoice)

    assert (invoice.paid_pence, invoice.status) == (4_000, InvoiceStatus.PART_PAID)


@pytest.mark.parametrize(
    "amount, received_on, reference, field",
    [
        (0, RECEIVED, "ref", "amount_pence"),
        (-100, RECEIVED, "ref", "amount_pence"),
        (True, RECEIVED, "ref", "amount_pence"),
        ("100", RECEIVED, "ref", "amount_pence"),
        (100, None, "ref", "received_on"),
        (100, "tomorrow", "ref", "received_on"),
        (100, RECEIVED, "   ", "reference"),
        (100, RECEIVED, None, "reference"),
        (100, RECEIVED, "x" * 141, "reference"),
    ],
)
def test_bad_payment_details_are_refused_by_field(world, invoice, amount, received_on, reference, field):
    with pytest.raises(ValidationFailed) as caught:
        record_payment(world.secretary, invoice, amount, received_on, reference)
    assert list(caught.value.fields) == [field]
    assert db.session.scalars(select(Payment)).all() == []


def test_money_cannot_arrive_in_the_future(world, invoice):
    with pytest.raises(ValidationFailed) as caught:
        record_payment(world.secretary, invoice, 100, uk_today() + timedelta(days=1), "ref")
    assert "future" in caught.value.fields["received_on"][0]

    payment = record_payment(world.secretary, invoice, 100, uk_today(), "  BACS 123  ")
    assert payment.reference == "BACS 123"


def test_only_the_invoices_secretary_or_an_admin_records_payments(world, invoice):
    other_secretary = factories.user(None, (Role.SECRETARY, world.other_consortium.id))
    for outsider in (other_secretary, world.member_user, world.supplier_user, world.stranger):
        with pytest.raises(Forbidden):
            record_payment(outsider, invoice, 100, RECEIVED, "ref")
        with pytest.raises(Forbidden):
            record_refund(outsider, invoice, 100, RECEIVED, "ref")

    record_payment(world.admin, invoice, 100, RECEIVED, "ref")
    assert invoice.paid_pence == 100


def test_two_payments_at_once_are_both_counted(app, world, invoice, postgresql_only):
    """The invoice row is locked while a payment is added, so neither sum misses the other."""
    start = Barrier(2)
    invoice_id, secretary_id = invoice.id, world.secretary.id

    def pay_half(reference):
        with app.app_context():
            secretary = db.session.get(User, secretary_id)
            target = db.session.get(Invoice, invoice_id)
            start.wait()
            record_payment(secretary, target, 6_000, RECEIVED, reference)
            db.session.commit()
            db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(pay_half, ["first", "second"]))

    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice_id)
    assert (invoice.paid_pence, invoice.status) == (12_000, InvoiceStatus.PAID)


pence = st.integers(0, 10**9)
ORDER = [InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID, InvoiceStatus.PAID]


@given(total=st.integers(1, 10**9), paid=pence, credited=pence)
def test_status_follows_the_sums(total, paid, credited):
    status = status_for(total, paid, credited)
    if credited >= total:
        assert status is InvoiceStatus.CREDITED
    elif paid + credited >= total:
        assert status is InvoiceStatus.PAID
    else:
        assert status is (InvoiceStatus.PART_PAID if paid else InvoiceStatus.ISSUED)


@given(total=st.integers(1, 10**9), paid=pence, more=st.integers(1, 10**9), credited=st.integers(0, 10**9))
def test_more_money_never_moves_an_invoice_back(total, paid, more, credited):
    credited = min(credited, total - 1)
    before, after = status_for(total, paid, credited), status_for(total, paid + more, credited)
    assert ORDER.index(after) >= ORDER.index(before)
