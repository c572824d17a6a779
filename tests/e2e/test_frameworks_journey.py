"""A call-off from order to invoice, through the pages on a phone: the demo member calls off leaflets under the
Tayside framework, the supplier confirms and delivers them, the secretary invoices, and the member finds the
invoice. Every framework page on the way must fit 390 px without scrolling sideways. Then a tender awarded to a
framework, called off from order to invoice; and a mini-competition under such a framework, run by the member."""

import re
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

from app.factory import create_app
from kernel.clock import UK
from kernel.extensions import db
from tests.conftest import TEST_CONFIG
from tests.e2e.conftest import LIVE_DATABASES, PAGE_WIDTH, Visit

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


TENDERED = "Event photography for Tayside"


def _local(minutes: int) -> str:
    return (datetime.now(UK) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


def _deadlines_pass(base_url: str, title: str) -> None:
    """Moves the tender's deadlines into the past and runs the scheduled job, as cron would."""
    engine = create_engine(LIVE_DATABASES[base_url])
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE tender SET clarification_deadline = :clarifications, submission_deadline = :submissions "
                "WHERE title = :title"
            ),
            {
                "clarifications": datetime.now(UK) - timedelta(hours=2),
                "submissions": datetime.now(UK) - timedelta(hours=1),
                "title": title,
            },
        )
    engine.dispose()
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": LIVE_DATABASES[base_url]})
    with app.app_context():
        assert "1 tenders moved" in app.test_cli_runner().invoke(args=["advance-tenders"]).output
        db.session.remove()
        db.engine.dispose()


def _bid(supplier: Visit, title: str, tiers: tuple[tuple[str, str], ...]) -> None:
    supplier.goto("/tenders/")
    supplier.click_link(title)
    supplier.click_link("Bid")
    for n, (quantity, price) in enumerate(tiers, start=1):
        supplier.page.get_by_label(f"From quantity, tier {n}", exact=True).fill(quantity)
        supplier.page.get_by_label(f"Unit price (£), tier {n}", exact=True).fill(price)
    supplier.press("Submit the sealed bid")
    assert "stays sealed" in supplier.flash()


def _run_to_award(runner: Visit, award: str) -> None:
    """Open, close scoring (price alone), propose, a standstill of 0 days, then the award button."""
    runner.page.reload()
    for button in ("Open the bids", "Close scoring", "Propose the award", "Start the standstill"):
        runner.press(button)
    runner.press(award)


def _tender_to_framework(secretary: Visit, supplier: Visit, live_server: str, route: str) -> str:
    """The secretary tenders 40 hours of event photography, supplier@ bids, and the award makes a framework at
    its prices with the route given; the framework's reference."""
    with secretary.at("tenders a typed need, price alone"):
        secretary.goto("/tenders/new")
        page = secretary.page
        page.get_by_label("Title", exact=True).fill(TENDERED)
        page.get_by_label("Category", exact=True).select_option(label="Marketing & PR")
        page.get_by_label("Specification", exact=True).fill("Photographers for members' events, edited same week.")
        page.get_by_label("Lot", exact=True).fill("Event photography")
        page.get_by_label("Unit", exact=True).fill("hour")
        page.get_by_label("Forecast quantity", exact=True).fill("40")
        page.get_by_label("Price weight (%)", exact=True).fill("100")
        page.get_by_label("Quality weight (%)", exact=True).fill("0")
        page.get_by_label("Questions close (UK time)", exact=True).fill(_local(60))
        page.get_by_label("Bids close (UK time)", exact=True).fill(_local(120))
        page.get_by_label("Minimum valid bids per lot", exact=True).fill("1")
        page.get_by_label("Standstill (days)", exact=True).fill("0")
        page.get_by_label("Caledonian Office Supplies Ltd", exact=True).check()
        secretary.press("Save the draft tender")
        secretary.press("Publish")
        assert "published" in secretary.flash()
    _bid(supplier, TENDERED, (("1", "90.00"), ("20", "80.00")))
    _deadlines_pass(live_server, TENDERED)
    with secretary.at("awards to a framework"):
        secretary.page.reload()
        for button in ("Open the bids", "Close scoring", "Propose the award", "Start the standstill"):
            secretary.press(button)
        secretary.page.get_by_label("Value ceiling (£)", exact=True).fill("20000.00")
        secretary.page.get_by_label("Route", exact=True).select_option(value=route)
        secretary.press("Award to a framework")
        flash = secretary.flash()
        assert "is live at the winning prices" in flash, flash
        reference = re.search(r"FW-TAY-\d{4}", flash).group(0)
        assert "Event photography (per hour), from Caledonian Office Supplies Ltd" in secretary.page.content()
        secretary.click_link(re.compile(r"^tender \d+$"))
        assert f"Awarded to framework {reference}" in secretary.page.inner_text("main")
    return reference


def test_a_tender_awarded_to_a_framework_then_a_call_off_from_order_to_invoice(visit, live_server):
    member, supplier, secretary = (visit(name, width=PHONE) for name in ("member", "supplier", "secretary"))
    member.sign_in("member@example.org")
    supplier.sign_in("supplier@example.org")
    secretary.sign_in("secretary@example.org")
    reference = _tender_to_framework(secretary, supplier, live_server, "direct_award")

    with member.at("calls off 25 hours at the winning tier"):
        member.goto("/frameworks/")
        member.click_link(TENDERED)
        member.page.get_by_label("Lot").select_option(label="Event photography")
        member.page.get_by_label("Quantity").fill("25")
        member.press("Place the call-off")
        flash = member.flash()
        assert re.search(rf"Call-off {reference}-\d{{4}} placed: 25 hours\.", flash), flash
        number = re.search(rf"{reference}-\d{{4}}", flash).group(0)
        assert member.row(number, "£2,000.00", "Placed")

    with supplier.at("confirms and delivers"):
        assert "Call-off confirmed." in _act(supplier, f"Confirm {number}")
        assert "Call-off recorded as delivered." in _act(supplier, f"Delivered {number}")

    with secretary.at("invoices"):
        assert "Invoice issued for the call-off." in _act(secretary, f"Invoice {number}")

    with member.at("finds the invoice"):
        member.goto("/frameworks/call-offs")
        member.follow(member.row(number, "Invoiced").get_by_role("link", name="Invoice"))
        assert "£2,000.00" in member.page.content() and number in member.page.content()


def test_a_mini_competition_places_the_call_off_at_the_winners_prices(visit, live_server):
    member, supplier, secretary = (visit(name, width=PHONE) for name in ("member", "supplier", "secretary"))
    member.sign_in("member@example.org")
    supplier.sign_in("supplier@example.org")
    secretary.sign_in("secretary@example.org")
    _tender_to_framework(secretary, supplier, live_server, "mini_competition")
    title = "Mini-competition: Event photography for Re-Tweed Dundee CIC"

    with member.at("puts 12 hours to the framework's suppliers"):
        member.goto("/frameworks/")
        member.click_link(TENDERED)
        member.click_link("Start a mini-competition")
        page = member.page
        page.get_by_label("Quantity", exact=True).fill("12")
        page.get_by_label("Category", exact=True).select_option(label="Marketing & PR")
        page.get_by_label("What is needed", exact=True).fill("The AGM on 12 March, four hours a day.")
        member.press("Publish the mini-competition")
        assert "published to the framework's suppliers" in member.flash()

    _bid(supplier, title, (("1", "85.00"), ("10", "78.50")))
    _deadlines_pass(live_server, title)

    with member.at("awards it: the call-off is placed"):
        _run_to_award(member, "Award and place the call-off")
        assert "The tender is awarded." in member.flash()
        content = member.page.content()
        assert "with Caledonian Office Supplies Ltd: £942.00 net" in content
        member.goto("/frameworks/call-offs")
        assert member.row("Re-Tweed Dundee CIC", "12 hours", "£942.00", "Placed")
