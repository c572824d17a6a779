"""Xero CSV exports: the sales-invoice and bills templates, one row per line, agreeing with the invoices."""

import csv
import io
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from billing.models import LineKind
from billing.xero import BILLS_HEADER, SALES_HEADER, bills_rows, line_tax_pence, sales_rows
from catalogue.models import VatRate
from kernel.csv_export import csv_text
from tests.billing import documents

REQUIRED = [
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
    "Description",
    "Quantity",
    "UnitAmount",
    "AccountCode",
    "TaxType",
    "Currency",
]


def exported(header, rows) -> list[dict]:
    """The rows as the accountant's spreadsheet reads them, through the app's CSV writer."""
    text = csv_text(header, rows).lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == header
    return [dict(zip(header, row, strict=True)) for row in reader]


def sample():
    invoice = documents.invoice()
    other = documents.invoice("TAY-2026-000124", buyer=documents.UNREGISTERED_BUYER)
    return invoice, other, documents.credit_note(invoice)


def test_the_sales_header_is_xeros_sales_invoice_template():
    assert SALES_HEADER == [
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
    assert all(column in BILLS_HEADER for column in REQUIRED)
    assert "BrandingTheme" not in BILLS_HEADER


def test_sales_rows_are_one_per_line_with_the_member_as_contact():
    invoice, other, note = sample()
    rows = exported(SALES_HEADER, sales_rows([invoice, other], [note]))

    assert len(rows) == len(invoice.lines) + len(other.lines) + len(note.lines)
    first = rows[0]
    assert first["ContactName"] == "Dundee Community Print CIC"
    assert first["EmailAddress"] == "accounts@dundee-print.example.org"
    assert (first["POAddressLine1"], first["POCity"], first["POPostalCode"], first["POCountry"]) == (
        "3 Perth Road",
        "Dundee",
        "DD1 4JT",
        "United Kingdom",
    )
    assert (first["InvoiceNumber"], first["Reference"]) == ("TAY-2026-000123", "TAY-PO-2026-000007")
    assert (first["InvoiceDate"], first["DueDate"]) == ("02/03/2026", "01/04/2026")
    assert (first["Quantity"], first["UnitAmount"]) == ("37", "3.1575")
    assert (first["AccountCode"], first["TaxType"], first["Currency"]) == ("200", "20% (VAT on Income)", "GBP")
    by_description = {row["Description"]: row for row in rows if row["InvoiceNumber"] == "TAY-2026-000123"}
    assert by_description["Electricity, kWh (TAY-PO-2026-000008)"]["TaxType"] == "5% (VAT on Income)"
    assert by_description["Electricity, kWh (TAY-PO-2026-000008)"]["UnitAmount"] == "0.2175"
    assert by_description["Children’s picture books (TAY-PO-2026-000009)"]["TaxType"] == "Zero Rated Income"
    assert by_description["Payroll bureau, March"]["TaxType"] == "Exempt Income"
    assert by_description["Solidarity discount"]["UnitAmount"] == "-1.23"
    assert {row["ContactName"] for row in rows if row["InvoiceNumber"] == "TAY-2026-000124"} == {
        "Broughty Ferry Men’s Shed"
    }


def test_credit_notes_have_negative_quantities_and_name_the_invoice():
    invoice, other, note = sample()
    rows = [
        row
        for row in exported(SALES_HEADER, sales_rows([invoice, other], [note]))
        if row["InvoiceNumber"] == "TAY-CN-2026-000004"
    ]

    assert [row["Quantity"] for row in rows] == ["-10", "-1"]
    assert all(row["Reference"] == "Credit note for invoice TAY-2026-000123" for row in rows)
    assert all(row["InvoiceDate"] == "10/03/2026" for row in rows)
    assert rows[0]["TaxAmount"] == "-6.32"


def test_each_documents_lines_add_up_to_its_net_and_vat():
    invoice, other, note = sample()
    rows = exported(SALES_HEADER, sales_rows([invoice, other], [note]))
    stored = {d.number: (d, sign) for d, sign in ((invoice, 1), (other, 1), (note, -1))}
    nets, taxes = defaultdict(Decimal), defaultdict(Decimal)
    for row in rows:
        nets[row["InvoiceNumber"]] += Decimal(row["Quantity"]) * Decimal(row["UnitAmount"])
        taxes[row["InvoiceNumber"]] += Decimal(row["TaxAmount"])

    for number, (document, sign) in stored.items():
        assert taxes[number] == sign * Decimal(document.vat_pence) / 100
        for line in document.lines:
            assert abs(line.quantity * line.unit_price - Decimal(line.net_pence) / 100) <= Decimal("0.005")
        assert abs(nets[number] - sign * Decimal(document.net_pence) / 100) <= Decimal("0.005") * len(document.lines)


def test_rows_come_in_date_order_invoices_before_their_credit_notes():
    invoice, other, note = sample()
    numbers = [row[SALES_HEADER.index("InvoiceNumber")] for row in sales_rows([invoice, other], [note])]

    assert list(dict.fromkeys(numbers)) == ["TAY-2026-000123", "TAY-2026-000124", "TAY-CN-2026-000004"]


def test_a_members_bills_name_the_consortium_as_supplier():
    invoice, _, note = sample()
    rows = exported(BILLS_HEADER, bills_rows([invoice], [note]))

    assert {row["ContactName"] for row in rows} == {"Tayside Social Enterprise Consortium Ltd"}
    assert (rows[0]["POAddressLine1"], rows[0]["POAddressLine2"], rows[0]["POCity"], rows[0]["POPostalCode"]) == (
        "Unit 4",
        "12 Dock Street",
        "Dundee",
        "DD1 4HN",
    )
    assert {row["AccountCode"] for row in rows} == {"300"}
    assert {row["TaxType"] for row in rows} == {
        "20% (VAT on Expenses)",
        "5% (VAT on Expenses)",
        "Zero Rated Expenses",
        "Exempt Expenses",
    }
    assert [row["Quantity"] for row in rows if row["InvoiceNumber"] == note.number] == ["-10", "-1"]


def test_numbers_are_passed_as_numbers_not_text():
    invoice, _, note = sample()
    for row in sales_rows([invoice], [note]):
        assert isinstance(row[SALES_HEADER.index("Quantity")], int)
        assert isinstance(row[SALES_HEADER.index("UnitAmount")], Decimal)
        assert isinstance(row[SALES_HEADER.index("TaxAmount")], Decimal)


prices = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=4)
lines = st.lists(st.tuples(st.integers(1, 5000), prices, st.sampled_from(list(VatRate))), min_size=1, max_size=12)


@given(lines)
def test_the_vat_per_rate_is_shared_over_its_lines_exactly(specs):
    invoice = documents.invoice(
        specs=[(LineKind.GOODS, "x", quantity, str(price), rate) for quantity, price, rate in specs]
    )
    shares = line_tax_pence(invoice)

    for vat in invoice.vat_lines:
        mine = [
            (line, share) for line, share in zip(invoice.lines, shares, strict=True) if line.vat_rate is vat.vat_rate
        ]
        assert sum(share for _, share in mine) == vat.vat_pence
        for line, share in mine:
            exact = Fraction(line.net_pence * vat.vat_pence, vat.net_pence) if vat.net_pence else 0
            assert abs(share - exact) <= 1
    assert all(isinstance(share, int) for share in shares)
