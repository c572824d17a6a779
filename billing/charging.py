"""Which newly issued invoices are due a charge to a saved payment method, once they are committed.

Issuing (billing.services) notes each new invoice here, in whatever transaction issues it: a
request, `bill-shared-services`, the demo. When that transaction commits, the invoices move to
the committed list; when it rolls back they are forgotten. Whoever commits then calls
`billing.stripe_gateway.charge_committed_invoices()` (the request's commit, the CLI's, and the
app context's end as a backstop), so a card is never charged for an invoice that was rolled
back and no Stripe call is made while the issuing transaction holds its locks.
"""

from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from kernel.extensions import db

ISSUED = "billing.issued_invoice_ids"  # issued in the open transaction
COMMITTED = "billing.committed_invoice_ids"  # committed, not yet offered to Stripe


def charge_after_commit(invoice_ids: Iterable[int]) -> None:
    db.session.info.setdefault(ISSUED, []).extend(invoice_ids)


def has_committed() -> bool:
    """Without making a session where there is none (a request that never touched the database)."""
    return db.session.registry.has() and bool(db.session.info.get(COMMITTED))


def take_committed() -> list[int]:
    """The committed invoices not yet charged, each handed out once."""
    return db.session.info.pop(COMMITTED, [])


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    issued = session.info.pop(ISSUED, None)
    if issued:
        session.info.setdefault(COMMITTED, []).extend(issued)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """A rolled-back (or closed) outermost transaction takes its invoices with it; after a commit none are left.

    Flushes and savepoints end inner transactions (with a parent), which leave the list alone.
    """
    if transaction.parent is None:
        session.info.pop(ISSUED, None)
