"""Suppliers get each purchase order as PDF: its line in the offer's units, the price, totals and deliveries."""

import io

import pytest
from pypdf import PdfReader

from kernel.extensions import db
from orders import closing, purchase_orders, services
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool


@pytest.fixture
def order(world):
    """35 reams in packs of 5 at £2.1575 a ream (the tier from 10), plus £9.99 delivery, for three members."""
    offer = make_offer(
        world.supplier, unit="ream", pack_size=5, tiers=(("10", "2.1575"),), list_price="2.50", name="A4 paper"
    )
    pool = make_pool(world.secretary, offer, [world.consortium], delivery=999)
    services.pledge(world.member_user, pool.id, 15, member_id=world.member.id)
    for quantity in (10, 10):
        services.pledge(world.admin, pool.id, quantity, member_id=factories.member(world.network).id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    return order


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("who", ["supplier_user", "secretary"])
def test_the_supplier_and_the_secretary_download_the_order_as_pdf(client, world, order, who):
    sign_in(client, getattr(world, who))
    page = client.get(f"/purchase-orders/{order.id}").get_data(as_text=True)
    assert f'href="/purchase-orders/{order.id}.pdf">Download as PDF</a>' in page

    response = client.get(f"/purchase-orders/{order.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{order.number}.pdf"'
    text = text_of(response.data)

    assert "PURCHASE ORDER" in text and order.number in text and world.supplier.name in text
    assert order.units == 35 and order.goods_pence == 7551 and order.total_pence == 8550
    assert "A4 paper 35 reams (7 packs of 5 reams) £2.1575 £75.51" in text
    assert "Delivery charge £9.99" in text
    assert "£85.50" in text
    assert "Price agreed: £2.1575 a ream." in text
    members = {a.member_name: a.units for a in order.allocations}
    assert sorted(members.values()) == [10, 10, 15]
    for name, units in members.items():
        assert f"{name} {units} reams" in text


def test_a_member_gets_no_purchase_order_pdf(client, world, order):
    sign_in(client, world.member_user)
    assert client.get(f"/purchase-orders/{order.id}.pdf").status_code == 403
