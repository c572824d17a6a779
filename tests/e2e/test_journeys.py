"""A pool from pledge to paid invoice, through the pages, as the member, the secretary and the supplier see it.

The demo's Tayside copier-paper pool has 405 reams pledged (tier from 100 at £3.85); the demo member's
pledge takes it past 500 to £3.49, and it closes above its minimum into one purchase order.
"""

import re
from datetime import date

from pypdf import PdfReader

from kernel.clock import utcnow
from tests.e2e.conftest import Visit

OFFER = "A4 copier paper 80gsm, box of 5 reams"


def _uk_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _open_pool(member: Visit) -> int:
    member.click_link("Pools")
    row = member.row(OFFER, "Tayside")
    member.follow(row.get_by_role("link", name=OFFER))
    return int(re.search(r"/pools/(\d+)$", member.page.url).group(1))


def _pledge(member: Visit, quantity: int) -> dict[str, str]:
    """Fills the pledge form, asks for the estimate, confirms; returns the estimate shown."""
    member.page.get_by_label("Quantity").fill(str(quantity))
    member.press("See estimated cost")
    estimate = {
        name: member.cell(name, within=".estimate table")
        for name in (
            "Unit price the pool would reach",
            "Goods",
            "Share of delivery",
            "Handling fee",
            "Solidarity",
            "VAT",
            "Total to pay",
        )
    }
    member.press("Confirm pledge")
    assert f"Your pledge of {quantity:,} reams for Re-Tweed Dundee CIC is in." in member.flash()
    return estimate


def _pence(pounds: str) -> int:
    """ "£1,234.56" or "-£1.20" as integer pence."""
    digits = pounds.replace("£", "").replace(",", "")
    sign = -1 if digits.startswith("-") else 1
    whole, _, part = digits.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(part or 0))


def test_a_pool_from_pledge_to_paid_invoice(visit):
    member, secretary, supplier = visit("member"), visit("secretary"), visit("supplier")
    member.sign_in("member@example.org")
    secretary.sign_in("secretary@example.org")
    supplier.sign_in("supplier@example.org")

    with member.at("finds the open pool"):
        pool_id = _open_pool(member)
        assert member.cell("Total pledged") == "405 reams"
        assert member.cell("Tier reached") == "from 100"
        assert member.cell("Unit price now") == "£3.85"
        assert member.page.get_by_text("Re-Tweed Dundee CIC: no pledge yet").is_visible()

    with member.at("pledges"):
        estimate = _pledge(member, 100)
        assert estimate["Unit price the pool would reach"] == "£3.49"
        assert member.cell("Total pledged") == "505 reams"
        assert member.cell("Tier reached") == "from 500"
        assert member.cell("Unit price now") == "£3.49"

    with member.at("edits the pledge"):
        assert member.page.get_by_label("Quantity").input_value() == "100"
        estimate = _pledge(member, 120)
        # 120 of 525 reams at £3.49; a 120/525 share of the £45.00 delivery charge; no handling fee or
        # solidarity in this demo pool; VAT at 20% on goods and delivery
        assert estimate == {
            "Unit price the pool would reach": "£3.49",
            "Goods": "£418.80",
            "Share of delivery": "£10.29",
            "Handling fee": "£0.00",
            "Solidarity": "£0.00",
            "VAT": "£85.82",
            "Total to pay": "£514.91",
        }
        mine = member.page.get_by_text("Re-Tweed Dundee CIC: 120 reams")
        assert f"estimated cost {estimate['Total to pay']} to pay, with delivery, fees and VAT." in mine.inner_text()
        history = member.page.get_by_role("table", name="History of Re-Tweed Dundee CIC's pledge")
        assert history.get_by_role("cell", name="100 → 120").is_visible()

    with supplier.at("sees the forecast"):
        supplier.click_link("Demand")
        forecast = supplier.pool_row(pool_id, within="table.forecast")
        assert "525" in forecast.inner_text()

    with secretary.at("previews closing"):
        secretary.goto(f"/pools/{pool_id}")
        secretary.click_link("Preview closing the pool")
        assert (
            "Closing now orders 525 reams in 105 packs of 5 reams at £3.49"
            in secretary.page.locator("main").inner_text()
        )
        assert "120" in secretary.row("Re-Tweed Dundee CIC").inner_text()

    with secretary.at("closes the pool"):
        secretary.press("Close the pool and make the orders")
        number = re.search(r"Purchase orders: (TAY-PO-\d{4}-\d+)\.", secretary.flash()).group(1)
        assert secretary.page.get_by_text("Pool status: closed").is_visible()

    with secretary.at("sends the order"):
        secretary.click_link(number)
        assert secretary.page.get_by_text("Status: draft").is_visible()
        secretary.press("Send to the supplier")
        assert f"{number} is sent to Caledonian Office Supplies Ltd." in secretary.flash()

    with supplier.at("sees the order in the demand"):
        supplier.click_link("Demand")
        ordered = supplier.pool_row(pool_id, within="table.orders")
        assert "1 sent" in ordered.inner_text() and "525" in ordered.inner_text()

    with supplier.at("confirms the order"):
        supplier.click_link("Purchase orders")
        supplier.follow(supplier.row(number).get_by_role("link", name=number))
        assert "120" in supplier.row("Re-Tweed Dundee CIC").inner_text()
        supplier.press("Confirm the order")
        assert f"{number} is confirmed." in supplier.flash()

    with supplier.at("records the delivery"):
        supplier.press("Record delivery")
        assert f"Delivery of {number} recorded." in supplier.flash()
        assert supplier.page.get_by_text("Status: delivered").is_visible()

    with secretary.at("issues invoices"):
        secretary.click_link("Dashboard")
        secretary.click_link("Billing")
        secretary.press("Issue invoices", scope=secretary.row(number))
        assert f"invoices issued for {number}." in secretary.flash()

    with member.at("sees the invoice"):
        member.click_link("Invoices")
        for_the_order = member.page.locator("td:nth-child(3)", has_text=re.compile(f"^{number}$"))
        new_invoice = member.page.locator("table tbody tr").filter(has=for_the_order)
        assert new_invoice.count() == 1, "one invoice for the order"
        assert _uk_date(utcnow().date()) in new_invoice.inner_text(), "issued today"
        invoice_number = new_invoice.get_by_role("link").inner_text()
        member.follow(new_invoice.get_by_role("link"))
        invoice_path = member.page.url.removeprefix(member.base_url)
        assert member.page.get_by_role("heading", level=1).inner_text() == f"VAT invoice {invoice_number}"
        assert number in member.page.locator("dl.facts").inner_text()
        assert member.row("A4 copier paper").locator("td").nth(1).inner_text() == "120"
        total = member.cell("Total", within="table tfoot")
        assert total == estimate["Total to pay"], "nothing changed after the pledge: the invoice is what was estimated"
        assert member.page.get_by_text("Status: issued").is_visible()

    with member.at("downloads the PDF"):
        with member.page.expect_download() as download:
            member.page.get_by_role("link", name="Download PDF").click()
        assert download.value.suggested_filename == f"{invoice_number}.pdf"
        text = "\n".join(page.extract_text() for page in PdfReader(download.value.path()).pages)
        assert invoice_number in text
        assert total in text

    with member.at("reads the statement before payment"):
        member.goto("/statement")
        due_before = _pence(member.cell("Due"))

    with secretary.at("records a bank payment"):
        secretary.goto(invoice_path)
        secretary.page.get_by_label("Amount received (£)").fill(total.lstrip("£").replace(",", ""))
        secretary.page.get_by_label("Received on").fill(utcnow().date().isoformat())
        secretary.page.get_by_label("Bank reference").fill(f"BACS {invoice_number}")
        secretary.press("Record payment")
        assert f"Payment recorded against {invoice_number}." in secretary.flash()
        assert secretary.page.get_by_text("Status: paid").is_visible()

    with member.at("sees it paid on the statement"):
        member.goto("/statement")
        payment = member.row("payment", invoice_number)
        assert f"BACS {invoice_number}" in payment.inner_text()
        assert f"-{total}" in payment.inner_text()
        assert _pence(member.cell("Due")) == due_before - _pence(total)
        member.click_link(invoice_number, scope=payment)
        assert member.page.get_by_text("Status: paid").is_visible()
        assert member.cell("Due now", within="table tfoot") == "£0.00"
