"""A pool's solidarity rate, from the secretary's form to the invoices: its own line, total unchanged."""

from datetime import timedelta
from decimal import Decimal

from billing import services
from billing.models import LineKind
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import Pool
from organisations.models import TurnoverBand
from tests import factories
from tests.factories import api_token, field_error, sign_in
from tests.orders.conftest import make_offer


def pool_form(offer, consortium, rate):
    return {
        "offer_id": offer.id,
        "consortium_ids": [consortium.id],
        "deadline": "2099-01-01T12:00",
        "delivery_charge": "9.00",
        "solidarity_rate": rate,
    }


def test_the_secretary_sets_a_solidarity_rate_and_members_see_it(client, world):
    offer = make_offer(world.supplier)
    sign_in(client, world.secretary)
    for bad in ("30", "-1", "1.234", "sNaN"):
        response = client.post("/pools/new", data=pool_form(offer, world.consortium, bad))
        assert response.status_code == 422 and field_error(response, "solidarity_rate"), bad
    assert client.post("/pools/new", data=pool_form(offer, world.consortium, "2.5")).status_code == 302
    pool = db.session.scalar(db.select(Pool))
    assert pool.solidarity_rate_percent == Decimal("2.50")
    pools.open_pool(world.secretary, pool)
    db.session.commit()
    client.post("/sign-out")
    sign_in(client, world.member_user)
    assert "2.50%: paid by the top turnover band" in client.get(f"/pools/{pool.id}").get_data(as_text=True)


def test_the_api_takes_and_shows_the_solidarity_rate(client, world):
    offer = make_offer(world.supplier)
    db.session.commit()
    headers = api_token(world.secretary)
    body = {"offer_id": offer.id, "consortium_ids": [world.consortium.id], "deadline": "2099-01-01T12:00:00+00:00"}
    assert client.post("/api/v1/pools", headers=headers, json=body).json["solidarity_rate_percent"] == "0.00"
    made = client.post("/api/v1/pools", headers=headers, json=body | {"solidarity_rate_percent": "3.75"})
    assert made.status_code == 201 and made.json["solidarity_rate_percent"] == "3.75"
    for bad in ("abc", "26", "NaN", "0.125", True):
        refused = client.post("/api/v1/pools", headers=headers, json=body | {"solidarity_rate_percent": bad})
        assert refused.status_code == 422 and "solidarity_rate_percent" in refused.json["error"]["fields"], bad


def test_invoices_carry_the_surcharge_and_the_discount_as_their_own_lines(client, world):
    world.consortium.organisation.vat_number = "GB284719365"
    offer = make_offer(world.supplier, tiers=(("1", "10.00"),), list_price="12.00")
    terms = pools.PoolTerms(
        deadline=utcnow() + timedelta(days=3), delivery_charge_pence=900, solidarity_rate_percent=Decimal(5)
    )
    pool = pools.create_pool(world.secretary, offer, [world.consortium], terms)
    pools.open_pool(world.secretary, pool)
    bands = {"top": TurnoverBand.OVER_2M, "middle": TurnoverBand.FROM_100K_TO_500K, "lowest": TurnoverBand.UNDER_100K}
    members = {
        name: factories.member(world.network, f"{name.title()} Band CIC", turnover_band=band)
        for name, band in bands.items()
    }
    for member in members.values():
        pools.pledge(world.admin, pool.id, 10, member_id=member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    invoices = {i.member_id: i for i in services.issue_invoices(world.secretary, order.id)}
    db.session.commit()

    def solidarity(name):
        return [
            (line.description, line.net_pence)
            for line in invoices[members[name].id].lines
            if line.kind is LineKind.SOLIDARITY
        ]

    assert solidarity("top") == [("Solidarity surcharge", 500)]
    assert solidarity("lowest") == [("Solidarity discount", -500)]
    assert solidarity("middle") == []
    assert sum(i.net_pence for i in invoices.values()) == order.goods_pence + order.delivery_charge_pence == 30_900
    assert [invoices[members[n].id].net_pence for n in ("top", "middle", "lowest")] == [10_800, 10_300, 9_800]
    sign_in(client, world.secretary)
    page = client.get(f"/invoices/{invoices[members['lowest'].id].id}").get_data(as_text=True)
    assert "Solidarity discount" in page and "-£5.00" in page
