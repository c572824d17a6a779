"""Members trading with members, through the pages: Re-Tweed Dundee lists a boardroom with a photo, Dundee Bike
Works books a slot (Re-Tweed is emailed the request, the Bike Works the acceptance), both confirm delivery, Re-Tweed
issues its invoice, and the Tayside secretary's statement for the month nets it against the mechanic's hours
Re-Tweed bought from Dundee Bike Works (the demo's invoice the other way)."""

import io
from datetime import timedelta
from urllib.parse import urlsplit

from PIL import Image

from app.factory import create_app
from kernel.clock import uk_today
from kernel.extensions import db
from tests.e2e.conftest import LIVE_DATABASES, emailed_link

BIKE_WORKS = "manager@dundee-bike-works.example.org"
ALT = "The boardroom's long table under two skylights"


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 40), "darkslateblue").save(out, "JPEG")
    return out.getvalue()


def _send_outbox(base_url: str) -> None:
    """The sender's pass, as `flask send-outbox` runs on the server: each waiting event's emails written (run through
    the app's CLI in this process, sparing a second of imports a pass)."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": LIVE_DATABASES[base_url], "PUBLIC_URL": base_url, "SECRET_KEY": "journey"}
    )
    with app.app_context():
        done = app.test_cli_runner().invoke(args=["send-outbox"])
        db.session.remove()
        db.engine.dispose()
    assert "messages written" in done.output, done.output


def test_a_room_listed_booked_delivered_invoiced_and_netted_in_the_months_clearing(visit, live_server):
    seller, buyer, secretary = visit("member"), visit("bike works"), visit("secretary")
    seller.sign_in("member@example.org")
    buyer.sign_in(BIKE_WORKS)
    secretary.sign_in("secretary@example.org")
    day = uk_today() + timedelta(days=10)

    with seller.at("lists a boardroom with a slot"):
        seller.goto("/trading/")
        seller.click_link("List something you can offer")
        seller.page.get_by_label("What you offer").select_option(label="Room")
        seller.page.get_by_label("Title", exact=True).fill("Boardroom for 12")
        seller.page.get_by_label("Description").fill("A quiet boardroom with a large screen.")
        seller.page.get_by_label("Price to members (£)").fill("25.00")
        seller.page.get_by_label("Photo", exact=True).set_input_files(
            files=[{"name": "boardroom.jpg", "mimeType": "image/jpeg", "buffer": _photo()}]
        )
        seller.page.get_by_label("What the photo shows").fill(ALT)
        seller.press("Save the listing")
        assert "members of your consortium can book it" in seller.flash()
        seller.page.get_by_label("Day").fill(day.isoformat())
        seller.page.get_by_label("From").fill("14:00")
        seller.page.get_by_label("Until").fill("16:00")
        seller.press("Add the slot")
        assert "The slot is added." in seller.flash()

    with buyer.at("books the slot"):
        buyer.goto("/trading/?q=boardroom")
        buyer.click_link("Boardroom for 12")
        photo = buyer.page.get_by_role("img", name=ALT)
        assert photo.evaluate("image => image.complete && image.naturalWidth") == 64
        buyer.page.get_by_label(f"{day.day} {day:%b %Y}, 14:00 to 16:00").check()
        buyer.press("Request the booking")
        assert "Your booking request is sent" in buyer.flash()
        booking_url = buyer.page.url

    _send_outbox(live_server)
    assert emailed_link(live_server, "member@example.org", "booking_requested") == urlsplit(booking_url).path

    with seller.at("accepts and confirms delivery"):
        seller.goto("/trading/bookings")
        seller.follow(seller.row("Boardroom for 12", "Dundee Bike Works").get_by_role("link"))
        seller.press("Accept the booking")
        assert "accepted and confirmed" in seller.flash()
        _send_outbox(live_server)
        assert emailed_link(live_server, BIKE_WORKS, "booking_answered") == urlsplit(booking_url).path
        seller.press("Confirm it was delivered")

    with buyer.at("confirms delivery"):
        buyer.page.goto(booking_url)
        buyer.press("Confirm it was delivered")
        assert buyer.page.get_by_text("Delivered", exact=True).is_visible()

    with seller.at("issues the invoice"):
        seller.page.reload()
        seller.press("Issue the invoice")
        assert "The invoice is issued to the buyer." in seller.flash()
        seller.click_link("TAY-M1-" + str(uk_today().year) + "-0002")
        assert "£30.00" in seller.page.content()  # £25.00 and VAT at 20%: Re-Tweed is VAT registered

    with secretary.at("sees the month's statement net the two ways"):
        secretary.goto("/trading/clearings")
        secretary.click_link("Clear a month")
        secretary.page.get_by_label("Month").select_option(label=f"{uk_today():%B %Y} so far")
        secretary.press("Show the statement")
        assert secretary.row("Re-Tweed Dundee CIC", "£30.00", "£112.00", "-£82.00")
        assert secretary.row("Dundee Bike Works", "£112.00", "£30.00", "£82.00")
