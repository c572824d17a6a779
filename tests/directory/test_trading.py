"""Members' trading in the buy-social directory: their listings on their entries, found by what they offer and by its
kind, and what members buy from each other in the spend with social enterprises (page, chart, CSV and API)."""

from decimal import Decimal

from directory import services
from kernel.extensions import db
from kernel.formatting import pounds
from tests.factories import api_token, sign_in
from tests.trading.conftest import slot_times
from trading import services as trading
from trading.models import HoursPeriod, ListingKind


def _room(seller, user, title="Riso printing room"):
    offer = trading.Offer(
        ListingKind.ROOM, title, "A room with a risograph.", Decimal("40"), public_price=Decimal("60")
    )
    listing = trading.create_listing(user, seller.id, offer)
    trading.add_slots(user, listing, slot_times(5, 1))
    db.session.commit()
    return listing


def test_a_member_s_listings_show_on_its_entry_and_are_found_by_words_and_kind(client, directory):
    w = directory.world
    _room(w.member, w.member_user)
    staff = trading.Offer(
        ListingKind.STAFF_TIME,
        "Bookkeeper's spare hours",
        "Month-end help.",
        Decimal("30"),
        skill="Payroll",
        hours_available=10,
        hours_period=HoursPeriod.MONTH,
    )
    trading.create_listing(w.member_user, w.member.id, staff)
    withdrawn = _room(w.member, w.member_user, title="Old loading bay")
    trading.withdraw_listing(w.member_user, withdrawn)
    db.session.commit()
    user = w.member_user
    found = db.session.scalars(services.directory_query(user, services.Search(q="payroll"))).all()
    assert [m.id for m in found] == [w.member.id]
    assert db.session.scalars(services.directory_query(user, services.Search(q="loading bay"))).all() == []
    rooms = db.session.scalars(services.directory_query(user, services.Search(listing_kind=ListingKind.ROOM))).all()
    assert [m.id for m in rooms] == [w.member.id]
    sign_in(client, w.secretary)
    page = client.get(f"/directory/members/{w.member.id}").get_data(as_text=True)
    assert "Spare capacity for members" in page and "Riso printing room" in page and "£60.00 per slot" in page
    assert "Old loading bay" not in page
    listing_page = client.get("/directory/?listing_kind=staff_time").get_data(as_text=True)
    assert "for members: Bookkeeper&#39;s spare hours" in listing_page
    headers = api_token(w.member_user)
    entries = client.get("/api/v1/directory/members?listing_kind=room", headers=headers).json["items"]
    assert [(e["id"], [item["title"] for item in e["listings"]]) for e in entries] == [
        (w.member.id, ["Bookkeeper's spare hours", "Riso printing room"])
    ]


def test_trade_between_members_counts_in_the_spend_with_social_enterprises(client, directory):
    w = directory.world
    printer_user = w.admin  # an admin acts for the printer, which has no user of its own here
    listing = _room(directory.printer, printer_user)
    booking = trading.request_booking(w.member_user, trading.Request(listing.id, w.member.id, (listing.slots[0].id,)))
    trading.accept(printer_user, booking)
    trading.confirm_delivery(printer_user, booking)
    invoice = trading.issue_invoice(printer_user, booking)
    db.session.commit()
    report = services.spend_report(services.Scope("consortium", w.consortium.id, w.consortium.name))
    channels = {c.key: (c.spend_pence, c.social_pence) for c in report.channels}
    assert channels["trading"] == (invoice.net_pence, invoice.net_pence) == (4000, 4000)
    assert [(s.label, s.spend_pence) for s in report.suppliers.items] == [("Hilltown Print Collective", 4000)]
    sign_in(client, w.secretary)
    page = client.get(f"/directory/spend/consortium/{w.consortium.id}").get_data(as_text=True)
    assert "Trading between members (invoiced by the selling member)" in page and pounds(4000) in page
    csv = client.get(f"/directory/spend/consortium/{w.consortium.id}.csv").get_data(as_text=True)
    assert "Member,Re-Tweed Dundee CIC,40.00,40.00,100" in csv
    assert "Social-enterprise supplier,Hilltown Print Collective,40.00" in csv
    chart = client.get(f"/directory/spend/consortium/{w.consortium.id}/chart.svg")
    assert b"Re-Tweed Dundee CIC" in chart.data
    api = client.get(f"/api/v1/directory/spend/consortium/{w.consortium.id}", headers=api_token(w.secretary)).json
    assert {c["key"]: c["spend_pence"] for c in api["channels"]}["trading"] == 4000
