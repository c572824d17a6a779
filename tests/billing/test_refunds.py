"""The secretary records a refund, from the invoice page or the API: money paid back, never more than was paid."""

from sqlalchemy import select

from billing.models import InvoiceStatus, Payment
from billing.payments import member_credit_pence, record_payment
from kernel.clock import uk_today
from kernel.extensions import db
from tests.factories import api_token, field_error, sign_in


def over_pay(world, invoice):
    record_payment(world.secretary, invoice, 15_000, uk_today(), "BACS 150.00")
    db.session.commit()


def test_an_over_payment_refunded_from_the_invoice_page_leaves_no_credit(client, world, invoice):
    over_pay(world, invoice)
    sign_in(client, world.secretary)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Record a refund" in page and "up to the £150.00 paid" in page
    response = client.post(
        f"/invoices/{invoice.id}/refunds",
        data={"amount": "30.00", "paid_on": uk_today().isoformat(), "reference": "Excess returned"},
    )
    assert response.status_code == 302
    db.session.refresh(invoice)
    assert (invoice.status, invoice.paid_pence) == (InvoiceStatus.PAID, 12_000)
    assert member_credit_pence(world.member.id) == 0
    refund = db.session.scalars(select(Payment).where(Payment.amount_pence < 0)).one()
    assert (refund.amount_pence, refund.reference) == (-3_000, "Excess returned")
    client.post("/sign-out")
    sign_in(client, world.member_user)
    statement = client.get("/statement").get_data(as_text=True)
    assert "Excess returned" in statement and "refund" in statement


def test_refunding_more_than_was_paid_is_an_error_next_to_the_amount(client, world, invoice):
    over_pay(world, invoice)
    sign_in(client, world.secretary)
    for amount in ("150.01", "sNaN", "0"):
        response = client.post(
            f"/invoices/{invoice.id}/refunds",
            data={"amount": amount, "paid_on": uk_today().isoformat(), "reference": "Too much"},
        )
        assert response.status_code == 422 and field_error(response, "amount"), amount
    future = client.post(
        f"/invoices/{invoice.id}/refunds", data={"amount": "1.00", "paid_on": "2999-01-01", "reference": "Later"}
    )
    assert future.status_code == 422 and field_error(future, "paid_on")
    assert db.session.scalars(select(Payment).where(Payment.amount_pence < 0)).all() == []


def test_nothing_paid_means_no_refund_form(client, world, invoice):
    sign_in(client, world.secretary)
    assert "Record a refund" not in client.get(f"/invoices/{invoice.id}").get_data(as_text=True)


def test_refunds_over_the_api(client, world, invoice):
    over_pay(world, invoice)
    headers = api_token(world.secretary)
    too_much = client.post(
        f"/api/v1/invoices/{invoice.id}/refunds",
        headers=headers,
        json={"amount_pence": 15_001, "received_on": uk_today().isoformat(), "reference": "Too much"},
    )
    assert too_much.status_code == 422 and "amount_pence" in too_much.json["error"]["fields"]
    done = client.post(
        f"/api/v1/invoices/{invoice.id}/refunds",
        headers=headers,
        json={"amount_pence": 5_000, "received_on": uk_today().isoformat(), "reference": "Damaged reams"},
    )
    assert done.status_code == 201 and done.json["amount_pence"] == -5_000
    body = client.get(f"/api/v1/invoices/{invoice.id}", headers=headers).json
    assert (body["status"], body["paid_pence"], body["due_pence"]) == ("part_paid", 10_000, 2_000)
    member = client.post(
        f"/api/v1/invoices/{invoice.id}/refunds",
        headers=api_token(world.member_user),
        json={"amount_pence": 1, "received_on": uk_today().isoformat(), "reference": "Me"},
    )
    assert member.status_code == 403
    assert "/api/v1/invoices/{invoice_id}/refunds" in client.get("/api/v1/openapi.json").json["paths"]
