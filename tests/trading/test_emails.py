"""Booking emails: one outbox event per move in the move's transaction, expanded into each member's users' emails,
less those who switched the kind off."""

from sqlalchemy import func, select

from kernel.extensions import db
from organisations import notifications
from organisations.models import OutboxEvent, Role
from tests import factories
from tests.factories import outbox_messages
from tests.trading.conftest import book, delivered, room
from trading import services


def _to(kind: str) -> list[tuple[str, str]]:
    return [(m.to_email, m.subject) for m in outbox_messages(kind)]


def test_the_seller_hears_of_a_request_and_the_buyer_of_the_answer(traders):
    listing, slots = room(traders)
    booking = book(traders, listing, slots[:1], note="We need the screen")
    requested = outbox_messages("booking_requested")
    assert [m.to_email for m in requested] == [traders.seller_user.email]
    assert requested[0].subject == f"{traders.buyer.name} asks to book Meeting room for 8"
    assert "We need the screen" in requested[0].body_text and "£25.00" in requested[0].body_text
    assert f"/trading/bookings/{booking.id}" in requested[0].body_html
    services.accept(traders.seller_user, booking)
    db.session.commit()
    assert _to("booking_answered") == [
        (traders.buyer_user.email, f"{traders.seller.name} accepted your booking of Meeting room for 8")
    ]


def test_a_late_cancellation_tells_both_members_the_fee_and_invoices_it(traders):
    listing, slots = room(traders, days_ahead=1, cancel_fee_percent=50, free_cancel_days=3)
    booking = book(traders, listing, slots[:1])
    services.accept(traders.seller_user, booking)
    services.cancel(traders.buyer_user, booking, "Plans changed")
    db.session.commit()
    cancelled = [m for m in outbox_messages("booking_answered") if "cancelled" in m.subject]
    assert sorted(m.to_email for m in cancelled) == sorted([traders.buyer_user.email, traders.seller_user.email])
    assert all("a fee of £12.50" in m.body_text and "Plans changed" in m.body_text for m in cancelled)
    invoiced = outbox_messages("trade_invoice_issued")
    assert sorted(m.to_email for m in invoiced) == sorted([traders.buyer_user.email, traders.seller_user.email])
    assert all("total £12.50" in m.body_text for m in invoiced)


def test_both_hear_of_delivery_a_dispute_and_the_invoice_and_a_switched_off_kind_is_not_sent(traders):
    colleague = factories.user("colleague@example.org", (Role.MEMBER, traders.buyer.id))
    notifications.switch_off(colleague, "booking_delivery")
    db.session.commit()
    listing, slots = room(traders)
    disputed = book(traders, listing, slots[:1])
    services.accept(traders.seller_user, disputed)
    services.dispute(traders.buyer_user, disputed, "The room was locked")
    booking = delivered(traders, book(traders, listing, slots[1:2]))
    invoice = services.issue_invoice(traders.seller_user, booking)
    db.session.commit()
    delivery = outbox_messages("booking_delivery")
    for told in (disputed, booking):
        to = sorted(m.to_email for m in delivery if f"Booking {told.id} " in m.subject)
        assert to == sorted([traders.buyer_user.email, traders.seller_user.email])
    assert colleague.email not in {m.to_email for m in delivery}
    invoiced = _to("trade_invoice_issued")
    assert (traders.buyer_user.email, f"Invoice {invoice.number} from {invoice.seller_name}") in invoiced
    assert colleague.email in {to for to, _ in invoiced}


def test_a_refused_booking_writes_no_event(traders):
    listing, slots = room(traders)
    book(traders, listing, slots[:1])
    before = db.session.scalar(select(func.count(OutboxEvent.id)))
    try:
        book(traders, listing, slots[:1])
    except Exception:
        db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxEvent.id))) == before
