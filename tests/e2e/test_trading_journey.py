"""Members trading with members, through the pages: Re-Tweed Dundee lists a boardroom, Dundee Bike Works books a
slot, both confirm delivery, Re-Tweed issues its invoice, and the Tayside secretary's statement for the month
nets it against the mechanic's hours Re-Tweed bought from Dundee Bike Works (the demo's invoice the other way)."""

from datetime import timedelta

from kernel.clock import uk_today

BIKE_WORKS = "manager@dundee-bike-works.example.org"


def test_a_room_listed_booked_delivered_invoiced_and_netted_in_the_months_clearing(visit):
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
        buyer.page.get_by_label(f"{day.day} {day:%b %Y}, 14:00 to 16:00").check()
        buyer.press("Request the booking")
        assert "Your booking request is sent" in buyer.flash()
        booking_url = buyer.page.url

    with seller.at("accepts and confirms delivery"):
        seller.goto("/trading/bookings")
        seller.follow(seller.row("Boardroom for 12", "Dundee Bike Works").get_by_role("link"))
        seller.press("Accept the booking")
        assert "accepted and confirmed" in seller.flash()
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
