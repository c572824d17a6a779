"""The layout's own behaviour: the menu folds behind a toggler on a phone (Bootstrap's JS, served by the app), and
an invoice prints as a document, without navigation, forms, buttons or footer, its lines still there."""

import pytest

from tests.conftest import BACKENDS

SHOWN = (
    "selector => [...document.querySelectorAll(selector)].filter(e => getComputedStyle(e).display !== 'none').length"
)


def test_the_menu_folds_on_a_phone_and_an_invoice_prints_without_navigation_or_forms(visit, request):
    if request.node.callspec.params.get("live_server", BACKENDS[0]) != BACKENDS[0]:
        pytest.skip("the layout is the same on every database: checked on the first only")
    member = visit("member", width=390)
    member.sign_in("member@example.org")
    page = member.page
    pools = page.get_by_role("link", name="Pools", exact=True).first
    assert not pools.is_visible(), "on a phone the menu starts folded"
    page.get_by_role("button", name="Menu").click()
    page.locator(".navbar-collapse.collapse.show").wait_for(state="visible")
    page.get_by_role("button", name="Morag Member").click()
    page.get_by_role("button", name="Sign out").wait_for(state="visible")

    page.set_viewport_size({"width": 1280, "height": 900})
    member.goto("/invoices/")
    member.follow(page.locator("main table tbody a[href^='/invoices/']").first)
    assert pools.is_visible() and page.get_by_role("contentinfo").is_visible()
    page.emulate_media(media="print")
    for selector in ("nav", "form", "footer", ".btn", ".skip-link"):
        assert page.evaluate(SHOWN, selector) == 0, f"{selector} is printed"
    assert page.locator("table", has_text="Description").is_visible()
    assert page.get_by_role("heading", level=1).is_visible()
