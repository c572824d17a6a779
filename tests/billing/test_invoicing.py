"""Invoicing members their cost shares: totals to the penny, numbering, credit notes, statements."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import pytest

from billing import services
from billing.models import CreditNote, Invoice, InvoiceStatus, LineKind
from kernel.clock import utcnow
from kernel.errors import Conflict
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import Pool, PoolStatus
from organisations.models import User
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer, make_pool


def delivered_order(
    world, *, price="2.1575", quantities=(7, 5, 9), delivery=999, short=None, fee=None, vat_number="GB284719365"
):
    world.consortium.organisation.vat_number = vat_number
    if fee is not None:
        world.consortium.handling_fee_percent = Decimal(fee)
    offer = make_offer(world.supplier, tiers=(("10", price),), list_price="2.50")
    pool = make_pool(world.secretary, offer, [world.consortium], delivery=delivery)
    members = [world.member] + [factories.member(world.network) for _ in quantities[1:]]
    for member, quantity in zip(members, quantities, strict=True):
        pools.pledge(world.admin, pool.id, quantity, member_id=member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order, short or {})
    db.session.commit()
    return order


def test_invoices_recover_exactly_the_order_total_plus_the_fee(world):
    order = delivered_order(world, fee="2.5")
    invoices = services.issue_invoices(world.secretary, order.id)
    db.session.commit()
    assert len(invoices) == 3
    fee = (order.goods_pence * 25 + 500) // 1000
    assert sum(i.net_pence for i in invoices) == order.goods_pence + order.delivery_charge_pence + fee
    goods = {i.member_id: next(line for line in i.lines if line.kind is LineKind.GOODS) for i in invoices}
    assert all(abs(line.net_pence - line.quantity * Decimal("215.75")) <= 1 for line in goods.values())
    year = utcnow().year
    assert sorted(i.number for i in invoices) == [f"TAY-{year}-00000{n}" for n in (1, 2, 3)]
    assert all(i.total_pence == i.net_pence + i.vat_pence for i in invoices)
    assert db.session.get(Pool, order.pool_id).status is PoolStatus.INVOICED


def test_vat_is_per_rate_on_the_summed_net(world):
    order = delivered_order(world, quantities=(7,), delivery=333)
    invoice = services.issue_invoices(world.secretary, order.id)[0]
    assert [(v.vat_rate.value, v.net_pence, v.vat_pence) for v in invoice.vat_lines] == [
        ("standard", invoice.net_pence, (invoice.net_pence * 20 + 50) // 100)
    ]


def test_a_consortium_not_registered_for_vat_charges_none(world):
    order = delivered_order(world, quantities=(7,), vat_number=None)
    invoice = services.issue_invoices(world.secretary, order.id)[0]
    assert invoice.vat_pence == 0 and {v.vat_rate.value for v in invoice.vat_lines} == {"exempt"}


def test_issuing_twice_issues_nothing_new(world):
    order = delivered_order(world)
    assert len(services.issue_invoices(world.secretary, order.id)) == 3
    assert services.issue_invoices(world.secretary, order.id) == []
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 3


def test_a_short_delivery_is_invoiced_on_delivered_units(world):
    order = delivered_order(world, short={world.member.id: 4})
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    assert next(line for line in invoice.lines if line.kind is LineKind.GOODS).quantity == 4


def test_an_undelivered_order_cannot_be_invoiced(world):
    offer = make_offer(world.supplier)
    pool = make_pool(world.secretary, offer, [world.consortium])
    pools.pledge(world.admin, pool.id, 5, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    with pytest.raises(Conflict):
        services.issue_invoices(world.secretary, order.id)


def test_credit_note_for_a_short_delivery_and_a_full_credit(world):
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    goods = next(line for line in invoice.lines if line.kind is LineKind.GOODS)
    note = services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 2)], "2 boxes missing")
    db.session.commit()
    assert note.number == f"TAY-CN-{utcnow().year}-000001"
    assert note.net_pence == 432 and note.vat_pence == 86  # 2 x £2.1575 = £4.315 -> £4.32; VAT 20%
    assert invoice.credited_pence == note.total_pence and invoice.status is InvoiceStatus.ISSUED
    rest = services.issue_credit_note(world.secretary, invoice, services.full_credit(invoice), "Cancelled")
    assert [line.quantity for line in rest.lines if line.kind is LineKind.GOODS] == [goods.quantity - 2]
    assert invoice.credited_pence == invoice.total_pence and invoice.status is InvoiceStatus.CREDITED
    with pytest.raises(Conflict, match=r"Only £0\.00 is left to credit"):
        services.issue_credit_note(world.secretary, invoice, [services.CreditItem(goods.id, 1)], "too much")
    db.session.rollback()
    other = next(i for i in db.session.scalars(db.select(Invoice)) if i.member_id != world.member.id)
    services.issue_credit_note(world.secretary, other, services.full_credit(other), "Cancelled")
    assert other.status is InvoiceStatus.CREDITED and other.due_pence == 0


def test_member_sees_invoice_page_pays_by_bank_and_statement_agrees(client, world):
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    sign_in(client, world.secretary)
    bad = client.post(
        f"/invoices/{invoice.id}/payments", data={"amount": "-5", "received_on": "2026-11-01", "reference": "x"}
    )
    assert bad.status_code == 422
    half = invoice.total_pence // 2
    ok = client.post(
        f"/invoices/{invoice.id}/payments",
        data={
            "amount": f"{half // 100}.{half % 100:02d}",
            "received_on": utcnow().date().isoformat(),
            "reference": "BACS 1",
        },
    )
    assert ok.status_code == 302
    db.session.refresh(invoice)
    assert invoice.status is InvoiceStatus.PART_PAID and invoice.paid_pence == half
    client.post("/sign-out")
    sign_in(client, world.member_user)
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert invoice.number in page and "part paid" in page
    statement = client.get("/statement").get_data(as_text=True)
    assert invoice.number in statement and "BACS 1" in statement
    api = client.get("/api/v1/statement", headers=api_token(world.member_user)).json
    assert api["balance_pence"] == invoice.total_pence - half == api["due_pence"]
    assert [e["kind"] for e in api["entries"]] == ["invoice", "payment"]


def test_invoice_over_the_api_and_its_documents(client, world):
    order = delivered_order(world)
    headers = api_token(world.secretary)
    issued = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers)
    assert issued.status_code == 201 and len(issued.json) == 3
    again = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=headers)
    assert again.status_code == 200 and again.json == []
    invoice_id = issued.json[0]["id"]
    body = client.get(f"/api/v1/invoices/{invoice_id}", headers=headers).json
    assert body["total_pence"] == body["net_pence"] + body["vat_pence"]
    assert sum(line["net_pence"] for line in body["lines"]) == body["net_pence"]
    assert sum(v["vat_pence"] for v in body["vat_breakdown"]) == body["vat_pence"]
    assert body["due_pence"] == body["total_pence"] and body["purchase_order_id"] == order.id
    pdf = client.get(f"/api/v1/invoices/{invoice_id}.pdf", headers=headers)
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    xml = client.get(f"/api/v1/invoices/{invoice_id}.xml", headers=headers)
    assert xml.mimetype == "application/xml" and body["number"].encode() in xml.data
    paid = client.post(
        f"/api/v1/invoices/{invoice_id}/payments",
        headers=headers,
        json={"amount_pence": body["total_pence"], "received_on": utcnow().date().isoformat(), "reference": "BACS"},
    )
    assert paid.status_code == 201
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=headers).json["status"] == "paid"
    credit = client.post(f"/api/v1/invoices/{issued.json[1]['id']}/credit-notes", headers=headers, json={"reason": ""})
    assert credit.status_code == 422 and "reason" in credit.json["error"]["fields"]
    full = client.post(
        f"/api/v1/invoices/{issued.json[1]['id']}/credit-notes", headers=headers, json={"reason": "Returned"}
    )
    assert full.status_code == 201 and full.json["total_pence"] == issued.json[1]["total_pence"]


def test_who_sees_an_invoice(client, world):
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    other = next(i for i in db.session.scalars(db.select(Invoice)) if i.member_id != world.member.id)
    lothians = factories.user(None, (factories.Role.SECRETARY, world.other_consortium.id))
    db.session.commit()
    expected = [
        (world.member_user, invoice, 200),
        (world.member_user, other, 404),
        (world.secretary, other, 200),
        (lothians, invoice, 404),
        (world.supplier_user, invoice, 403),
        (world.admin, invoice, 200),
    ]
    for user, target, status in expected:
        assert client.get(f"/api/v1/invoices/{target.id}", headers=api_token(user)).status_code == status


def test_secretary_billing_page_issues_invoices_and_exports_for_xero(client, world):
    order = delivered_order(world)
    sign_in(client, world.secretary)
    page = client.get(f"/billing/{world.consortium.id}").get_data(as_text=True)
    assert order.number in page
    assert client.post(f"/purchase-orders/{order.id}/invoices").status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 3
    export = client.get(f"/billing/{world.consortium.id}/xero.csv")
    assert export.mimetype == "text/csv" and "InvoiceNumber" in export.get_data(as_text=True)


def test_two_invoice_runs_at_once_issue_one_gapless_set(app, world, postgresql_only):
    orders = [delivered_order(world) for _ in range(2)]
    order_ids = [o.id for o in orders] * 3
    secretary_id = world.secretary.id
    barrier = Barrier(len(order_ids))

    def run(order_id):
        with app.app_context():
            barrier.wait(timeout=30)
            issued = services.issue_invoices(db.session.get(User, secretary_id), order_id)
            numbers = [i.number for i in issued]
            db.session.commit()
            return numbers

    with ThreadPoolExecutor(max_workers=len(order_ids)) as executor:
        numbers = [n for batch in executor.map(run, order_ids) for n in batch]
    assert len(numbers) == 6 == len(set(numbers))
    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 7))
    assert db.session.scalar(db.select(db.func.count()).select_from(CreditNote)) == 0


@pytest.mark.parametrize("units", ["²", "2.5"])
def test_units_to_credit_that_are_not_a_whole_number_are_a_form_error(client, world, invoice, units):
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/credit-notes",
        data={"lines": [invoice.lines[0].id], "goods_quantity": units, "reason": "Short delivery"},
    )
    assert response.status_code == 422 and "Enter a whole number of units." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(CreditNote)) == 0
