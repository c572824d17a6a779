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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import joinedload, subqueryload

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.ubl import plain_price, postal_address
from catalogue.models import VatRate
from kernel.extensions import db
from kernel.formatting import price
from kernel.money import vat_pence

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

Document = Invoice | CreditNote
Line = InvoiceLine | CreditNoteLine


@dataclass(frozen=True)
class _Layout:
    header: list[str]
    tax_types: dict[VatRate, str]
    account: str
    contact_is_buyer: bool


SALES = _Layout(SALES_HEADER, SALES_TAX_TYPES, SALES_ACCOUNT, contact_is_buyer=True)
BILLS = _Layout(BILLS_HEADER, BILLS_TAX_TYPES, PURCHASES_ACCOUNT, contact_is_buyer=False)


def sales_rows(invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[list]:
    """The consortium's invoices and credit notes for the accountant, in Xero's sales-invoice layout."""
    return _rows(SALES, invoices, credit_notes)


def bills_rows(invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[list]:
    """A member's invoices and credit notes, in Xero's bills layout with the consortium as supplier."""
    return _rows(BILLS, invoices, credit_notes)


def xero_date(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def pounds_decimal(pence: int) -> Decimal:
    """Integer pence as an exact two-place Decimal: 123456 -> Decimal("1234.56")."""
    return Decimal(pence).scaleb(-2)


def line_tax_pence(document: Document) -> list[int]:
    """Each line's VAT as Xero works it out (its net at its rate, to the penny), then moved a penny at a time
    where the document's VAT of that rate differs, on the lines whose exact VAT lies furthest that way.

    The document's VAT is worked out once per rate on the summed net, so it differs from the sum of the
    lines' own by less than a penny a line: each line moves at most a penny, and the lines of a rate sum to
    the document's VAT of it.
    """
    lines: Sequence[Line] = document.lines
    document_vat = {vat.vat_rate: vat.vat_pence for vat in document.vat_lines}
    taxes = [vat_pence(line.net_pence, line.vat_rate.percent) for line in lines]
    by_rate: dict[VatRate, list[int]] = {}
    for index, line in enumerate(lines):
        by_rate.setdefault(line.vat_rate, []).append(index)
    for rate, indexes in by_rate.items():
        difference = document_vat.get(rate, 0) - sum(taxes[i] for i in indexes)
        if not difference:
            continue
        step = 1 if difference > 0 else -1
        beyond = {i: step * (Fraction(lines[i].net_pence) * Fraction(rate.percent) / 100 - taxes[i]) for i in indexes}
        furthest_first = sorted(indexes, key=lambda i: (-beyond[i], i))
        for n in range(abs(difference)):
            taxes[furthest_first[n % len(indexes)]] += step
    return taxes


def xero_line(line: Line) -> tuple[int, Decimal, str]:
    """Quantity, unit amount and description that Xero multiplies out to exactly the line's net."""
    exact_pence = line.quantity * Fraction(line.unit_price) * 100
    if abs(exact_pence - line.net_pence) < Fraction(1, 2):
        return line.quantity, plain_price(line.unit_price), line.description
    return 1, pounds_decimal(line.net_pence), f"{line.description}: {line.quantity:,} x {price(line.unit_price)}"


def consortium_documents(consortium_id: int) -> tuple[list[Invoice], list[CreditNote]]:
    """Every invoice and credit note of the consortium, for its accountant's export."""
    return _documents(Invoice.consortium_id == consortium_id, CreditNote.consortium_id == consortium_id)


def members_documents(member_ids: Iterable[int]) -> tuple[list[Invoice], list[CreditNote]]:
    """Every invoice and credit note of these members, for their own export."""
    ids = list(member_ids) or [-1]
    return _documents(Invoice.member_id.in_(ids), CreditNote.member_id.in_(ids))


def _documents(
    invoices_where: ColumnElement[bool], notes_where: ColumnElement[bool]
) -> tuple[list[Invoice], list[CreditNote]]:
    """The documents with their lines and VAT, a query per table however many there are (selectinload would
    send one per 500 documents)."""
    invoices = db.session.scalars(
        select(Invoice)
        .where(invoices_where)
        .order_by(Invoice.number)
        .options(subqueryload(Invoice.lines), subqueryload(Invoice.vat_lines))
    ).all()
    notes = db.session.scalars(
        select(CreditNote)
        .where(notes_where)
        .order_by(CreditNote.number)
        .options(
            subqueryload(CreditNote.lines),
            subqueryload(CreditNote.vat_lines),
            joinedload(CreditNote.invoice, innerjoin=True).load_only(Invoice.number),
        )
    ).all()
    return list(invoices), list(notes)


def _rows(layout: _Layout, invoices: Iterable[Invoice], credit_notes: Iterable[CreditNote]) -> list[list]:
    documents: list[tuple[Document, int, str, date]] = [
        (invoice, 1, invoice.reference, invoice.due_date) for invoice in invoices
    ] + [(note, -1, f"Credit note for invoice {note.invoice.number}", note.issue_date) for note in credit_notes]
    documents.sort(key=lambda item: (item[0].issue_date, item[0].number))
    rows = []
    for document, sign, reference, due in documents:
        contact = _contact(document, layout.contact_is_buyer)
        lines: Sequence[Line] = document.lines
        for line, tax_pence in zip(lines, line_tax_pence(document), strict=True):
            quantity, unit_amount, description = xero_line(line)
            values = contact | {
                "InvoiceNumber": document.number,
                "Reference": reference,
                "InvoiceDate": xero_date(document.issue_date),
                "DueDate": xero_date(due),
                "Description": description,
                "Quantity": sign * quantity,
                "UnitAmount": unit_amount,
                "AccountCode": layout.account,
                "TaxType": layout.tax_types[line.vat_rate],
                "TaxAmount": pounds_decimal(sign * tax_pence),
                "Currency": CURRENCY,
            }
            rows.append([values.get(column, "") for column in layout.header])
    return rows


def _contact(document: Document, buyer: bool) -> dict[str, str]:
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
