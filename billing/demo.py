"""Demo invoices: issued, part-paid, paid and credited, from the demo's delivered orders."""

from collections.abc import Iterator
from datetime import date, timedelta

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

    Invoicing 40 days ago, then payments and credits.
    """
    today = uk_today()
    yield today - timedelta(days=40)
    admin = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
    uninvoiced = ~select(Invoice.id).where(Invoice.purchase_order_id == PurchaseOrder.id).exists()
    delivered = sorted(
        db.session.scalars(
            select(PurchaseOrder).where(PurchaseOrder.status == PurchaseOrderStatus.DELIVERED, uninvoiced)
        ),
        key=lambda order: (order.consortium.code != "TAY", order.id),
    )  # the demo secretary's first
    invoices = [
        invoice
        for order in delivered
        for invoice in services.issue_invoices(admin, order.id, today=today - timedelta(days=40))
    ]
    if len(invoices) < 4:
        return
    paid, part_paid, credited = invoices[0], invoices[1], invoices[2]
    yield today - timedelta(days=20)
    payments.record_payment(admin, paid, paid.total_pence, today - timedelta(days=20), f"BACS {paid.number}")
    yield today - timedelta(days=10)
    payments.record_payment(
        admin, part_paid, part_paid.total_pence // 2, today - timedelta(days=10), f"Part payment {part_paid.number}"
    )
    yield today - timedelta(days=5)
    services.issue_credit_note(
        admin,
        credited,
        services.full_credit(credited),
        "Goods returned unopened; the whole invoice is credited.",
        today=today - timedelta(days=5),
    )
    short = next(
        (i for i in invoices[3:] if any(line.kind is LineKind.GOODS and line.quantity > 1 for line in i.lines)), None
    )
    if short is not None:
        yield today - timedelta(days=3)
        goods = next(line for line in short.lines if line.kind is LineKind.GOODS)
        services.issue_credit_note(
            admin,
            short,
            [services.CreditItem(goods.id, 1)],
            "Short delivery: one unit did not arrive.",
            today=today - timedelta(days=3),
        )
