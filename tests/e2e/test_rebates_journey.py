"""A rebate in the browser: the secretary makes an agreement; on the demo's shared one the member finds its
share credited and the supplier its claim."""

import re


def test_a_rebate_from_agreement_to_the_members_share(visit):
    secretary, member, supplier = visit("secretary"), visit("member"), visit("supplier")
    secretary.sign_in("secretary@example.org")
    member.sign_in("member@example.org")
    supplier.sign_in("supplier@example.org")

    with secretary.at("makes an agreement"):
        secretary.goto("/rebates/new")
        page = secretary.page
        page.get_by_label("Name", exact=True).fill("Stationery rebate next year")
        page.get_by_label("Supplier").select_option(label="Caledonian Office Supplies Ltd")
        page.get_by_label("Counted on").select_option("spend")
        page.get_by_label("Period starts").fill("2027-01-01")
        page.get_by_label("Period ends").fill("2027-12-31")
        page.get_by_label("Tiers", exact=True).fill("0, 1\n5000, 2.5")
        secretary.press("Make the agreement")
        assert "it is claimed when its period ends" in secretary.flash()
        assert "£5,000.00" in page.locator("main").inner_text() and "2.5%" in page.locator("main").inner_text()

    with secretary.at("sees the demo's shared rebate"):
        secretary.goto("/rebates/")
        link = secretary.page.get_by_role("link", name=re.compile("volume rebate"))
        secretary.follow(link)
        text = secretary.page.locator("main").inner_text()
        assert "Shared" in text and "Re-Tweed Dundee CIC" in text and "credit note TAY-CN-" in text

    with member.at("finds its share"):
        member.goto("/rebates/shares")
        row = member.row("Caledonian Office Supplies Ltd")
        assert "credit note TAY-CN-" in row.inner_text()

    with supplier.at("opens the claim"):
        supplier.goto("/rebates/")
        supplier.follow(supplier.page.get_by_role("link", name=re.compile("volume rebate")))
        assert "Re-Tweed Dundee CIC" not in supplier.page.locator("main").inner_text()
        supplier.click_link("The claim")
        assert "Rebate claimed" in supplier.page.locator("main").inner_text()
