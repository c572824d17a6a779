"""Invoices, credit notes, payments, and the Stripe records that move them.

Issued documents are never edited or deleted: their lines, parties and VAT analysis are
copied in when they are issued, and corrections are credit notes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.models import VatRate, price
from kernel.extensions import Model, UTCDateTime, created_at, enum_column, intpk
from orders.invoice_plan import LineKind
from orders.models import PurchaseOrder
from organisations.models import Consortium, Member, User


class InvoiceStatus(enum.Enum):
    ISSUED = "issued"
    PART_PAID = "part_paid"
    PAID = "paid"
    CREDITED = "credited"


class PaymentMethod(enum.Enum):
    BANK_TRANSFER = "bank_transfer"
    STRIPE = "stripe"
    CREDIT_BALANCE = "credit_balance"


class DocumentParties:
    """Seller (the consortium) and buyer (the member) as printed when the document was issued."""

    seller_name: Mapped[str] = mapped_column(String(200))
    seller_address: Mapped[str] = mapped_column(String(500))
    seller_vat_number: Mapped[str | None] = mapped_column(String(14))
    seller_bank_account_name: Mapped[str | None] = mapped_column(String(100))
    seller_sort_code: Mapped[str | None] = mapped_column(String(8))
    seller_account_number: Mapped[str | None] = mapped_column(String(8))
    buyer_name: Mapped[str] = mapped_column(String(200))
    buyer_address: Mapped[str] = mapped_column(String(500))
    buyer_vat_number: Mapped[str | None] = mapped_column(String(14))
    buyer_email: Mapped[str] = mapped_column(String(254))

    @property
    def has_seller_bank_account(self) -> bool:
        """Whether the consortium gave the account members pay into by bank transfer."""
        return bool(self.seller_sort_code and self.seller_account_number)


class DocumentLine:
    """One line: quantity x unit price net of VAT, its VAT rate and its net amount."""

    position: Mapped[int]
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int]
    unit_price: Mapped[price]
    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    net_pence: Mapped[int]


class VatAnalysis:
    """VAT per rate, computed on the summed net of that rate, rounded half-up once."""

    vat_rate: Mapped[VatRate] = mapped_column(enum_column(VatRate))
    net_pence: Mapped[int]
    vat_pence: Mapped[int]


class IssuedInvoice(Protocol):
    """What an invoice's PDF and UBL are made from: the consortium's invoices, and the invoices one member issues
    another for a booking (trading), which share these columns."""

    @property
    def number(self) -> str: ...
    @property
    def issue_date(self) -> date: ...
    @property
    def supply_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def reference(self) -> str: ...
    @property
    def net_pence(self) -> int: ...
    @property
    def vat_pence(self) -> int: ...
    @property
    def total_pence(self) -> int: ...
    @property
    def lines(self) -> Sequence[DocumentLine]: ...
    @property
    def vat_lines(self) -> Sequence[VatAnalysis]: ...
    @property
    def seller_name(self) -> str: ...
    @property
    def seller_address(self) -> str: ...
    @property
    def seller_vat_number(self) -> str | None: ...
    @property
    def seller_bank_account_name(self) -> str | None: ...
    @property
    def seller_sort_code(self) -> str | None: ...
    @property
    def seller_account_number(self) -> str | None: ...
    @property
    def has_seller_bank_account(self) -> bool: ...
    @property
    def buyer_name(self) -> str: ...
    @property
    def buyer_address(self) -> str: ...
    @property
    def buyer_vat_number(self) -> str | None: ...
    @property
    def buyer_email(self) -> str: ...


# The lines whose quantity is units bought (not delivery, fees or solidarity), and those whose net pays the supplier.
UNIT_KINDS = frozenset({LineKind.GOODS, LineKind.SERVICE})
SUPPLIER_KINDS = frozenset({LineKind.GOODS, LineKind.DELIVERY, LineKind.SERVICE})


class Invoice(DocumentParties, Model):
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "member_id"),
        CheckConstraint("total_pence = net_pence + vat_pence", name="total_is_net_plus_vat"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus), index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    supply_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    reference: Mapped[str] = mapped_column(String(100))
    net_pence: Mapped[int]
    vat_pence: Mapped[int]
    total_pence: Mapped[int]
    paid_pence: Mapped[int] = mapped_column(default=0)
    credited_pence: Mapped[int] = mapped_column(default=0)
    # What the savings reports read, kept as the invoice is issued and as credit notes are issued (billing.services)
    # so that a report sums invoices, not their lines: `units` of UNIT_KINDS lines, `supplier_pence` the net of
    # SUPPLIER_KINDS lines, and what credit notes' lines took of each and of the net.
    units: Mapped[int] = mapped_column(default=0)
    supplier_pence: Mapped[int] = mapped_column(default=0)
    credited_units: Mapped[int] = mapped_column(default=0)
    credited_net_pence: Mapped[int] = mapped_column(default=0)
    credited_supplier_pence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]

    consortium: Mapped[Consortium] = relationship()
    member: Mapped[Member] = relationship()
    purchase_order: Mapped[PurchaseOrder | None] = relationship()
    lines: Mapped[list[InvoiceLine]] = relationship(order_by="InvoiceLine.position", cascade="all, delete-orphan")
    vat_lines: Mapped[list[InvoiceVat]] = relationship(cascade="all, delete-orphan")

    @property
    def due_pence(self) -> int:
        return max(self.total_pence - self.credited_pence - self.paid_pence, 0)


class InvoiceLine(DocumentLine, Model):
    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)


class InvoiceVat(VatAnalysis, Model):
    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"), index=True)


class CreditNote(DocumentParties, Model):
    """Corrects an issued invoice, in full or in part; it has its own number series."""

    __table_args__ = (CheckConstraint("total_pence = net_pence + vat_pence", name="total_is_net_plus_vat"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(30), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    net_pence: Mapped[int]
    vat_pence: Mapped[int]
    total_pence: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    invoice: Mapped[Invoice] = relationship()
    lines: Mapped[list[CreditNoteLine]] = relationship(order_by="CreditNoteLine.position", cascade="all, delete-orphan")
    vat_lines: Mapped[list[CreditNoteVat]] = relationship(cascade="all, delete-orphan")


class CreditNoteLine(DocumentLine, Model):
    id: Mapped[intpk]
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"), index=True)
    # The invoice line it credits, so no line is credited beyond what it invoiced.
    invoice_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_line.id"), index=True)


class CreditNoteVat(VatAnalysis, Model):
    id: Mapped[intpk]
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_note.id", ondelete="CASCADE"), index=True)


class Payment(Model):
    """Money in against an invoice (a refund is negative). Stripe payments carry their ids, once each."""

    __table_args__ = (CheckConstraint("amount_pence != 0", name="amount_not_zero"),)

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    amount_pence: Mapped[int]
    method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    received_on: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(140))
    stripe_payment_intent: Mapped[str | None] = mapped_column(String(255), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]

    invoice: Mapped[Invoice] = relationship()
    recorded_by: Mapped[User | None] = relationship()


class StripeEvent(Model):
    """Every Stripe event handled, stored in the transaction of the change it made: a replay finds it here."""

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StripeCustomer(Model):
    """A member's Stripe customer and the payment method it saved for charging invoices when issued."""

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckoutAttempt(Model):
    """One Checkout Session opened for an invoice; the attempt number makes the idempotency key."""

    __table_args__ = (UniqueConstraint("invoice_id", "attempt"),)

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), index=True)
    attempt: Mapped[int]
    session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    url: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[created_at]


class SavedMethodCharge(Model):
    """An issued invoice to charge to its member's saved payment method, queued in the transaction that issued it.

    `charge-saved-methods` claims it until `claimed_until` and finishes it with its `outcome`; a claim whose
    worker died lapses and the charge is tried again with the same idempotency key (billing.charging).
    """

    id: Mapped[intpk]
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), unique=True)
    tries: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[created_at]

    invoice: Mapped[Invoice] = relationship()


# Issued documents never change


class IssuedDocumentChanged(RuntimeError):
    """A program tried to edit or delete an issued invoice or credit note; corrections are credit notes."""


# What payments and credit notes move on an invoice; everything else is as issued.
_SETTLED_COLUMNS = {
    Invoice: {
        "status",
        "paid_pence",
        "credited_pence",
        "credited_units",
        "credited_net_pence",
        "credited_supplier_pence",
    }
}
_ISSUED_DOCUMENTS = (Invoice, InvoiceLine, InvoiceVat, CreditNote, CreditNoteLine, CreditNoteVat)


def _refuse_edits(mapper, connection, target) -> None:
    state = inspect(target)
    changed = {column.key for column in mapper.column_attrs if state.attrs[column.key].history.has_changes()}
    changed -= _SETTLED_COLUMNS.get(type(target), set())
    if changed:
        raise IssuedDocumentChanged(
            f"An issued {type(target).__name__} is never edited ({', '.join(sorted(changed))})."
        )


def _refuse_deletes(mapper, connection, target) -> None:
    raise IssuedDocumentChanged(f"An issued {type(target).__name__} is never deleted; issue a credit note instead.")


for _document in _ISSUED_DOCUMENTS:
    event.listen(_document, "before_update", _refuse_edits)
    event.listen(_document, "before_delete", _refuse_deletes)
