"""The queue of saved payment methods to charge: written with the invoices, worked off outside any request.

Issuing (billing.services) queues each new invoice whose member has a saved method, in the transaction
that issues it: a rolled-back issue queues nothing, and a committed one is never forgotten. The
`charge-saved-methods` job (billing.stripe_gateway.charge_due) claims one charge at a time for LEASE,
commits the claim, calls Stripe, then records the outcome and any payment in a second transaction.

A worker killed before the second commit leaves the claim to lapse, and the next run tries again with
the same idempotency key, `invoice-<id>-charge-<charge id>`: Stripe answers a repeated key with its
first answer, so the invoice is charged once (Stripe keeps a key 24 hours; LEASE is minutes). After
MAX_TRIES claims that never finished, the member is sent the pay link instead.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, literal, or_, select, update

from billing.models import Invoice, SavedMethodCharge, StripeCustomer
from kernel.clock import utcnow
from kernel.extensions import UTCDateTime, db

LEASE = timedelta(minutes=5)  # far longer than one Stripe call can take (stripe_gateway.worst_case_seconds)
MAX_TRIES = 5


def charge_after_commit(invoice_ids: Iterable[int]) -> None:
    """Queues the invoices whose members have a saved payment method; the caller commits.

    The ids (integers, thousands for one order) are written into the statement, not bound one
    parameter each for the driver to convert in Python.
    """
    ids = list(invoice_ids)
    if not ids:
        return
    saved = (
        select(Invoice.id, literal(0), literal(utcnow(), UTCDateTime()))
        .join(StripeCustomer, StripeCustomer.member_id == Invoice.member_id)
        .where(
            Invoice.id.in_(bindparam("ids", ids, expanding=True, literal_execute=True)),
            StripeCustomer.payment_method_id.is_not(None),
        )
    )
    db.session.execute(
        insert(SavedMethodCharge).from_select(
            [SavedMethodCharge.invoice_id, SavedMethodCharge.tries, SavedMethodCharge.created_at], saved
        )
    )


def queued(invoice_ids: Iterable[int]) -> int:
    """How many of these invoices wait for their saved method to be charged."""
    return len(
        db.session.scalars(
            select(SavedMethodCharge.id).where(
                SavedMethodCharge.invoice_id.in_(list(invoice_ids)), SavedMethodCharge.finished_at.is_(None)
            )
        ).all()
    )


def _due(now: datetime):
    return (
        SavedMethodCharge.finished_at.is_(None),
        or_(SavedMethodCharge.claimed_until.is_(None), SavedMethodCharge.claimed_until <= now),
    )


def claim_next(now: datetime) -> SavedMethodCharge | None:
    """Claims the oldest charge nobody holds until `now + LEASE`, counting the try; None when none is due.

    PostgreSQL skips a row another worker is claiming; SQLite lets one writer in at a time.
    """
    oldest = (
        select(SavedMethodCharge.id)
        .where(*_due(now))
        .order_by(SavedMethodCharge.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    charge_id = db.session.execute(
        update(SavedMethodCharge)
        .where(SavedMethodCharge.id == oldest, *_due(now))
        .values(tries=SavedMethodCharge.tries + 1, claimed_until=now + LEASE)
        .returning(SavedMethodCharge.id)
    ).scalar()
    if charge_id is None:
        return None
    return db.session.scalar(
        select(SavedMethodCharge).where(SavedMethodCharge.id == charge_id).execution_options(populate_existing=True)
    )


def idempotency_key(charge: SavedMethodCharge) -> str:
    return f"invoice-{charge.invoice_id}-charge-{charge.id}"
