"""The buy-social directory through the pages: the demo member finds a verified printer and sends an enquiry, the
printer's manager replies, the member closes it as won; the Tayside secretary sees the skills gaps, the spend with
social enterprises as chart and table, and verifies another member with evidence."""

from datetime import timedelta

from kernel.clock import uk_today

PRINTER = "Hilltown Print Collective"


def test_an_enquiry_to_a_verified_enterprise_and_the_secretarys_view(visit):
    member, printer, secretary = visit("member"), visit("printer"), visit("secretary")
    member.sign_in("member@example.org")
    printer.sign_in("manager@hilltown-print-collective.example.org")
    secretary.sign_in("secretary@example.org")

    with member.at("finds the printer and asks"):
        member.goto("/")
        member.click_link("Directory")
        member.page.get_by_label("What they sell, or their name").fill("print")
        member.page.get_by_label("Verified only").check()
        member.press("Search")
        assert "Verified social enterprise" in member.row(PRINTER).inner_text()
        member.click_link(PRINTER)
        member.page.get_by_label("Subject").fill("Event flyers")
        member.page.get_by_label("Your enquiry").fill("Could you print 300 A5 flyers\non recycled paper?")
        member.press("Send the enquiry")
        assert f"Your enquiry is sent to {PRINTER}" in member.flash()

    with printer.at("replies"):
        printer.goto("/directory/enquiries")
        printer.click_link("Event flyers")
        printer.page.get_by_label("Your reply").fill("Yes: £45, ready on Thursday.")
        printer.press("Send the reply")
        assert "Your reply is sent." in printer.flash()

    with member.at("reads the reply and closes it as won"):
        member.goto("/directory/enquiries?box=sent")
        assert "Replied" in member.row("Event flyers").inner_text()
        member.click_link("Event flyers")
        assert member.page.get_by_text("Yes: £45, ready on Thursday.").is_visible()
        member.page.get_by_label("Won: it led to business").check()
        member.press("Close the enquiry")
        assert "The enquiry is closed." in member.flash()

    with secretary.at("sees the gaps and the spend"):
        secretary.goto("/")
        secretary.click_link("Skills and gaps")
        assert "Gap: nobody" in secretary.row("Safeguarding").inner_text()
        secretary.goto("/")
        secretary.click_link("Spend with social enterprises")
        chart = secretary.page.locator("figure.report-chart img")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart did not load"

    with secretary.at("verifies another member"):
        secretary.goto("/directory/?q=Taybank")
        secretary.click_link("Taybank Community Cafe")
        secretary.click_link("Verification and its evidence")
        for criterion in ("Asset lock", "Mission", "Reinvestment"):
            secretary.page.get_by_label(criterion, exact=False).check()
        secretary.page.get_by_label("Evidence", exact=True).fill("SCIO constitution, clause 3; 2026 accounts.")
        secretary.page.get_by_label("Check again by").fill((uk_today() + timedelta(days=365)).isoformat())
        secretary.press("Record the check")
        assert "Taybank Community Cafe is verified until" in secretary.flash()
