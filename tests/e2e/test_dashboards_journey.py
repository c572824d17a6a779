"""On a phone: each role's dashboard says what to do, a member follows it to a pool's tier ladder and demand chart,
a supplier to one offer's weekly forecast; every chart loads and fits the screen."""

import re

from tests.e2e.conftest import Visit

PHONE = 390
FITS = "img => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().right <= window.innerWidth"


def _card(visit: Visit, title: str):
    card = visit.page.locator(".card.todo").filter(has=visit.page.get_by_role("heading", name=title, exact=True))
    assert card.count() == 1, f"{card.count()} cards titled {title!r} on {visit.page.url}"
    return card


def test_dashboards_lead_to_the_pool_and_the_forecast(visit):
    member = visit("member", PHONE)
    with member.at("the member's dashboard"):
        member.sign_in("member@example.org")
        pledges = _card(member, "Your pledges in open pools")
        assert re.search(r"at £[\d,.]+ a \w+", pledges.inner_text()), "a pledge without the price it is heading for"
        assert re.search(r"£[\d,]+\.\d\d", _card(member, "Invoices to pay").inner_text())
        member.follow(pledges.locator(".list-group-item a").first)
    with member.at("the pool's ladder and chart"):
        assert re.search(r"/pools/\d+$", member.page.url)
        ladder = member.page.locator(".tier-ladder")
        assert "The pool is here" in ladder.inner_text()
        chart = member.page.locator("img[src$='/demand.svg']")
        assert chart.evaluate(FITS), "the demand chart did not load or does not fit the phone"
        assert member.page.locator("table.growth tbody tr").count() >= 1

    supplier = visit("supplier", PHONE)
    with supplier.at("the supplier's dashboard"):
        supplier.sign_in("supplier@example.org")
        forecast = supplier.page.locator(".card.todo").filter(has_text="by offer").first
        offers = forecast.locator(".list-group-item a")
        assert offers.count() >= 1
        supplier.follow(offers.first)
    with supplier.at("one offer's weekly forecast"):
        assert "offer_id=" in supplier.page.url
        assert supplier.page.locator("img[src*='pledged-units.svg?offer_id=']").evaluate(FITS)
        assert supplier.page.locator("table.weekly-forecast tbody tr").count() >= 8

    secretary = visit("secretary", PHONE)
    with secretary.at("the secretary's to-do queue"):
        secretary.sign_in("secretary@example.org")
        for title in ("pools to close", "orders to invoice", "overdue invoices", "members who never pledged"):
            assert secretary.page.locator(".card.todo h3").filter(has_text=title).count() >= 1, title
