"""Invoices and credit notes as rows of Xero's own CSV import templates.

The accountant imports the consortium's sales (Xero's sales-invoice template, the member as
contact); a member imports what it was billed (Xero's bills template, the consortium as
contact). One row per line, dates DD/MM/YYYY, unit amounts net of VAT ("tax exclusive" on
import). A credit note has the same layout with negative quantities, which Xero imports as a
credit note. TaxAmount carries the document's own VAT per rate shared over its lines, so Xero's
VAT agrees with the invoice to the penny. Numbers are Decimals and ints, never text, so the CSV
helper's formula guard leaves the minus signs alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from billing.ubl import plain_price, postal_address
from catalogue.models import VatRate
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
    """The document's VAT of each rate shared over that rate's lines by cumulative net, so the lines sum to it."""
    rate_net = {vat.vat_rate: vat.net_pence for vat in document.vat_lines}
    rate_vat = {vat.vat_rate: vat.vat_pence for vat in document.vat_lines}
    running: dict[VatRate, tuple[int, int]] = {}
    shares = []
    for line in document.lines:
        net_so_far, vat_so_far = running.get(line.vat_rate, (0, 0))
        net_so_far += line.net_pence
        total_net, total_vat = rate_net.get(line.vat_rate, 0), rate_vat.get(line.vat_rate, 0)
        sign = -1 if total_net < 0 else 1
        vat_now = round_half_up(sign * net_so_far * total_vat, abs(total_net)) if total_net else 0
        shares.append(vat_now - vat_so_far)
        running[line.vat_rate] = (net_so_far, vat_now)
    return shares


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
            values = contact | {
                "InvoiceNumber": document.number,
                "Reference": reference,
                "InvoiceDate": xero_date(document.issue_date),
                "DueDate": xero_date(due),
                "Description": line.description,
                "Quantity": sign * line.quantity,
                "UnitAmount": plain_price(line.unit_price),
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
