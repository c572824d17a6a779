"""Purchase orders after closing: sending, confirming, delivering, and who sees what."""

import csv
import io

import pytest

from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders import views as order_views
from orders.models import Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer, make_pool


@pytest.fixture
def order(world):
    offer = make_offer(world.supplier, pack_size=1, tiers=(("10", "2.1575"),), list_price="2.50")
    pool = make_pool(world.secretary, offer, [world.consortium], delivery=999)
    services.pledge(world.member_user, pool.id, 7, member_id=world.member.id)
    for quantity in (5, 9):
        member = factories.member(world.network)
        services.pledge(world.admin, pool.id, quantity, member_id=member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    db.session.commit()
    return order


def test_secretary_sends_supplier_confirms_and_records_a_short_delivery(client, world, order):
    sign_in(client, world.supplier_user)
    assert client.get(f"/purchase-orders/{order.id}").status_code == 404  # drafts stay with the consortium
    client.post("/sign-out")

    sign_in(client, world.secretary)
    page = client.get(f"/purchase-orders/{order.id}").get_data(as_text=True)
    assert order.number in page and "Re-Tweed Dundee CIC" in page and "£45.31" in page  # 21 x £2.1575
    assert client.post(f"/purchase-orders/{order.id}/send").status_code == 302
    assert db.session.get(Pool, order.pool_id).status is PoolStatus.ORDERED
    client.post("/sign-out")

    sign_in(client, world.supplier_user)
    assert order.number in client.get("/purchase-orders/").get_data(as_text=True)
    assert client.post(f"/purchase-orders/{order.id}/confirm").status_code == 302
    bad = client.post(f"/purchase-orders/{order.id}/deliveries", data={f"delivered-{world.member.id}": "99"})
    assert bad.status_code == 422 and "Enter a whole number from 0 to 7." in bad.get_data(as_text=True)
    done = client.post(f"/purchase-orders/{order.id}/deliveries", data={f"delivered-{world.member.id}": "4"})
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(PurchaseOrder, order.id)
    assert stored.status is PurchaseOrderStatus.DELIVERED
    assert {a.member_id: a.delivered_units for a in stored.allocations}[world.member.id] == 4
    assert purchase_orders.delivered_units(stored) == 18 and purchase_orders.is_short(stored)
    assert db.session.get(Pool, order.pool_id).status is PoolStatus.DELIVERED
    assert "short delivery: 18 of 21" in client.get(f"/purchase-orders/{order.id}").get_data(as_text=True)


def test_steps_out_of_order_are_conflicts(client, world, order):
    headers = api_token(world.secretary)
    assert client.post(f"/api/v1/purchase-orders/{order.id}/deliveries", headers=headers, json={}).status_code == 409
    assert client.post(f"/api/v1/purchase-orders/{order.id}/send", headers=headers).status_code == 200
    assert client.post(f"/api/v1/purchase-orders/{order.id}/send", headers=headers).status_code == 409
    assert client.post(f"/api/v1/purchase-orders/{order.id}/confirm", headers=headers).status_code == 403


def test_who_sees_a_purchase_order(client, world, order):
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    other_supplier_user = factories.user(None, (factories.Role.SUPPLIER, world.other_supplier.id))
    lothians_secretary = factories.user(None, (factories.Role.SECRETARY, world.other_consortium.id))
    db.session.commit()
    for user, status in [
        (world.admin, 200),
        (world.secretary, 200),
        (world.supplier_user, 200),
        (other_supplier_user, 404),
        (lothians_secretary, 404),
        (world.member_user, 403),
    ]:
        assert client.get(f"/api/v1/purchase-orders/{order.id}", headers=api_token(user)).status_code == status


def test_order_over_the_api_has_allocations_that_sum_to_the_goods_line(client, world, order):
    document = client.get(f"/api/v1/purchase-orders/{order.id}", headers=api_token(world.secretary)).json
    assert document["units"] == 21 and document["unit_price"] == "2.1575"
    assert document["lines"][0] == {
        "description": "A4 copier paper (per box, packs of 1)",
        "units": 21,
        "unit_price": "2.1575",
        "total_pence": 4531,
    }
    assert document["lines"][1]["total_pence"] == 999
    assert sum(a["total_pence"] for a in document["allocations"]) == 4531
    assert all(abs(a["total_pence"] - a["units"] * 215.75) <= 1 for a in document["allocations"])
    listing = client.get("/api/v1/purchase-orders", headers=api_token(world.secretary)).json
    assert listing["total"] == 1 and listing["items"][0]["number"] == order.number


def test_deliveries_over_the_api_validate_each_member(client, world, order):
    headers = api_token(world.secretary)
    client.post(f"/api/v1/purchase-orders/{order.id}/send", headers=headers)
    bad = client.post(
        f"/api/v1/purchase-orders/{order.id}/deliveries",
        headers=headers,
        json={"deliveries": [{"member_id": world.member.id, "units": 8}, {"member_id": 99999, "units": 1}]},
    )
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {
        f"deliveries.{world.member.id}",
        "deliveries.99999",
    }
    ok = client.post(
        f"/api/v1/purchase-orders/{order.id}/deliveries",
        headers=api_token(world.supplier_user),
        json={"deliveries": [{"member_id": world.member.id, "units": 6}]},
    )
    assert ok.status_code == 200 and ok.json["status"] == "delivered"
    assert sorted(a["delivered_units"] for a in ok.json["allocations"]) == [5, 6, 9]


def test_order_csv_opens_in_a_spreadsheet(client, world, order):
    sign_in(client, world.secretary)
    response = client.get(f"/purchase-orders/{order.id}.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["Order", "Consortium", "Supplier", "Offer"]
    members = [r for r in rows[1:] if r[7] not in ("Total", "")]
    assert sum(int(r[8]) for r in members) == 21
    totals = next(r for r in rows if r[7] == "Total")
    assert totals[11] == "45.31"
    api_csv = client.get(
        f"/api/v1/purchase-orders/{order.id}", headers=api_token(world.secretary) | {"Accept": "text/csv"}
    )
    assert api_csv.mimetype == "text/csv" and order.number in api_csv.get_data(as_text=True)


def test_cancelling_an_order_needs_a_reason(client, world, order):
    sign_in(client, world.secretary)
    cancel = f"/purchase-orders/{order.id}/cancel"
    assert f'<a class="btn btn-danger" href="{cancel}">' in client.get(f"/purchase-orders/{order.id}").get_data(
        as_text=True
    )
    assert "Cancel purchase order" in client.get(cancel).get_data(as_text=True)
    assert client.post(cancel, data={"reason": "Supplier closed"}).status_code == 303
    assert client.post(cancel, data={"confirmed": "yes", "reason": ""}).status_code == 422
    assert client.post(cancel, data={"confirmed": "yes", "reason": "Supplier closed"}).status_code == 302
    db.session.refresh(order)
    assert order.status is PurchaseOrderStatus.CANCELLED and order.cancel_reason == "Supplier closed"


@pytest.mark.parametrize("units", ["²", "-1", "9" * 25])
def test_delivered_units_that_are_not_a_whole_number_in_range_are_a_form_error(client, world, order, units):
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    sign_in(client, world.secretary)
    response = client.post(f"/purchase-orders/{order.id}/deliveries", data={f"delivered-{world.member.id}": units})
    assert response.status_code == 422
    assert db.session.get(PurchaseOrder, order.id).status is PurchaseOrderStatus.SENT


def test_a_large_order_shows_its_delivery_breakdown_a_page_at_a_time(client, world, order, monkeypatch):
    monkeypatch.setattr(order_views, "ALLOCATIONS_PER_PAGE", 2)
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    names = [a.member_name for a in order.allocations]
    sign_in(client, world.secretary)
    first = client.get(f"/purchase-orders/{order.id}").get_data(as_text=True)
    assert "members 1 to 2 of 3" in first and names[0] in first and names[1] in first and names[2] not in first
    second = client.get(f"/purchase-orders/{order.id}?page=2").get_data(as_text=True)
    assert "members 3 to 3 of 3" in second and names[2] in second and names[0] not in second
    assert f'action="/purchase-orders/{order.id}/deliveries?page=2"' in second
    assert "the members on other pages are recorded as having received all theirs" in second

    last = order.allocations[2]
    done = client.post(f"/purchase-orders/{order.id}/deliveries?page=2", data={f"delivered-{last.member_id}": "1"})
    assert done.status_code == 302
    db.session.expire_all()
    stored = db.session.get(PurchaseOrder, order.id)
    assert [a.delivered_units for a in stored.allocations] == [a.units for a in stored.allocations[:2]] + [1]
