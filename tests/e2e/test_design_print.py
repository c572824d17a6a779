"""An invoice prints as a document: no navigation, forms, buttons or footer on paper, its lines still there."""

import pytest

from tests.conftest import BACKENDS

SHOWN = (
    "selector => [...document.querySelectorAll(selector)].filter(e => getComputedStyle(e).display !== 'none').length"
)


def test_an_invoice_prints_without_navigation_forms_or_footer(visit, request):
    if request.node.callspec.params.get("live_server", BACKENDS[0]) != BACKENDS[0]:
        pytest.skip("the print stylesheet is the same on every database: checked on the first only")
    member = visit("member")
    member.sign_in("member@example.org")
    member.goto("/invoices/")
    member.follow(member.page.locator("main table tbody a[href^='/invoices/']").first)
    page = member.page
    on_screen = {selector: page.evaluate(SHOWN, selector) for selector in ("nav", "form", "footer")}
    assert all(on_screen.values()), f"the screen shows the navigation, a form and the footer: {on_screen}"

    page.emulate_media(media="print")
    for selector in ("nav", "form", "footer", ".btn", ".skip-link"):
        assert page.evaluate(SHOWN, selector) == 0, f"{selector} is printed"
    assert page.locator("table", has_text="Description").is_visible()
    assert page.get_by_role("heading", level=1).is_visible()
