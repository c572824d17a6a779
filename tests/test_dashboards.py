"""The dashboard says what to do: each role's sections hold the right things, in pounds, with links to act,
and the JSON API gives the same counts from the same function."""

import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from billing import services as billing
from kernel.clock import uk_today, utcnow
from kernel.extensions import db
from kernel.formatting import pounds, uk_date
from kernel.money import line_pence
from kernel.words import default_units, quantity
from orders import closing, purchase_orders
from orders import services as orders_services
from orders.models import PurchaseOrderStatus
from organisations.models import OutboxMessage, TurnoverBand
from shared_services import services as shared_services
from shared_services.models import AllocationKey, PeriodLength
from tests import factories
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_closed_pool, make_offer, make_pool


def section(page: str, title: str) -> str:
    """The HTML of the dashboard card titled `title` (up to the next card)."""
    start = page.index(f'<h3 class="h6 mb-0">{title}</h3>')
    end = page.find('<div class="card h-100', start)
    return page[start : end if end > 0 else len(page)]


def badge(card: str) -> int:
    return int(re.search(r'<span class="badge[^"]*"[^>]*>([\d,]+)</span>', card).group(1).replace(",", ""))


def dashboard(client, user) -> str:
    sign_in(client, user)
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_member_sees_pools_closing_soon_it_has_not_pledged_to_and_its_pledges_prices(client, world):
    paper = make_offer(world.supplier, name="Copier paper", unit="ream")
    toner = make_offer(world.supplier, name="Toner cartridges", unit="cartridge")
    soon = make_pool(world.secretary, toner, [world.consortium], deadline=utcnow() + timedelta(days=3))
    pledged = make_pool(world.secretary, paper, [world.consortium], deadline=utcnow() + timedelta(days=2))
    later = make_pool(
        world.secretary,
        make_offer(world.supplier, name="Envelopes"),
        [world.consortium],
        deadline=utcnow() + timedelta(days=20),
    )
    theirs = make_pool(
        world.admin,
        make_offer(world.other_supplier, name="Their paper"),
        [world.other_consortium],
        deadline=utcnow() + timedelta(days=1),
    )
    orders_services.pledge(world.member_user, pledged.id, 10, member_id=world.member.id)
    db.session.commit()

    page = dashboard(client, world.member_user)

    closing = section(page, "Pools closing soon you have not pledged to")
    assert badge(closing) == 1
    assert f"/pools/{soon.id}" in closing and "Toner cartridges" in closing
    assert f"/pools/{pledged.id}" not in closing and f"/pools/{later.id}" not in closing
    assert f"/pools/{theirs.id}" not in page
    mine = section(page, "Your pledges in open pools")
    assert badge(mine) == 1
    # 10 reams reach the 10-ream tier, £22.00 a ream: £220.00 to pay, the consortium charging no fee, no delivery
    # and (not registered for VAT) no VAT
    assert "10 reams at £22.00 a ream: £220.00 to pay with delivery, fees and VAT" in mine


def test_a_pledges_cost_on_the_dashboard_is_the_total_its_invoice_carries(client, world):
    """Goods, the member's share of delivery, the handling fee, solidarity and VAT, as invoicing works them out."""
    world.consortium.organisation.vat_number = "GB284719365"
    world.consortium.handling_fee_percent = Decimal("2.5")
    world.member.turnover_band = TurnoverBand.OVER_2M
    offer = make_offer(world.supplier, name="Copier paper", unit="ream", tiers=(("1", "3.85"),), list_price="4.50")
    terms = orders_services.PoolTerms(
        deadline=utcnow() + timedelta(days=3), delivery_charge_pence=1_250, solidarity_rate_percent=Decimal(5)
    )
    pool = orders_services.create_pool(world.secretary, offer, [world.consortium], terms)
    orders_services.open_pool(world.secretary, pool)
    small = factories.member(world.network, "Wee Shop CIC", turnover_band=TurnoverBand.UNDER_100K)
    orders_services.pledge(world.member_user, pool.id, 37, member_id=world.member.id)
    orders_services.pledge(world.admin, pool.id, 23, member_id=small.id)
    db.session.commit()

    mine = section(dashboard(client, world.member_user), "Your pledges in open pools")
    shown = re.search(r"37 reams at £3.85 a ream: (£[\d,.]+) to pay with delivery, fees and VAT", mine).group(1)

    [order] = closing.close_pool(world.secretary, pool.id).purchase_orders
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    invoice = next(i for i in billing.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    goods = line_pence(37, Decimal("3.85"))
    assert invoice.total_pence > goods * 6 // 5, "the invoice adds delivery, the fee and solidarity to goods and VAT"
    assert shown == pounds(invoice.total_pence)


def test_member_sees_what_it_owes_and_what_is_overdue_with_a_pay_button(client, world):
    late = issued_invoice(world.member, issue_date=uk_today() - timedelta(days=45))
    current = issued_invoice(world.member, net_pence=50_000, vat_pence=10_000, issue_date=uk_today())
    issued_invoice(world.other_member, issue_date=uk_today() - timedelta(days=45))

    page = dashboard(client, world.member_user)

    to_pay = section(page, "Invoices to pay")
    assert badge(to_pay) == 2 and "£720.00" in to_pay
    overdue = section(page, "Overdue invoices")
    assert badge(overdue) == 1 and "£120.00" in overdue
    assert late.number in overdue and current.number not in overdue
    assert f'<a class="btn btn-primary btn-sm" href="/invoices/{late.id}">Pay' in overdue


def test_secretary_to_do_queue(client, world):
    offer = make_offer(world.supplier, name="Copier paper", unit="ream")
    past = make_pool(world.secretary, offer, [world.consortium])
    past.deadline = utcnow() - timedelta(hours=2)
    short = make_pool(world.secretary, offer, [world.consortium], minimum=100, deadline=utcnow() + timedelta(days=2))
    make_closed_pool(world.secretary, offer, [(world.consortium, 40, PurchaseOrderStatus.DRAFT, [(world.member, 40)])])
    factories.member(world.network, "Quiet Riverside Trust")
    orders_services.pledge(world.member_user, short.id, 5, member_id=world.member.id)
    db.session.commit()

    page = dashboard(client, world.secretary)

    to_close = section(page, "Tayside: pools to close")
    assert badge(to_close) == 1 and f"/pools/{past.id}" in to_close
    assert badge(section(page, "Tayside: draft purchase orders to send")) == 1
    missing = section(page, "Tayside: pools short of their minimum near the deadline")
    assert badge(missing) == 1 and "95 reams short" in missing
    never = section(page, "Tayside: members who never pledged")
    assert "Quiet Riverside Trust" in never and world.member.name not in never
    assert "Lothians" not in page


def test_supplier_sees_orders_to_confirm_and_a_forecast_per_offer(client, world):
    paper = make_offer(world.supplier, name="Copier paper", unit="ream")
    toner = make_offer(world.supplier, name="Toner cartridges", unit="cartridge")
    for offer, units in ((paper, 30), (toner, 4)):
        pool = make_pool(world.secretary, offer, [world.consortium], deadline=utcnow() + timedelta(days=10))
        orders_services.pledge(world.member_user, pool.id, units, member_id=world.member.id)
    make_closed_pool(world.secretary, paper, [(world.consortium, 40, PurchaseOrderStatus.SENT, [(world.member, 40)])])
    db.session.commit()

    page = dashboard(client, world.supplier_user)

    assert badge(section(page, f"{world.supplier.name}: orders to confirm")) == 1
    forecast = section(page, f"{world.supplier.name}: pools closing in the next 6 weeks, by offer")
    assert "30 reams pledged in 1 open pool" in forecast
    assert "4 cartridges pledged in 1 open pool" in forecast
    assert "34" not in forecast  # reams and cartridges are never added up


def test_admin_sees_platform_totals_consortia_needing_attention_and_outbox_failures(client, world):
    issued_invoice(world.other_member, issue_date=uk_today() - timedelta(days=45))
    db.session.add(
        OutboxMessage(
            kind="test",
            to_email="a@example.org",
            subject="s",
            body_text="t",
            body_html="h",
            failed_at=utcnow(),
            attempts=6,
        )
    )
    db.session.commit()

    page = dashboard(client, world.admin)

    attention = section(page, "Consortia needing attention")
    assert badge(attention) == 1 and "Lothians" in attention and "1 overdue invoice" in attention
    assert badge(section(page, "Emails that failed")) == 1
    assert f"Invoiced in {uk_today().year}" in section(page, "The platform")


@pytest.mark.parametrize("role", ["member", "secretary", "supplier", "admin"])
def test_the_api_gives_the_counts_the_page_shows(client, world, role):
    offer = make_offer(world.supplier, name="Copier paper", unit="ream")
    make_pool(world.secretary, offer, [world.consortium], deadline=utcnow() + timedelta(days=3))
    issued_invoice(world.member, issue_date=uk_today() - timedelta(days=45))
    user = world.user_for(role)
    page = dashboard(client, user)

    response = client.get("/api/v1/dashboard", headers=api_token(user))

    assert response.status_code == 200
    sections = response.json["sections"]
    assert sections and {s["role"] for s in sections} >= {role}
    for s in sections:
        assert badge(section(page, s["title"])) == s["count"], s["key"]
        if s["amount_pence"] is not None:
            assert s["amount_pence"] >= 0 or s["key"] == "member.saving_this_year"


def test_member_sees_its_shared_services_and_when_each_bills_next(client, world):
    offer = factories.offer(world.supplier, actor=world.admin, name="HR advice line")
    start = (uk_today().replace(day=1) + timedelta(days=32)).replace(day=1)
    terms = shared_services.PoolTerms(
        cost_per_period_pence=50_000,
        period=PeriodLength.MONTH,
        term_periods=12,
        start_date=start,
        minimum_participants=2,
        allocation_key=AllocationKey.EQUAL,
    )
    taken = shared_services.create_pool(world.admin, offer, [world.consortium], terms)
    shared_services.open_pool(world.admin, taken)
    shared_services.join(world.admin, taken.id, member_id=world.member.id)
    other = shared_services.create_pool(world.admin, offer, [world.consortium], terms)
    shared_services.open_pool(world.admin, other)
    db.session.commit()

    card = section(dashboard(client, world.member_user), "Your shared services")

    assert badge(card) == 1 and f"/shared-services/{taken.id}" in card and f"/shared-services/{other.id}" not in card
    assert f"£500.00 a month shared; next bill {uk_date(start)} (period 1 of 12)" in card


def unit(singular: str, plural: str | None = None) -> SimpleNamespace:
    """An offer's unit words as an offer keeps them: its own plural, or the default one."""
    return SimpleNamespace(unit=singular, unit_plural=plural or default_units(singular)[1], pack_size=1)


def test_units_are_plural_unless_one():
    """The dashboard counts in the offer's own unit words (kernel.words), as every other page does."""
    ream, box, copy = unit("ream"), unit("box"), unit("copy")
    assert [quantity(1, ream), quantity(20, ream), quantity(3, box), quantity(2, copy)] == [
        "1 ream",
        "20 reams",
        "3 boxes",
        "2 copies",
    ]
    hours = [quantity(1_500, unit("kWh")), quantity(4, unit("hour")), quantity(2, unit("day"))]
    assert hours == ["1,500 kWh", "4 hours", "2 days"]


@pytest.mark.parametrize("role", ["secretary", "supplier"])
def test_pools_about_to_tip_are_counted_in_full_and_the_first_few_named(client, world, role, monkeypatch):
    """Seven pools 5 boxes short of the 50-box tier and one far from it: all seven counted, five named, each
    with what it is about to reach."""
    monkeypatch.setattr("kernel.navigation.FIRST_FEW", 5)
    offer = make_offer(world.supplier, name="Copier paper")
    db.session.commit()
    now = utcnow()
    tipping = [
        make_pool(world.secretary, offer, [world.consortium], deadline=now + timedelta(days=n)) for n in range(1, 8)
    ]
    far = make_pool(world.secretary, offer, [world.consortium], deadline=now + timedelta(hours=12))
    for pool in tipping:
        orders_services.pledge(world.admin, pool.id, 45, member_id=world.member.id)
    orders_services.pledge(world.admin, far.id, 20, member_id=world.member.id)
    db.session.commit()

    name = world.consortium.name if role == "secretary" else world.supplier.name
    card = section(dashboard(client, world.user_for(role)), f"{name}: pools about to tip")

    assert badge(card) == 7
    assert card.count("5 boxes from £20.00 a box") == 5 and f"/pools/{far.id}" not in card
    assert [int(n) for n in re.findall(r'href="/pools/(\d+)"', card)] == [p.id for p in tipping[:5]]


def test_the_platform_figure_for_pledged_value_prices_each_open_pool_at_its_tier(client, world):
    """45 boxes at the 10-box tier (£22.00), 60 at the 50-box tier (£20.00), 3 below every tier (£25.00 list), and
    a draft with nothing pledged: £990.00 + £1,200.00 + £75.00."""
    offer = make_offer(world.supplier, name="Copier paper")
    db.session.commit()
    for units in (45, 60, 3):
        pool = make_pool(world.secretary, offer, [world.consortium])
        orders_services.pledge(world.admin, pool.id, units, member_id=world.member.id)
    make_pool(world.secretary, offer, [world.consortium], open_=False)
    db.session.commit()

    platform = section(dashboard(client, world.admin), "The platform")

    assert re.search(r'Pledged in open pools</a>\s*<div class="small">£2,265.00</div>', platform)
