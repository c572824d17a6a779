"""CSV rows of a member's statement and of the finance reports; amounts in pounds to the penny (12.30)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from billing.standing import BANDS

if TYPE_CHECKING:
    from billing.models import Payment
    from billing.services import AgedDebtInFull, Statement


def _pounds(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


STATEMENT_HEADER = ["Date", "What", "Number", "Details", "Amount (GBP)", "Balance (GBP)"]


def statement_rows(statement: Statement) -> Iterator[list]:
    """The opening balance, every entry with the balance after it, then the closing balance."""
    yield [statement.from_date, "opening balance", "", "", "", _pounds(statement.opening_balance_pence)]
    for entry in statement.entries:
        yield [
            entry.on,
            entry.kind,
            entry.number,
            entry.description,
            _pounds(entry.amount_pence),
            _pounds(entry.balance_pence),
        ]
    yield [statement.to_date, "closing balance", "", "", "", _pounds(statement.closing_balance_pence)]


PAYMENTS_HEADER = ["Received on", "Member", "Invoice", "Method", "Reference", "Amount (GBP)"]


def payments_rows(payments: Iterable[Payment]) -> Iterator[list]:
    """One row per payment or refund (negative), in the order given, then their total."""
    total = 0
    for payment in payments:
        total += payment.amount_pence
        yield [
            payment.received_on,
            payment.invoice.buyer_name,
            payment.invoice.number,
            payment.method.value.replace("_", " "),
            payment.reference,
            _pounds(payment.amount_pence),
        ]
    yield ["Total", "", "", "", "", _pounds(total)]


AGED_DEBT_HEADER = ["Member", *(f"{band.capitalize()} (GBP)" for band in BANDS), "Total (GBP)"]


def aged_debt_rows(report: AgedDebtInFull) -> Iterator[list]:
    """One row per member that owes anything, written as they are read, then the totals."""
    for member in report.members:
        yield [member.name, *(_pounds(p) for p in member.row.bands), _pounds(member.row.total_pence)]
    yield ["Total", *(_pounds(p) for p in report.totals.bands), _pounds(report.totals.total_pence)]
