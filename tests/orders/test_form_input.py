"""Odd input in the order and pool forms: an error next to the field, never a 500."""

import pytest

from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders.models import Pool, PurchaseOrderStatus
from tests.factories import field_error, sign_in
from tests.orders.conftest import make_pool


@pytest.fixture
def sent_order(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    return order


@pytest.mark.parametrize("units", ["²", "١٢", "１２", "1.5", "-1", "twelve"])
def test_delivered_units_must_be_plain_digits(client, world, sent_order, units):
    sign_in(client, world.supplier_user)
    response = client.post(f"/purchase-orders/{sent_order.id}/deliveries", data={f"delivered-{world.member.id}": units})
    assert response.status_code == 422
    assert field_error(response, f"delivered-{world.member.id}") == "Enter a whole number of units."
    assert sent_order.status is PurchaseOrderStatus.SENT


@pytest.mark.parametrize("charge", ["sNaN", "NaN", "Infinity", "1e999999", "12.345", "-5", "1,0,0"])
def test_a_delivery_charge_that_is_no_amount_is_a_form_error(client, world, offer, charge):
    sign_in(client, world.secretary)
    response = client.post(
        "/pools/new",
        data={
            "offer_id": offer.id,
            "consortium_ids": [world.consortium.id],
            "deadline": "2099-01-01T12:00",
            "delivery_charge": charge,
        },
    )
    assert response.status_code == 422
    assert field_error(response, "delivery_charge")
    assert db.session.scalar(db.select(db.func.count()).select_from(Pool)) == 0


def test_a_category_filter_in_other_digits_finds_nothing_rather_than_failing(client, world):
    sign_in(client, world.member_user)
    assert client.get("/pools/?category=²").status_code == 200
