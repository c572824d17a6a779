"""A consortium's own terms, set by the admin: orders sent on close, a handling fee, payment terms."""

from datetime import timedelta
from decimal import Decimal

import pytest

from billing import services
from billing.models import LineKind
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import PoolStatus, PurchaseOrderStatus
from organisations.models import Consortium
from tests.factories import field_error, organisation_form, sign_in
from tests.orders.conftest import make_offer, make_pool


def tayside_form(world, **terms) -> dict:
    consortium = world.consortium
    return (
        organisation_form(consortium.organisation.legal_name, city="Dundee", postcode="DD1 4HN")
        | {"name": consortium.name, "code": consortium.code}
        | terms
    )


def test_the_admin_sets_the_terms_and_the_close_and_the_invoices_follow_them(client, world):
    sign_in(client, world.admin)
    form = client.get(f"/admin/consortia/{world.consortium.id}").get_data(as_text=True)
    assert "Handling fee (% of goods)" in form and 'value="30"' in form
    saved = client.post(
        f"/admin/consortia/{world.consortium.id}",
        data=tayside_form(world, send_orders_on_close="y", handling_fee_percent="2.50", payment_terms_days="14"),
    )
    assert saved.status_code == 302
    db.session.expire_all()
    consortium = db.session.get(Consortium, world.consortium.id)
    assert (consortium.send_orders_on_close, consortium.handling_fee_percent, consortium.payment_terms_days) == (
        True,
        Decimal("2.50"),
        14,
    )

    offer = make_offer(world.supplier, tiers=(("1", "10.00"),))
    pool = make_pool(world.secretary, offer, [world.consortium])
    pools.pledge(world.member_user, pool.id, 10, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    assert order.status is PurchaseOrderStatus.SENT and pool.status is PoolStatus.ORDERED
    purchase_orders.record_delivery(world.supplier_user, order)
    [invoice] = services.issue_invoices(world.secretary, order.id)
    fee = [(line.description, line.net_pence) for line in invoice.lines if line.kind is LineKind.HANDLING_FEE]
    assert fee == [("Tayside consortium handling fee", 250)]  # 2.5% of £100.00
    assert invoice.due_date == invoice.issue_date + timedelta(days=14)


def test_leaving_the_terms_out_keeps_them(client, world):
    world.consortium.handling_fee_percent, world.consortium.payment_terms_days = Decimal("1.25"), 45
    db.session.commit()
    sign_in(client, world.admin)
    assert client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form(world)).status_code == 302
    db.session.expire_all()
    consortium = db.session.get(Consortium, world.consortium.id)
    assert (consortium.handling_fee_percent, consortium.payment_terms_days) == (Decimal("1.25"), 45)


@pytest.mark.parametrize(
    "field, value",
    [
        ("handling_fee_percent", "sNaN"),
        ("handling_fee_percent", "26"),
        ("handling_fee_percent", "-1"),
        ("handling_fee_percent", "1.005"),
        ("payment_terms_days", "-1"),
        ("payment_terms_days", "121"),
        ("payment_terms_days", "thirty"),
    ],
)
def test_bad_terms_are_shown_next_to_the_field_and_nothing_is_saved(client, world, field, value):
    sign_in(client, world.admin)
    response = client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form(world, **{field: value}))
    assert response.status_code == 422 and field_error(response, field)
    db.session.expire_all()
    consortium = db.session.get(Consortium, world.consortium.id)
    assert (consortium.handling_fee_percent, consortium.payment_terms_days) == (Decimal(0), 30)
