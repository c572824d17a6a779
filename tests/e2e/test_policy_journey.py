"""A policy from publishing to re-adoption, through the pages: the Tayside secretary publishes a template, the
demo member adopts it, a new version asks the member to review it, and the secretary's grid shows the member
has adopted the new version while another member has not adopted the template at all."""

from datetime import timedelta

from kernel.clock import uk_today
from tests.e2e.conftest import Visit

TITLE = "Volunteer expenses"


def _publish(secretary: Visit, text: str, note: str) -> str:
    """Fills the open version form, saves the draft, sends it for review and publishes it; returns the flash."""
    today = uk_today()
    secretary.page.get_by_label("Change note").fill(note)
    secretary.page.get_by_label("Effective date").fill(today.isoformat())
    secretary.page.get_by_label("Review by").fill((today + timedelta(days=365)).isoformat())
    secretary.page.get_by_label("Policy text (Markdown)").fill(text)
    secretary.press("Save the draft")
    assert "is saved as a draft" in secretary.flash()
    secretary.press("Send for review")
    secretary.press("Publish")
    return secretary.flash()


def _adopt(member: Visit) -> str:
    today = uk_today()
    member.page.get_by_label("Adopted as is").check()
    member.page.get_by_label("Date the board approved it").fill(today.isoformat())
    member.page.get_by_label("Next review date").fill((today + timedelta(days=365)).isoformat())
    member.press("Record the decision")
    return member.flash()


def test_a_policy_from_publishing_to_re_adoption(visit):
    secretary, member = visit("secretary"), visit("member")
    secretary.sign_in("secretary@example.org")
    member.sign_in("member@example.org")

    with secretary.at("publishes a template"):
        secretary.goto("/library/")
        secretary.click_link("Write a new template")
        secretary.page.get_by_label("Title").fill(TITLE)
        secretary.page.get_by_label("Category").select_option(label="Finance")
        secretary.press("Save the template")
        flash = _publish(secretary, "# Volunteer expenses\n\nWe pay bus fares.\n", "First version")
        assert "Version 1 is published." in flash

    with member.at("finds and adopts it"):
        member.goto("/library/?q=bus+fares")
        member.click_link(TITLE)
        assert member.row("Re-Tweed Dundee CIC", "Not adopted yet")
        member.click_link("Adopt version 1")
        assert "Re-Tweed Dundee CIC: Volunteer expenses version 1, adopted as is." in _adopt(member)
        assert member.row("Re-Tweed Dundee CIC", "Version 1 adopted as is")

    with secretary.at("publishes a new version"):
        secretary.click_link(TITLE)
        secretary.click_link("Write a new version")
        flash = _publish(secretary, "# Volunteer expenses\n\nWe pay bus and train fares.\n", "Trains too")
        assert "Version 2 is published." in flash
        assert "1 member that adopted the template has a task to review it" in flash

    with member.at("is asked to review and re-adopts"):
        member.goto("/library/tasks")
        row = member.row(TITLE, "Version 2 (you have 1)", "To review")
        member.follow(row.get_by_role("link", name=TITLE))
        assert member.page.locator("ins", has_text="We pay bus and train fares.").is_visible()
        assert member.page.locator("del", has_text="We pay bus fares.").is_visible()
        assert "version 2, adopted as is." in _adopt(member)

    with secretary.at("sees who has re-adopted"):
        secretary.goto("/library/")
        secretary.click_link("Adoption across Tayside")
        grid = secretary.page.locator("table.grid")
        column = [h.inner_text() for h in grid.locator("thead th").all()].index(f"{TITLE} (v2)")
        re_adopted = secretary.row("Re-Tweed Dundee CIC", within="table.grid").locator("th, td").nth(column)
        assert re_adopted.inner_text() == "v2 adopted as is"
        other = secretary.row("Taybank Community Cafe", within="table.grid").locator("th, td").nth(column)
        assert other.inner_text() == "not adopted"
