"""Money in and out against invoices: bank transfers a secretary records, and Stripe's events.

An invoice's `paid_pence` is always the sum of its payments (refunds are negative payments)
and its status follows from that sum and the credit notes, so a status is never set by hand
and a late or repeated Stripe event cannot move an invoice backwards. Each Stripe payment
intent is recorded once (a unique column), whichever of its events arrives first.

Refunds and disputes are payments keyed off the intent: negative `<intent>/refunded/<total>`
and `<intent>/dispute/<dispute id>` (Stripe holds the disputed money back when the dispute
opens), and positive `<intent>/dispute/<dispute id>/won` when a won dispute returns it.
"""

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from stripe import StripeObject

from billing import notices
from billing.models import Invoice, InvoiceStatus, Payment, PaymentMethod, StripeCustomer, StripeEvent
from kernel.clock import UK, uk_today, utcnow
from kernel.errors import Forbidden, ValidationFailed
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.lifecycle import Who
from orders.models import POOL_LIFECYCLE, Pool, PoolStatus, PurchaseOrder
from organisations import audit
from organisations.access import can_act_for_consortium
from organisations.models import Member, User

log = logging.getLogger(__name__)

REFERENCE_MAX = 140


def status_for(total_pence: int, paid_pence: int, credited_pence: int) -> InvoiceStatus:
    """Credited when credit notes cover the invoice, paid when money and credit do, part-paid on any money."""
    if credited_pence > 0 and credited_pence >= total_pence:
        return InvoiceStatus.CREDITED
    if paid_pence + credited_pence >= total_pence:
        return InvoiceStatus.PAID
    if paid_pence > 0:
        return InvoiceStatus.PART_PAID
    return InvoiceStatus.ISSUED


def apply_status(invoice: Invoice, actor: User | None = None) -> None:
    """Recompute what was paid from the payments themselves, then the status from the sums.

    `actor` is who recorded the change (None: a webhook or a job), recorded if it settles the pool."""
    db.session.flush()
    invoice.paid_pence = db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_pence), 0)).where(Payment.invoice_id == invoice.id)
    ).scalar_one()
    invoice.status = status_for(invoice.total_pence, invoice.paid_pence, invoice.credited_pence)
    _settle_pool(invoice, actor)
    db.session.flush()


def _settle_pool(invoice: Invoice, actor: User | None) -> None:
    """An invoiced pool is settled once every invoice of its orders is paid or credited, and invoiced again
    when one of them is due again (a refund, a dispute). The pool's row lock makes two payments at once on
    two of its invoices see each other."""
    if invoice.purchase_order_id is None:
        return
    pool = db.session.scalar(
        select(Pool)
        .join(PurchaseOrder, PurchaseOrder.pool_id == Pool.id)
        .where(PurchaseOrder.id == invoice.purchase_order_id)
        .with_for_update(of=Pool)
    )
    if pool is None or pool.status not in (PoolStatus.INVOICED, PoolStatus.SETTLED):
        return
    db.session.flush()
    still_due = db.session.scalar(
        select(Invoice.id)
        .join(PurchaseOrder, Invoice.purchase_order_id == PurchaseOrder.id)
        .where(PurchaseOrder.pool_id == pool.id, Invoice.status.in_([InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID]))
        .limit(1)
    )
    follows = PoolStatus.INVOICED if still_due is not None else PoolStatus.SETTLED
    if follows is not pool.status:
        POOL_LIFECYCLE.move(pool, follows, actor, by=Who.SYSTEM)


def member_credit_pence(member_id: int) -> int:
    """Over-payments held as credit: what was paid and credited beyond each invoice's total."""
    excess = Invoice.paid_pence + Invoice.credited_pence - Invoice.total_pence
    return db.session.execute(
        select(func.coalesce(func.sum(case((excess > 0, excess), else_=0)), 0)).where(Invoice.member_id == member_id)
    ).scalar_one()


def _locked_if_any(invoice_id: int) -> Invoice | None:
    """The invoice row locked until commit, or None when there is no such invoice (a webhook's metadata)."""
    return db.session.scalar(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    )


# Bank transfers recorded by a secretary


def record_payment(
    actor: User,
    invoice: Invoice,
    amount_pence: int,
    received_on: date,
    reference: str,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
) -> Payment:
    """Money received for an invoice; more than is due is kept as the member's credit."""
    reference = _check_entry(actor, invoice, amount_pence, received_on, reference)
    invoice = _locked(invoice.id)
    return _add_payment(invoice, amount_pence, method, received_on, reference, recorded_by=actor)


def record_refund(actor: User, invoice: Invoice, amount_pence: int, received_on: date, reference: str) -> Payment:
    """Money paid back to the member: a negative payment, never more than was paid."""
    reference = _check_entry(actor, invoice, amount_pence, received_on, reference)
    invoice = _locked(invoice.id)
    apply_status(invoice)
    if amount_pence > invoice.paid_pence:
        raise ValidationFailed.field(
            "amount_pence",
            f"Only {pounds(max(invoice.paid_pence, 0))} has been paid on invoice {invoice.number}, "
            "so no more than that can be refunded.",
        )
    return _add_payment(invoice, -amount_pence, PaymentMethod.BANK_TRANSFER, received_on, reference, recorded_by=actor)


def _check_entry(actor: User, invoice: Invoice, amount_pence: Any, received_on: Any, reference: Any) -> str:
    if not can_act_for_consortium(actor, invoice.consortium_id):
        raise Forbidden("Only the consortium's secretary records payments.")
    errors: dict[str, list[str]] = {}
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int) or amount_pence <= 0:
        errors["amount_pence"] = ["Enter an amount of at least 1p."]
    if not isinstance(received_on, date):
        errors["received_on"] = ["Enter the date the money arrived."]
    elif received_on > uk_today():
        errors["received_on"] = ["The date the money arrived cannot be in the future."]
    reference = reference.strip() if isinstance(reference, str) else ""
    if not reference:
        errors["reference"] = ["Enter the bank reference, so the payment can be found on the statement."]
    elif len(reference) > REFERENCE_MAX:
        errors["reference"] = [f"Keep the reference to {REFERENCE_MAX} characters."]
    if errors:
        raise ValidationFailed("Check the payment details.", errors)
    return reference


def _locked(invoice_id: int) -> Invoice:
    """The invoice row locked until commit, so concurrent payments add up (PostgreSQL; SQLite has one writer)."""
    return db.session.execute(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _add_payment(
    invoice: Invoice,
    amount_pence: int,
    method: PaymentMethod,
    received_on: date,
    reference: str,
    recorded_by: User | None = None,
    stripe_key: str | None = None,
) -> Payment:
    payment = Payment(
        invoice_id=invoice.id,
        member_id=invoice.member_id,
        amount_pence=amount_pence,
        method=method,
        received_on=received_on,
        reference=reference,
        stripe_payment_intent=stripe_key,
        recorded_by=recorded_by,
    )
    db.session.add(payment)
    apply_status(invoice, recorded_by)
    audit.record(
        recorded_by,
        "payment_recorded" if amount_pence > 0 else "refund_recorded",
        f"{pounds(abs(amount_pence))} on invoice {invoice.number}",
        invoice.consortium_id,
        f"{method.value}, reference {reference}",
    )
    if amount_pence > 0:
        notices.payment_received(invoice, payment)
    return payment


# Stripe events (verified by billing.webhooks before they arrive here)


def handle_event(event: StripeObject | dict) -> bool:
    """Apply one Stripe event once: False when its id was already handled, so a replay changes nothing.

    The event id is stored in the same transaction as the change it makes.
    """
    data = event.to_dict() if isinstance(event, StripeObject) else event
    if db.session.get(StripeEvent, data["id"]) is not None:
        return False
    db.session.add(StripeEvent(id=data["id"], type=data["type"], received_at=utcnow()))
    db.session.flush()
    handler = _HANDLERS.get(data["type"])
    if handler is not None:
        received_on = datetime.fromtimestamp(data["created"], UK).date() if data.get("created") else uk_today()
        handler(data["data"]["object"], received_on)
    db.session.flush()
    return True


def _checkout_session_paid(session: dict, received_on: date) -> None:
    """Completed sessions pay at once for cards; Bacs and bank transfers settle later (async_payment_*)."""
    if session.get("mode") == "payment" and session.get("payment_status") == "paid":
        _record_stripe_payment(
            _invoice_id(session),
            session.get("payment_intent"),
            session.get("amount_total"),
            session.get("currency"),
            received_on,
        )


def _payment_intent_succeeded(intent: dict, received_on: date) -> None:
    _record_stripe_payment(
        _invoice_id(intent), intent.get("id"), intent.get("amount_received"), intent.get("currency"), received_on
    )


def _payment_failed(obj: dict, received_on: date) -> None:
    """Nothing was paid, so nothing changes: the invoice stays due and the member can pay again."""
    log.info("Stripe payment failed for invoice %s (%s)", _invoice_id(obj), obj.get("id"))


def _charge_refunded(charge: dict, received_on: date) -> None:
    """`amount_refunded` is cumulative, so each refund event records only what is new, in any order."""
    intent = charge.get("payment_intent")
    if not intent:
        return
    paid = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent == intent))
    invoice_id = _invoice_id(charge)
    if paid is None:
        paid = _record_stripe_payment(
            invoice_id,
            intent,
            charge.get("amount_captured") or charge.get("amount"),
            charge.get("currency"),
            received_on,
        )
    if paid is None:
        log.warning("Stripe refund of %s matches no recorded payment", intent)
        return
    invoice = _locked(paid.invoice_id)
    prefix = f"{intent}/refunded/"
    recorded = -db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_pence), 0)).where(
            Payment.stripe_payment_intent.startswith(prefix, autoescape=True)
        )
    ).scalar_one()
    refunded = charge.get("amount_refunded") or 0
    if refunded > recorded:
        _add_payment(
            invoice,
            -(refunded - recorded),
            PaymentMethod.STRIPE,
            received_on,
            f"Stripe refund of {intent}",
            stripe_key=f"{prefix}{refunded}",
        )


def _dispute_created(dispute: dict, received_on: date) -> None:
    """Stripe holds the disputed money back at once: a negative payment, so the invoice is due again."""
    _hold_disputed(dispute, received_on)


def _dispute_closed(dispute: dict, received_on: date) -> None:
    """Won: the money comes back (a positive payment). Lost: what was held back stays gone.

    Either order of `created` and `closed` gives the same record, since both make sure of the hold.
    """
    hold = _hold_disputed(dispute, received_on)
    if hold is None or dispute.get("status") != "won":
        return
    key = f"{hold.stripe_payment_intent}/won"
    if db.session.scalar(select(Payment.id).where(Payment.stripe_payment_intent == key)) is None:
        _add_payment(
            _locked(hold.invoice_id),
            -hold.amount_pence,
            PaymentMethod.STRIPE,
            received_on,
            f"Stripe dispute {dispute.get('id')} won"[:REFERENCE_MAX],
            stripe_key=key,
        )


def _hold_disputed(dispute: dict, received_on: date) -> Payment | None:
    """The negative payment keyed `<intent>/dispute/<dispute id>`, recorded once.

    Inquiries (`warning_*` statuses) hold no money back, so they record nothing.
    """
    intent, dispute_id, disputed = dispute.get("payment_intent"), dispute.get("id"), dispute.get("amount")
    if str(dispute.get("status", "")).startswith("warning_"):
        return None
    paid = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent == intent)) if intent else None
    if paid is None or not dispute_id or not disputed or disputed <= 0:
        log.warning("Stripe dispute %s of %s matches no recorded payment", dispute_id, intent)
        return None
    if (dispute.get("currency") or "").lower() != "gbp":
        log.warning("Stripe dispute %s is in %s, not GBP; not recorded", dispute_id, dispute.get("currency"))
        return None
    key = f"{intent}/dispute/{dispute_id}"
    hold = db.session.scalar(select(Payment).where(Payment.stripe_payment_intent == key))
    if hold is None:
        reason = f" ({dispute['reason']})" if dispute.get("reason") else ""
        hold = _add_payment(
            _locked(paid.invoice_id),
            -disputed,
            PaymentMethod.STRIPE,
            received_on,
            f"Stripe dispute {dispute_id}{reason}: money held back"[:REFERENCE_MAX],
            stripe_key=key,
        )
    return hold


def _setup_intent_succeeded(setup_intent: dict, received_on: date) -> None:
    """Keep the member's newly saved payment method, to charge invoices when they are issued."""
    customer_id, method = setup_intent.get("customer"), setup_intent.get("payment_method")
    if not customer_id or not method:
        return
    customer = db.session.scalar(select(StripeCustomer).where(StripeCustomer.customer_id == customer_id))
    if customer is None:
        member_id = _int((setup_intent.get("metadata") or {}).get("member_id"))
        if member_id is None or db.session.get(Member, member_id) is None:
            log.warning("Stripe setup intent %s matches no member", setup_intent.get("id"))
            return
        customer = db.session.get(StripeCustomer, member_id) or StripeCustomer(member_id=member_id)
        customer.customer_id = customer_id
        db.session.add(customer)
    customer.payment_method_id = method
    customer.updated_at = utcnow()


_HANDLERS = {
    "checkout.session.completed": _checkout_session_paid,
    "checkout.session.async_payment_succeeded": _checkout_session_paid,
    "checkout.session.async_payment_failed": _payment_failed,
    "payment_intent.succeeded": _payment_intent_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
    "setup_intent.succeeded": _setup_intent_succeeded,
    "charge.dispute.created": _dispute_created,
    "charge.dispute.closed": _dispute_closed,
}


def record_stripe_payment(invoice: Invoice, intent: str, amount_pence: int, received_on: date) -> Payment | None:
    """A Stripe payment confirmed while we asked for it (an off-session charge); None if already recorded."""
    return _record_stripe_payment(invoice.id, intent, amount_pence, "gbp", received_on)


def _record_stripe_payment(
    invoice_id: int | None,
    intent: str | None,
    amount_pence: int | None,
    currency: str | None,
    received_on: date,
) -> Payment | None:
    invoice = _locked_if_any(invoice_id) if invoice_id is not None else None
    if invoice is None or not intent or not amount_pence or amount_pence <= 0:
        log.warning("Stripe payment %s for invoice %s not recorded: no such invoice or no amount", intent, invoice_id)
        return None
    if (currency or "").lower() != "gbp":
        log.warning("Stripe payment %s is in %s, not GBP; not recorded", intent, currency)
        return None
    if db.session.scalar(select(Payment.id).where(Payment.stripe_payment_intent == intent)) is not None:
        return None
    return _add_payment(invoice, amount_pence, PaymentMethod.STRIPE, received_on, f"Stripe {intent}", stripe_key=intent)


def _invoice_id(obj: dict) -> int | None:
    return _int((obj.get("metadata") or {}).get("invoice_id"))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
