"""Every figure a member is shown before the invoice is the invoice: the close preview (page and API), the
pool-closed email and the pool page show goods, delivery, handling fee, solidarity, VAT and the total to pay."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from billing import services as billing
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from organisations.models import TurnoverBand
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import breakdown, make_offer


@pytest.fixture
def pool(world):
    """10 boxes at £20.00 from our member (top band), 10 from a lowest-band member; £9.00 delivery, a 2.5%
    fee, 5% solidarity, a VAT-registered consortium: the member's invoice is
    goods £200.00 + delivery £4.50 + fee £5.00 + solidarity £10.00 = £219.50 net, VAT £43.90, £263.40."""
    world.consortium.organisation.vat_number = "GB284719365"
    world.consortium.handling_fee_percent = Decimal("2.5")
    world.member.turnover_band = TurnoverBand.OVER_2M
    offer = make_offer(world.supplier, tiers=(("1", "20.00"),), list_price="24.00")
    terms = pools.PoolTerms(
        deadline=utcnow() + timedelta(days=3), delivery_charge_pence=900, solidarity_rate_percent=Decimal(5)
    )
    pool = pools.create_pool(world.secretary, offer, [world.consortium], terms)
    pools.open_pool(world.secretary, pool)
    small = factories.member(world.network, "Wee Shop CIC", turnover_band=TurnoverBand.UNDER_100K)
    pools.pledge(world.member_user, pool.id, 10)
    pools.pledge(world.admin, pool.id, 10, member_id=small.id)
    db.session.commit()
    return pool


def invoice_of_our_member(world, pool):
    [order] = closing.close_pool(world.secretary, pool.id).purchase_orders
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    invoice = next(i for i in billing.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    return invoice


def test_the_pool_page_and_the_pledge_preview_show_the_invoice_to_come(client, world, pool):
    sign_in(client, world.member_user)
    expected = {
        "Goods": "£200.00",
        "Share of delivery": "£4.50",
        "Handling fee": "£5.00",
        "Solidarity": "£10.00",
        "VAT": "£43.90",
        "Total to pay": "£263.40",
    }
    assert breakdown(client.get(f"/pools/{pool.id}").get_data(as_text=True)) == expected
    preview = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "10", "action": "preview"}
    )
    assert (
        breakdown(preview.get_data(as_text=True), after='class="estimate"')
        == {"Unit price the pool would reach": "£20.00"} | expected
    )
    mine = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json["my_pledges"][0]
    assert (mine["estimate"]["solidarity_pence"], mine["estimate"]["total_pence"]) == (1000, 26340)

    invoice = invoice_of_our_member(world, pool)
    assert invoice.total_pence == 26340
    closed = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert breakdown(closed) == expected and "Re-Tweed Dundee CIC: the invoice for its allocation" in closed


def test_the_close_preview_shows_each_members_invoice_on_the_page_and_over_the_api(client, world, pool):
    sign_in(client, world.secretary)
    page = client.get(f"/pools/{pool.id}/close").get_data(as_text=True)
    row = re.search(r"<tr><td>Re-Tweed Dundee CIC</td>.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="num">(.*?)</td>', row)
    assert cells[-6:] == ["£200.00", "£4.50", "£5.00", "£10.00", "£43.90", "£263.40"]
    assert "the handling fee is 2.50% of the goods" in page
    plan = client.get(f"/api/v1/pools/{pool.id}/close-preview", headers=api_token(world.secretary)).json
    ours = next(m for m in plan["consortia"][0]["members"] if m["member_id"] == world.member.id)
    assert {key: ours[key] for key in ("goods_pence", "delivery_pence", "handling_fee_pence", "solidarity_pence")} == {
        "goods_pence": 20000,
        "delivery_pence": 450,
        "handling_fee_pence": 500,
        "solidarity_pence": 1000,
    }
    assert ours["vat"] == [{"vat_rate": "standard", "net_pence": 21950, "vat_pence": 4390}]

    invoice = invoice_of_our_member(world, pool)
    assert (invoice.net_pence, invoice.vat_pence, invoice.total_pence) == (
        ours["net_pence"],
        ours["vat_pence"],
        ours["total_pence"],
    )


def test_the_pool_closed_email_carries_the_invoice_breakdown_in_text_and_html(world, pool):
    invoice = invoice_of_our_member(world, pool)
    message = next(m for m in factories.outbox_messages("pool_closed") if m.to_email == "member@example.org")
    for line in (
        "goods                £200.00",
        "share of delivery    £4.50",
        "handling fee         £5.00",
        "solidarity           £10.00",
        "VAT                  £43.90",
        "total to pay         £263.40",
    ):
        assert line in message.body_text
    assert '<th scope="row">Handling fee</th><td align="right">£5.00</td>' in message.body_html
    assert '<td align="right"><strong>£263.40</strong></td>' in message.body_html
    assert invoice.total_pence == 26340


def test_the_pledge_answer_is_the_invoice_to_come_for_a_first_pledge_and_a_change(client, world, pool):
    """The estimate a pledge answers with is made under the pool's lock from the others' units by band, which
    PostgreSQL reads in the same statement as the pledge's writes: a first pledge's and a changed one's are
    each their member's invoice."""
    third = factories.member(world.network, "Third Shop CIC", turnover_band=TurnoverBand.OVER_2M)
    db.session.commit()
    ours = f"/api/v1/pools/{pool.id}/pledge", api_token(world.member_user)
    assert client.put(ours[0], headers=ours[1], json={"quantity": 14}).status_code == 200
    first = client.put(
        f"/api/v1/pools/{pool.id}/pledge", headers=api_token(world.admin), json={"quantity": 6, "member_id": third.id}
    )
    changed = client.put(ours[0], headers=ours[1], json={"quantity": 14})
    assert (first.status_code, changed.status_code) == (201, 200)
    assert first.json["estimate"]["solidarity_pence"] > 0 and changed.json["estimate"]["solidarity_pence"] > 0

    [order] = closing.close_pool(world.secretary, pool.id).purchase_orders
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    totals = {i.member_id: i.total_pence for i in billing.issue_invoices(world.secretary, order.id)}
    assert first.json["estimate"]["total_pence"] == totals[third.id]
    assert changed.json["estimate"]["total_pence"] == totals[world.member.id]
