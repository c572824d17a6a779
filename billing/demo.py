"""Demo invoices: issued, part-paid, paid and credited, from the demo's delivered orders."""

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select

from billing import payments, services
from billing.models import Invoice, LineKind
from kernel.clock import uk_today
from kernel.demo import run_in_date_order
from kernel.extensions import db
from orders.models import PurchaseOrder, PurchaseOrderStatus
from organisations.models import User


def seed() -> None:
    """Idempotent: invoices only delivered orders that have no invoices yet, so running it again does nothing.

    Orders invoiced earlier (the reports demo's year of past pools) are left as they are.
    """
    run_in_date_order(history())


def history() -> Iterator[date]:
    """Each step on its day (see kernel.demo.run_in_date_order).

    The demo's orders were delivered today, so they are invoiced today (never before the order), and the
    payments and credits follow the same day: the invoices are due, not overdue.
    """
    today = uk_today()
    yield today
    admin = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
    uninvoiced = ~select(Invoice.id).where(Invoice.purchase_order_id == PurchaseOrder.id).exists()
    delivered = sorted(
        db.session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.status == PurchaseOrderStatus.DELIVERED, uninvoiced)
        ),
        key=lambda order: (order.consortium.code != "TAY", order.id),
    )  # the demo secretary's first
    invoices = [invoice for order in delivered for invoice in services.issue_invoices(admin, order.id, today=today)]
    if len(invoices) < 4:
        return
    paid, part_paid, credited = invoices[0], invoices[1], invoices[2]
    payments.record_payment(admin, paid, paid.total_pence, today, f"BACS {paid.number}")
    payments.record_payment(admin, part_paid, part_paid.total_pence // 2, today, f"Part payment {part_paid.number}")
    services.issue_credit_note(
        admin,
        credited,
        services.full_credit(credited),
        "Goods returned unopened; the whole invoice is credited.",
        today=today,
    )
    short = next(
        (i for i in invoices[3:] if any(line.kind is LineKind.GOODS and line.quantity > 1 for line in i.lines)), None
    )
    if short is not None:
        goods = next(line for line in short.lines if line.kind is LineKind.GOODS)
        services.issue_credit_note(
            admin,
            short,
            [services.CreditItem(goods.id, 1)],
            "Short delivery: one unit did not arrive.",
            today=today,
        )
