"""The emails of bookings and trade invoices, written by the sender from each event, not by the change.

Who hears: the seller of a new request; the buyer of an answer (accepted or declined), both members of a
cancellation (with any fee), of delivery, a dispute and its ruling, and of an invoice. Each member hears
through the users who act for it, less those who switched that kind of email off.
"""

from collections.abc import Callable

from kernel.extensions import db
from organisations.models import Consortium, OutboxEvent
from organisations.notifications import Letter, external_url, member_users, notify_each
from trading.models import Booking, TradeInvoice
from trading.services import ANSWERED_KIND, DELIVERY_KIND, INVOICED_KIND, REQUESTED_KIND

SUBJECTS = {
    "requested": "{buyer} asks to book {title}",
    "accepted": "{seller} accepted your booking of {title}",
    "declined": "{seller} declined your booking of {title}",
    "cancelled": "Booking {id} of {title} is cancelled",
    "delivered": "Booking {id} of {title} is delivered",
    "disputed": "Booking {id} of {title} is disputed",
    "resolved": "The dispute over booking {id} of {title} is resolved",
}


def _letters(kind: str, booking: Booking, what: str, sides: tuple[str, ...], context: dict) -> list[Letter]:
    consortium = db.session.get_one(Consortium, booking.consortium_id)
    members = {"buyer": booking.buyer_id, "seller": booking.seller_id}
    users = member_users(members[side] for side in sides)
    subject = SUBJECTS.get(what, "").format(
        buyer=booking.buyer.name, seller=booking.seller.name, title=booking.listing.title, id=booking.id
    )
    url = external_url("trading.booking_page", booking_id=booking.id)
    return [
        Letter(
            users.get(members[side], []),
            context.pop("subject", None) or subject,
            kind,
            context | {"booking": booking, "what": what, "side": side, "booking_url": url},
            consortium,
            f"{kind}:{booking.id}:{what}:{side}",
        )
        for side in sides
    ]


def _booking_event(kind: str, sides_of: Callable[[str], tuple[str, ...]]) -> Callable[[OutboxEvent], int]:
    def expand(event: OutboxEvent) -> int:
        booking = db.session.get_one(Booking, event.subject_id)
        what = event.detail.get("what", "")
        return notify_each(kind, _letters(kind, booking, what, sides_of(what), {}))

    return expand


def _tell_invoice(event: OutboxEvent) -> int:
    """The buyer is invoiced; the seller keeps a copy of what it sent."""
    invoice = db.session.get_one(TradeInvoice, event.subject_id)
    booking = db.session.get_one(Booking, invoice.booking_id)
    letters = []
    for side in ("buyer", "seller"):
        subject = (
            f"Invoice {invoice.number} from {invoice.seller_name}"
            if side == "buyer"
            else f"Invoice {invoice.number} sent to {invoice.buyer_name}"
        )
        context = {
            "subject": subject,
            "invoice": invoice,
            "invoice_url": external_url("trading.invoice_page", trade_invoice_id=invoice.id),
        }
        letters += _letters(INVOICED_KIND, booking, "invoiced", (side,), context)
    return notify_each(INVOICED_KIND, letters)


EXPANDERS = {
    REQUESTED_KIND: _booking_event(REQUESTED_KIND, lambda what: ("seller",)),
    ANSWERED_KIND: _booking_event(
        ANSWERED_KIND, lambda what: ("buyer", "seller") if what == "cancelled" else ("buyer",)
    ),
    DELIVERY_KIND: _booking_event(DELIVERY_KIND, lambda what: ("buyer", "seller")),
    INVOICED_KIND: _tell_invoice,
}
