"""What a secretary types into the payment and credit-note forms: odd input is a form error, never a 500."""

import pytest
from sqlalchemy import func, select

from billing.models import CreditNote, Payment
from kernel.extensions import db
from tests.factories import field_error, sign_in


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("amount", ["sNaN", "NaN", "Infinity", "-Infinity", "1e999999", "abc", "0", "-5"])
def test_an_amount_that_is_no_sum_of_money_is_shown_next_to_the_field(client, world, invoice, amount):
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": amount, "received_on": "2026-03-10", "reference": "BACS 1"}
    )
    assert response.status_code == 422
    assert field_error(response, "amount")
    assert count(Payment) == 0


@pytest.mark.parametrize("quantity", ["²", "１２", "1.5", "-1", "three"])
def test_units_to_credit_must_be_plain_digits(client, world, invoice, quantity):
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/credit-notes",
        data={
            "lines": [str(line.id) for line in invoice.lines],
            "goods_quantity": quantity,
            "reason": "Short delivery",
        },
    )
    assert response.status_code == 422
    assert "Enter a whole number of units." in response.get_data(as_text=True)
    assert count(CreditNote) == 0


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("10.001", "at most two decimal places"),
        ("0.005", "at most two decimal places"),
        ("1,2,3", "Write thousands as 1,234.56"),
        ("12,34.56", "Write thousands as 1,234.56"),
        ("10000000.01", "between"),
    ],
)
def test_a_payment_is_never_rounded_to_the_penny_behind_the_secretary(client, world, invoice, amount, message):
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": amount, "received_on": "2026-03-10", "reference": "BACS 1"}
    )
    assert response.status_code == 422
    assert message in field_error(response, "amount")
    assert count(Payment) == 0


@pytest.mark.parametrize(("amount", "pence"), [("1,234.56", 123456), ("£12.50", 1250), ("7", 700)])
def test_a_payment_typed_as_people_write_money_is_recorded_exactly(client, world, invoice, amount, pence):
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": amount, "received_on": "2026-03-10", "reference": "BACS 1"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Payment.amount_pence)) == pence
