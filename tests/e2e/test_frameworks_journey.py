"""A call-off from order to invoice, through the pages: the demo member calls off leaflets under the Tayside
framework, the supplier confirms and delivers them, the secretary invoices, and the member finds the invoice."""

import re

from tests.e2e.conftest import Visit

FRAMEWORK = "Tayside marketing and print services"


def _act(person: Visit, button: str) -> str:
    person.goto("/frameworks/call-offs")
    person.press(button)
    return person.flash()


def test_a_call_off_from_order_to_invoice(visit):
    member, supplier, secretary = visit("member"), visit("supplier"), visit("secretary")
    member.sign_in("member@example.org")
    supplier.sign_in("supplier@example.org")
    secretary.sign_in("secretary@example.org")

    with member.at("calls off leaflets"):
        member.goto("/frameworks/")
        member.click_link(FRAMEWORK)
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

    with secretary.at("invoices"):
        assert "Invoice issued for the call-off." in _act(secretary, f"Invoice {number}")

    with member.at("finds the invoice"):
        member.goto("/frameworks/call-offs")
        member.follow(member.row(number, "Invoiced").get_by_role("link", name="Invoice"))
        assert "£144.00" in member.page.content() and number in member.page.content()
