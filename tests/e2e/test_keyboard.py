"""Signing in and pledging with the keyboard alone: Tab to each control, type, Enter or Space to act."""

from tests.e2e.conftest import Visit

OFFER = "A5 leaflets, design and print"
MAX_TABS = 80


def _tab_to(visit: Visit, predicate: str, what: str) -> None:
    """Presses Tab until the focused element satisfies the JS `predicate(element)`; it must show a focus outline."""
    for _ in range(MAX_TABS):
        visit.page.keyboard.press("Tab")
        if visit.page.evaluate(f"() => {{ const el = document.activeElement; return !!el && ({predicate})(el); }}"):
            outline = visit.page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{what} has no visible focus"
            return
    raise AssertionError(f"{MAX_TABS} presses of Tab never reached {what} on {visit.page.url}")


def _activate(visit: Visit, key: str) -> None:
    """Enter or Space on the focused control; the page it loads is checked."""
    with visit.page.expect_navigation() as navigation:
        visit.page.keyboard.press(key)
    assert navigation.value.status < 400, f"{navigation.value.url} answered {navigation.value.status}"
    visit.check()


def _type_into(visit: Visit, field_id: str, text: str) -> None:
    _tab_to(visit, f"el => el.id === '{field_id}'", f"the {field_id} field")
    visit.page.keyboard.press("Control+A")
    visit.page.keyboard.type(text)


def test_a_member_pledges_with_the_keyboard_only(visit):
    member = visit("keyboard member")
    with member.at("signs in"):
        member.goto("/sign-in")
        _type_into(member, "email", "manager@dundee-bike-works.example.org")
        _type_into(member, "password", "demo-password")
        _activate(member, "Enter")
        assert "Welcome, Dundee Bike Works manager" in member.page.locator("h1").inner_text()

    with member.at("skips to the content"):
        member.goto("/pools/")
        member.page.keyboard.press("Tab")
        assert member.page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to main content"
        member.page.keyboard.press("Enter")
        assert member.page.evaluate("() => document.activeElement.id") == "content"

    with member.at("opens the pool"):
        _tab_to(member, f"el => el.matches('a') && el.textContent.trim() === '{OFFER}'", f"the link to {OFFER}")
        _activate(member, "Enter")
        assert member.page.locator("h1").inner_text() == OFFER

    with member.at("asks for the estimate"):
        _type_into(member, "quantity", "4")
        _type_into(member, "flexible_extra", "1")
        _tab_to(
            member,
            "el => el.matches('button') && el.textContent.trim() === 'See estimated cost'",
            "the estimate button",
        )
        _activate(member, "Enter")
        estimate = member.page.locator(".estimate")
        assert "Estimated cost of 4 packs of 1,000 leaflets" in estimate.inner_text()
        # six pledged plus these four stay in the tier from 5 at £128.00; printed matter is zero-rated
        assert member.cell("Goods", within=".estimate table") == "£512.00"
        assert member.cell("Total to pay", within=".estimate table") == "£512.00"

    with member.at("confirms"):
        _tab_to(
            member, "el => el.matches('button') && el.textContent.trim() === 'Confirm pledge'", "the confirm button"
        )
        _activate(member, "Space")
        assert "Your pledge of 4 packs of 1,000 leaflets for Dundee Bike Works is in." in member.flash()
        assert (
            "Dundee Bike Works: 4 packs of 1,000 leaflets plus up to 1 flexible"
            in member.page.locator("main").inner_text()
        )
        assert member.cell("Total pledged") == "10 packs of 1,000 leaflets"
