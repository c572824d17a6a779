"""A call-off from order to invoice, through the pages on a phone: the demo member calls off leaflets under the
Tayside framework, the supplier confirms and delivers them, the secretary invoices, and the member finds the
invoice. Every framework page on the way must fit 390 px without scrolling sideways."""

import re

from tests.e2e.conftest import PAGE_WIDTH, Visit

FRAMEWORK = "Tayside marketing and print services"
PHONE = 390


def _fits(person: Visit) -> None:
    wide = person.page.evaluate(PAGE_WIDTH)
    assert wide <= PHONE, f"{person.page.url} at {PHONE} px is {wide} px wide: it scrolls sideways"


def _act(person: Visit, button: str) -> str:
    person.goto("/frameworks/call-offs")
    _fits(person)
    person.press(button)
    return person.flash()


def test_a_call_off_from_order_to_invoice_on_a_phone(visit):
    member, supplier, secretary = (visit(name, width=PHONE) for name in ("member", "supplier", "secretary"))
    member.sign_in("member@example.org")
    supplier.sign_in("supplier@example.org")
    secretary.sign_in("secretary@example.org")

    with member.at("calls off leaflets"):
        member.goto("/frameworks/")
        _fits(member)
        member.click_link(FRAMEWORK)
        _fits(member)
        member.page.get_by_label("Lot").select_option(label="Printed leaflets, A5 full colour")
        member.page.get_by_label("Supplier").select_option(label="Caledonian Office Supplies Ltd")
        member.page.get_by_label("Quantity").fill("3")
        member.press("Place the call-off")
        flash = member.flash()
        assert re.search(r"Call-off FW-TAY-\d{4}-\d{4} placed: 3 thousands\.", flash), flash
        number = re.search(r"FW-TAY-\d{4}-\d{4}", flash).group(0)
        assert member.row(number, "Re-Tweed Dundee CIC", "£144.00", "Placed")

    with supplier.at("confirms and delivers"):
        assert "Call-off confirmed." in _act(supplier, f"Confirm {number}")
        assert "Call-off recorded as delivered." in _act(supplier, f"Delivered {number}")
        assert supplier.row(number, "Delivered")
        supplier.click_link("Caledonian Office Supplies Ltd: statement of call-offs and fee")
        _fits(supplier)
        assert supplier.row(number, "Re-Tweed Dundee CIC", "3 thousands", "£144.00", "£2.88")

    with secretary.at("invoices"):
        assert "Invoice issued for the call-off." in _act(secretary, f"Invoice {number}")
        secretary.goto("/frameworks/new")
        _fits(secretary)

    with member.at("finds the invoice"):
        member.goto("/frameworks/call-offs")
        member.follow(member.row(number, "Invoiced").get_by_role("link", name="Invoice"))
        assert "£144.00" in member.page.content() and number in member.page.content()
