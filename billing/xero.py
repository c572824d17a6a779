"""Invoices and credit notes as rows of Xero's own CSV import templates.

The accountant imports the consortium's sales (Xero's sales-invoice template, the member as
contact); a member imports what it was billed (Xero's bills template, the consortium as
contact). One row per line, dates DD/MM/YYYY, unit amounts net of VAT ("tax exclusive" on
import). A credit note has the same layout with negative quantities, which Xero imports as a
credit note.

Xero keeps money to the penny and works a document out line by line (developer.xero.com,
"Rounding in Xero"): a line's amount is quantity x unit amount (unit amounts up to four decimal
places) rounded to the penny, its tax is that amount at the line's rate rounded to the penny
unless the TaxAmount column gives it, and the totals are the sums of the lines. So every row is
chosen to make Xero arrive at the document's own figures: a line keeps its quantity and unit
price when their product rounds unambiguously to the line's net; a line whose net is its
allocated share (1,201 x £0.0840 = £100.884, invoiced £100.89) goes as 1 x £100.89 with the real
quantity and price in its description; and TaxAmount carries each line's VAT so that a rate's
lines sum to the document's VAT of that rate. Numbers are Decimals and ints, never text, so the
CSV helper's formula guard leaves the minus signs alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import ColumnElement, select

from billing.models import CreditNote, CreditNoteLine, CreditNoteVat, Invoice, InvoiceLine, InvoiceVat
from billing.ubl import plain_price, postal_address
from catalogue.models import VatRate
from kernel.extensions import db
from kernel.formatting import price
from kernel.money import round_half_up

CURRENCY = "GBP"
COUNTRY = "United Kingdom"
SALES_ACCOUNT = "200"  # "Sales" in Xero's default UK chart of accounts
PURCHASES_ACCOUNT = "300"  # "Purchases" in Xero's default UK chart of accounts

SALES_HEADER = [
    "ContactName",
    "EmailAddress",
    "POAddressLine1",
    "POAddressLine2",
    "POAddressLine3",
    "POAddressLine4",
    "POCity",
    "PORegion",
    "POPostalCode",
    "POCountry",
    "InvoiceNumber",
    "Reference",
    "InvoiceDate",
    "DueDate",
    "Total",
    "InventoryItemCode",
    "Description",
    "Quantity",
    "UnitAmount",
    "Discount",
    "AccountCode",
    "TaxType",
    "TaxAmount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
    "Currency",
    "BrandingTheme",
]
# Bills have no branding theme; otherwise Xero's bills template has the sales template's columns.
BILLS_HEADER = [column for column in SALES_HEADER if column != "BrandingTheme"]

SALES_TAX_TYPES = {
    VatRate.STANDARD: "20% (VAT on Income)",
    VatRate.REDUCED: "5% (VAT on Income)",
    VatRate.ZERO: "Zero Rated Income",
    VatRate.EXEMPT: "Exempt Income",
}
BILLS_TAX_TYPES = {
    VatRate.STANDARD: "20% (VAT on Expenses)",
    VatRate.REDUCED: "5% (VAT on Expenses)",
    VatRate.ZERO: "Zero Rated Expenses",
    VatRate.EXEMPT: "Exempt Expenses",
}


class LineFigures(Protocol):
    """What a row needs of a document line: an issued line, or a row read for the export."""

    @property
    def description(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def vat_rate(self) -> VatRate: ...
    @property
    def net_pence(self) -> int: ...


@dataclass
class _Document:
    """One invoice or credit note as the export reads it; `sign` is -1 for a credit note."""

    number: str
    issue_date: date
    due_date: date
    reference: str
    sign: int
    buyer_name: str
    buyer_address: str
    buyer_email: str
    seller_name: str
    seller_address: str
    lines: list[LineFigures] = field(default_factory=list)
    vat: dict[VatRate, int] = field(default_factory=dict)


# The shape another package fills to export its own documents through `document_rows`.
XeroDocument = _Document


@dataclass(frozen=True)
class _Layout:
    header: list[str]
    tax_types: dict[VatRate, str]
    account: str
    contact_is_buyer: bool


SALES = _Layout(SALES_HEADER, SALES_TAX_TYPES, SALES_ACCOUNT, contact_is_buyer=True)
BILLS = _Layout(BILLS_HEADER, BILLS_TAX_TYPES, PURCHASES_ACCOUNT, contact_is_buyer=False)
PARTIES = ("buyer_name", "buyer_address", "buyer_email", "seller_name", "seller_address")
# Each rate as an integer ratio of percent, worked out once: an export has lines by the ten thousand.
_RATE_RATIOS = {rate: rate.percent.as_integer_ratio() for rate in VatRate}


def sales_rows(invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[list]:
    """The invoices and credit notes for the consortium's accountant, in Xero's sales-invoice layout."""
    return _rows(SALES, _issued(invoices, credit_notes))


def bills_rows(invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[list]:
    """A member's invoices and credit notes, in Xero's bills layout with the consortium as supplier."""
    return _rows(BILLS, _issued(invoices, credit_notes))


def consortium_sales_rows(consortium_id: int) -> list[list]:
    """Every invoice and credit note of the consortium, in Xero's sales-invoice layout."""
    return _rows(SALES, _read(Invoice.consortium_id == consortium_id, CreditNote.consortium_id == consortium_id))


def members_bills_rows(member_ids: Iterable[int]) -> list[list]:
    """Every invoice and credit note of these members, in Xero's bills layout."""
    ids = list(member_ids) or [-1]
    return _rows(BILLS, _read(Invoice.member_id.in_(ids), CreditNote.member_id.in_(ids)))


def document_rows(documents: list[XeroDocument], sales: bool) -> list[list]:
    """Documents another package read itself (members' trade invoices), in the sales or the bills layout."""
    return _rows(SALES if sales else BILLS, documents)


def xero_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def pounds_decimal(pence: int) -> Decimal:
    """Integer pence as an exact two-place Decimal: 123456 -> Decimal("1234.56")."""
    return Decimal(pence).scaleb(-2)


def line_tax_pence(lines: Sequence[LineFigures], vat_by_rate: dict[VatRate, int]) -> list[int]:
    """Each line's VAT as Xero works it out (its net at its rate, to the penny), then moved a penny at a time
    where the document's VAT of that rate differs, on the lines whose exact VAT lies furthest that way.

    The document's VAT is worked out once per rate on the summed net, so it differs from the sum of the
    lines' own by less than a penny a line: each line moves at most a penny, and the lines of a rate sum to
    the document's VAT of it.
    """
    taxes = []
    by_rate: dict[VatRate, list[int]] = {}
    for index, line in enumerate(lines):
        numerator, denominator = _RATE_RATIOS[line.vat_rate]
        taxes.append(round_half_up(line.net_pence * numerator, denominator * 100))
        by_rate.setdefault(line.vat_rate, []).append(index)
    for rate, indexes in by_rate.items():
        difference = vat_by_rate.get(rate, 0) - sum(taxes[i] for i in indexes)
        if not difference:
            continue
        step = 1 if difference > 0 else -1
        numerator, denominator = _RATE_RATIOS[rate]
        # How far each line's exact VAT lies beyond its rounded VAT in the difference's direction, x 100 x denominator.
        beyond = {i: step * (lines[i].net_pence * numerator - taxes[i] * denominator * 100) for i in indexes}
        furthest_first = sorted(indexes, key=lambda i: (-beyond[i], i))
        for n in range(abs(difference)):
            taxes[furthest_first[n % len(indexes)]] += step
    return taxes


def xero_line(line: LineFigures) -> tuple[int, Decimal, str]:
    """Quantity, unit amount and description that Xero multiplies out to exactly the line's net.

    Quantity x unit price is kept when it is less than half a penny from the net, so that any rounding
    to the nearest penny gives the net; otherwise (an allocated share, or an exact half penny) the line
    goes as one of its net.
    """
    numerator, denominator = _price_ratio(line.unit_price)
    if 2 * abs(line.quantity * numerator * 100 - line.net_pence * denominator) < denominator:
        return line.quantity, _plain_price(line.unit_price), line.description
    return 1, pounds_decimal(line.net_pence), f"{line.description}: {line.quantity:,} x {price(line.unit_price)}"


@lru_cache(maxsize=4096)
def _price_ratio(unit_price: Decimal) -> tuple[int, int]:
    return unit_price.as_integer_ratio()


@lru_cache(maxsize=4096)
def _plain_price(unit_price: Decimal) -> Decimal:
    return plain_price(unit_price)


def _issued(invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[_Document]:
    """Documents already loaded (one invoice, its own notes) in the export's shape."""

    def shape(document: Invoice | CreditNote, due: date, reference: str, sign: int) -> _Document:
        return _Document(
            document.number,
            document.issue_date,
            due,
            reference,
            sign,
            **_parties(document),
            lines=list(document.lines),
            vat={vat.vat_rate: vat.vat_pence for vat in document.vat_lines},
        )

    return [shape(invoice, invoice.due_date, invoice.reference, 1) for invoice in invoices] + [
        shape(note, note.issue_date, _credit_reference(note.invoice.number), -1) for note in credit_notes
    ]


def _read(invoices_where: ColumnElement[bool], notes_where: ColumnElement[bool]) -> list[_Document]:
    """The documents, their lines and VAT as plain rows, a query per table however many documents there are:
    an accountant's export can hold tens of thousands of lines, and ORM objects for each cost seconds."""
    parties = [getattr(Invoice, party) for party in PARTIES]
    documents: dict[tuple[int, int], _Document] = {}
    for row in db.session.execute(
        select(Invoice.id, Invoice.number, Invoice.issue_date, Invoice.due_date, Invoice.reference, *parties).where(
            invoices_where
        )
    ):
        documents[(1, row.id)] = _Document(row.number, row.issue_date, row.due_date, row.reference, 1, **_parties(row))
    note_parties = [getattr(CreditNote, party) for party in PARTIES]
    for row in db.session.execute(
        select(
            CreditNote.id,
            CreditNote.number,
            CreditNote.issue_date,
            Invoice.number.label("invoice_number"),
            *note_parties,
        )
        .join(Invoice, CreditNote.invoice_id == Invoice.id)
        .where(notes_where)
    ):
        reference = _credit_reference(row.invoice_number)
        documents[(-1, row.id)] = _Document(row.number, row.issue_date, row.issue_date, reference, -1, **_parties(row))
    for sign, document_model, where, line_model, line_owner, vat_model, vat_owner in (
        (1, Invoice, invoices_where, InvoiceLine, InvoiceLine.invoice_id, InvoiceVat, InvoiceVat.invoice_id),
        (
            -1,
            CreditNote,
            notes_where,
            CreditNoteLine,
            CreditNoteLine.credit_note_id,
            CreditNoteVat,
            CreditNoteVat.credit_note_id,
        ),
    ):
        for line in db.session.execute(
            select(
                line_owner.label("owner"),
                line_model.description,
                line_model.quantity,
                line_model.unit_price,
                line_model.vat_rate,
                line_model.net_pence,
            )
            .join(document_model, line_owner == document_model.id)
            .where(where)
            .order_by(line_owner, line_model.position)
        ):
            documents[(sign, line.owner)].lines.append(line)
        for owner, rate, vat_pence in db.session.execute(
            select(vat_owner, vat_model.vat_rate, vat_model.vat_pence)
            .join(document_model, vat_owner == document_model.id)
            .where(where)
        ):
            documents[(sign, owner)].vat[rate] = vat_pence
    return list(documents.values())


def _parties(source: Any) -> dict[str, Any]:
    """Seller and buyer as printed on the document, from the document or a row read of it."""
    return {party: getattr(source, party) for party in PARTIES}


def _credit_reference(invoice_number: str) -> str:
    return f"Credit note for invoice {invoice_number}"


def _rows(layout: _Layout, documents: list[_Document]) -> list[list[Any]]:
    documents.sort(key=lambda document: (document.issue_date, document.number))
    at = {column: n for n, column in enumerate(layout.header)}
    rows = []
    for document in documents:
        sign = document.sign
        head = _contact(document, layout.contact_is_buyer) | {
            "InvoiceNumber": document.number,
            "Reference": document.reference,
            "InvoiceDate": xero_date(document.issue_date),
            "DueDate": xero_date(document.due_date),
            "AccountCode": layout.account,
            "Currency": CURRENCY,
        }
        template: list[Any] = [head.get(column, "") for column in layout.header]
        for line, tax_pence in zip(document.lines, line_tax_pence(document.lines, document.vat), strict=True):
            quantity, unit_amount, description = xero_line(line)
            row = template.copy()
            row[at["Description"]] = description
            row[at["Quantity"]] = sign * quantity
            row[at["UnitAmount"]] = unit_amount
            row[at["TaxType"]] = layout.tax_types[line.vat_rate]
            row[at["TaxAmount"]] = pounds_decimal(sign * tax_pence)
            rows.append(row)
    return rows


def _contact(document: _Document, buyer: bool) -> dict[str, str]:
    """The other party: the member on a sale, the consortium on a bill."""
    name = document.buyer_name if buyer else document.seller_name
    address = postal_address(document.buyer_address if buyer else document.seller_address)
    lines = address.lines[:3] + ([", ".join(address.lines[3:])] if len(address.lines) > 3 else [])
    contact = {
        "ContactName": name,
        "EmailAddress": document.buyer_email if buyer else "",
        "POCity": address.city,
        "POPostalCode": address.postcode,
        "POCountry": COUNTRY,
    }
    contact |= {f"POAddressLine{n}": line for n, line in enumerate(lines, start=1)}
    return contact
