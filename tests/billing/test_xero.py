"""Xero CSV exports: the sales-invoice and bills templates, one row per line, and Xero adds up every
exported invoice and credit note to exactly its net, VAT and gross."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import event, select

from billing import services
from billing.models import CreditNote, CreditNoteLine, CreditNoteVat, Invoice, InvoiceLine, InvoiceVat, LineKind
from billing.xero import (
    BILLS_HEADER,
    BILLS_TAX_TYPES,
    SALES_HEADER,
    SALES_TAX_TYPES,
    bills_rows,
    line_tax_pence,
    sales_rows,
)
from catalogue.models import VatRate
from kernel.csv_export import csv_text
from kernel.extensions import db
from kernel.formatting import price
from kernel.money import line_pence, vat_pence
from orders.vat import vat_analysis
from organisations.models import Consortium, User
from tests.billing import documents
from tests.billing.test_invoicing import delivered_order
from tests.factories import sign_in

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
    return read_csv(header, csv_text(header, rows))


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
    # 1,234 x £0.2175 is £268.395, a half penny Xero might round either way: it goes as one line of £268.40
    electricity = by_description["Electricity, kWh (TAY-PO-2026-000008): 1,234 x £0.2175"]
    assert (electricity["Quantity"], electricity["UnitAmount"], electricity["TaxType"]) == (
        "1",
        "268.40",
        "5% (VAT on Income)",
    )
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

    assert [(row["Quantity"], row["UnitAmount"]) for row in rows] == [("-1", "31.58"), ("-1", "85.00")]
    assert rows[0]["Description"] == "Copier paper A4 80gsm, ream (TAY-PO-2026-000007): 10 x £3.1575"
    assert all(row["Reference"] == "Credit note for invoice TAY-2026-000123" for row in rows)
    assert all(row["InvoiceDate"] == "10/03/2026" for row in rows)
    assert rows[0]["TaxAmount"] == "-6.32"


def test_xero_adds_up_each_document_to_its_net_vat_and_gross():
    invoice, other, note = sample()

    assert_xero_agrees(SALES_HEADER, sales_rows([invoice, other], [note]), [invoice, other], [note])
    assert_xero_agrees(BILLS_HEADER, bills_rows([invoice, other], [note]), [invoice, other], [note])


def test_a_goods_line_of_its_allocated_share_goes_as_one_line_of_that_share():
    """1,201 x £0.0840 is £100.884; the member's allocated share, on its invoice, is £100.89."""
    invoice = allocated_invoice([(1201, "0.0840", VatRate.STANDARD, 10089), (1, "4.99", VatRate.STANDARD, 499)])

    rows = exported(SALES_HEADER, sales_rows([invoice], []))

    assert [(row["Quantity"], row["UnitAmount"], row["TaxAmount"]) for row in rows] == [
        ("1", "100.89", "20.18"),
        ("1", "4.99", "1.00"),
    ]
    assert rows[0]["Description"] == "Goods: 1,201 x £0.084"
    assert_xero_agrees(SALES_HEADER, sales_rows([invoice], []), [invoice], [])


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
    assert [row["Quantity"] for row in rows if row["InvoiceNumber"] == note.number] == ["-1", "-1"]


def test_numbers_are_passed_as_numbers_not_text():
    invoice, _, note = sample()
    for row in sales_rows([invoice], [note]):
        assert isinstance(row[SALES_HEADER.index("Quantity")], int)
        assert isinstance(row[SALES_HEADER.index("UnitAmount")], Decimal)
        assert isinstance(row[SALES_HEADER.index("TaxAmount")], Decimal)


prices = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=4)
lines = st.lists(
    # quantity, unit price, rate, and how far the allocated share is from quantity x price, in pence
    st.tuples(st.integers(1, 5000), prices, st.sampled_from(list(VatRate)), st.integers(-2, 2)),
    min_size=1,
    max_size=12,
)


@given(lines, st.data())
def test_xero_adds_up_any_invoice_and_its_credit_note_to_their_net_vat_and_gross(specs, data):
    invoice = allocated_invoice(
        [(quantity, str(price), rate, line_pence(quantity, price) + off) for quantity, price, rate, off in specs]
    )
    credited = data.draw(st.lists(st.sampled_from(invoice.lines), min_size=1, unique_by=id))
    # The note that takes the last of an invoice carries the VAT left, a penny or two off its own net's.
    adjust = data.draw(st.lists(st.integers(-2, 2), min_size=len(VatRate), max_size=len(VatRate)))
    note = allocated_credit_note(invoice, credited, dict(zip(VatRate, adjust, strict=True)))

    assert_xero_agrees(SALES_HEADER, sales_rows([invoice], [note]), [invoice], [note])
    assert_xero_agrees(BILLS_HEADER, bills_rows([invoice], [note]), [invoice], [note])


@given(lines)
def test_each_lines_vat_is_xeros_own_within_a_penny_and_each_rate_sums_to_the_invoices(specs):
    invoice = allocated_invoice(
        [(quantity, str(price), rate, line_pence(quantity, price) + off) for quantity, price, rate, off in specs]
    )
    shares = line_tax_pence(invoice.lines, {vat.vat_rate: vat.vat_pence for vat in invoice.vat_lines})

    for vat in invoice.vat_lines:
        mine = [
            (line, share) for line, share in zip(invoice.lines, shares, strict=True) if line.vat_rate is vat.vat_rate
        ]
        assert sum(share for _, share in mine) == vat.vat_pence
        assert all(abs(share - vat_pence(line.net_pence, line.vat_rate.percent)) <= 1 for line, share in mine)
    assert all(isinstance(share, int) for share in shares)


# The demo's documents through the pages a secretary and a member download


def test_xero_adds_up_every_demo_invoice_and_credit_note_in_both_exports(app, client):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    sign_in(client, admin, "demo-password")
    exported_any = False
    for consortium in db.session.scalars(select(Consortium)):
        invoices = db.session.scalars(select(Invoice).where(Invoice.consortium_id == consortium.id)).all()
        notes = db.session.scalars(select(CreditNote).where(CreditNote.consortium_id == consortium.id)).all()
        response = client.get(f"/billing/{consortium.id}/xero.csv")
        assert response.status_code == 200
        assert_xero_agrees(SALES_HEADER, response.get_data(as_text=True), invoices, notes)
        exported_any = exported_any or bool(invoices)
    assert exported_any

    member = db.session.scalar(select(User).where(User.email == "member@example.org"))
    client.post("/sign-out")
    sign_in(client, member, "demo-password")
    invoices = db.session.scalars(select(Invoice).where(Invoice.member_id.in_(member.member_ids))).all()
    notes = db.session.scalars(select(CreditNote).where(CreditNote.member_id.in_(member.member_ids))).all()
    response = client.get("/invoices/export.csv")
    assert response.status_code == 200 and invoices
    assert_xero_agrees(BILLS_HEADER, response.get_data(as_text=True), invoices, notes)


# One query per table, however many invoices


def test_the_exports_queries_do_not_grow_with_the_number_of_invoices(client, world):
    def issue_and_credit_one(quantities):
        order = delivered_order(world, quantities=quantities)
        invoices = services.issue_invoices(world.secretary, order.id)
        ours = next(i for i in invoices if i.member_id == world.member.id)
        services.issue_credit_note(world.secretary, ours, [services.CreditItem(ours.lines[0].id, 1)], "Short")
        db.session.commit()

    def queries_of(user, url) -> int:
        client.post("/sign-out")
        sign_in(client, user)
        with counted_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200
        return len(statements)

    sales, bills = f"/billing/{world.consortium.id}/xero.csv", "/invoices/export.csv"
    issue_and_credit_one((7, 5))
    few = queries_of(world.secretary, sales), queries_of(world.member_user, bills)
    issue_and_credit_one((7, 5, 9, 4, 3, 8, 6))
    issue_and_credit_one((3, 2, 6))

    assert db.session.scalar(select(db.func.count()).select_from(Invoice)) == 12
    assert (queries_of(world.secretary, sales), queries_of(world.member_user, bills)) == few


# How Xero adds up what it imports


XERO_RATES = {name: rate.percent for types in (SALES_TAX_TYPES, BILLS_TAX_TYPES) for rate, name in types.items()}
PENNY = Decimal("0.01")


@dataclass
class XeroDocument:
    net: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    tax_by_type: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    rows: list[dict] = field(default_factory=list)


def to_the_penny(amount: Decimal) -> Decimal:
    """Xero keeps amounts to the penny; a half penny it might round either way, so an export must not give one."""
    up, down = amount.quantize(PENNY, ROUND_HALF_UP), amount.quantize(PENNY, ROUND_HALF_DOWN)
    assert up == down, f"{amount} is a half penny: Xero's rounding decides it"
    return up


def as_xero_adds_up(header, rows_or_text) -> dict[str, XeroDocument]:
    """Per document number, what Xero makes of the rows: each line's amount is quantity x unit amount to the
    penny, its tax the TaxAmount given or else that amount at its rate to the penny; totals are the sums."""
    rows = read_csv(header, rows_or_text if isinstance(rows_or_text, str) else csv_text(header, rows_or_text))
    documents_: dict[str, XeroDocument] = defaultdict(XeroDocument)
    for row in rows:
        quantity, unit_amount = Decimal(row["Quantity"]), Decimal(row["UnitAmount"])
        assert unit_amount == unit_amount.quantize(Decimal("0.0001")), "Xero takes four decimal places at most"
        assert quantity == quantity.quantize(Decimal("0.0001"))
        amount = to_the_penny(quantity * unit_amount)
        rate = XERO_RATES[row["TaxType"]]
        tax = Decimal(row["TaxAmount"]) if row["TaxAmount"] else to_the_penny(amount * rate / 100)
        assert tax == tax.quantize(PENNY)
        document = documents_[row["InvoiceNumber"]]
        document.net += amount
        document.tax += tax
        document.tax_by_type[row["TaxType"]] += tax
        document.rows.append(row)
    return documents_


def assert_xero_agrees(header, rows_or_text, invoices, notes) -> None:
    """Xero's net, VAT (per rate) and gross of every exported document are the document's own, to the penny."""
    xero = as_xero_adds_up(header, rows_or_text)
    stored = [(document, 1) for document in invoices] + [(document, -1) for document in notes]
    assert set(xero) == {document.number for document, _ in stored}
    for document, sign in stored:
        ours = xero[document.number]
        assert (ours.net, ours.tax, ours.net + ours.tax) == (
            signed_pounds(sign, document.net_pence),
            signed_pounds(sign, document.vat_pence),
            signed_pounds(sign, document.total_pence),
        ), document.number
        for vat in document.vat_lines:
            names = {SALES_TAX_TYPES[vat.vat_rate], BILLS_TAX_TYPES[vat.vat_rate]}
            assert sum(tax for name, tax in ours.tax_by_type.items() if name in names) == signed_pounds(
                sign, vat.vat_pence
            )
        for line, row in zip(document.lines, ours.rows, strict=True):
            if abs(Decimal(row["Quantity"])) != line.quantity:
                assert row["Description"].endswith(f": {line.quantity:,} x {price(line.unit_price)}")


def signed_pounds(sign: int, pence: int) -> Decimal:
    return sign * Decimal(pence) / 100


def read_csv(header, text: str) -> list[dict]:
    """The rows as the accountant's spreadsheet reads them."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    assert next(reader) == header
    return [dict(zip(header, row, strict=True)) for row in reader]


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def count(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


# Documents whose lines carry allocated shares, not quantity x price


def allocated_invoice(specs) -> Invoice:
    """An invoice of goods lines (quantity, unit price, rate, net pence), VAT per rate as issuing works it out."""
    lines = [
        InvoiceLine(
            position=n,
            kind=LineKind.GOODS,
            description="Goods",
            quantity=quantity,
            unit_price=Decimal(price),
            vat_rate=rate,
            net_pence=net,
        )
        for n, (quantity, price, rate, net) in enumerate(specs, start=1)
    ]
    analysis = vat_analysis((line.vat_rate, line.net_pence) for line in lines)
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    invoice = documents.invoice(specs=[])
    invoice.lines = lines
    invoice.vat_lines = [
        InvoiceVat(vat_rate=v.vat_rate, net_pence=v.net_pence, vat_pence=v.vat_pence) for v in analysis
    ]
    invoice.net_pence, invoice.vat_pence, invoice.total_pence = net, vat, net + vat
    return invoice


def allocated_credit_note(invoice: Invoice, credited: list[InvoiceLine], adjust: dict[VatRate, int]) -> CreditNote:
    """Credits these lines in full, its VAT per rate moved by `adjust` pence where the rate charges VAT."""
    lines = [
        CreditNoteLine(
            position=n,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            net_pence=line.net_pence,
        )
        for n, line in enumerate(credited, start=1)
    ]
    analysis = [
        CreditNoteVat(
            vat_rate=v.vat_rate,
            net_pence=v.net_pence,
            vat_pence=v.vat_pence + (adjust[v.vat_rate] if v.vat_rate.percent and v.net_pence else 0),
        )
        for v in vat_analysis((line.vat_rate, line.net_pence) for line in lines)
    ]
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    return CreditNote(
        number="TAY-CN-2026-000009",
        invoice=invoice,
        issue_date=date(2026, 3, 10),
        reason="Short delivery",
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        lines=lines,
        vat_lines=analysis,
        **{key: getattr(invoice, key) for key in (*documents.SELLER, *documents.REGISTERED_BUYER)},
    )
