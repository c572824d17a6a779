"""Invoices, credit notes and members' statements as PDF, laid out as a UK business invoice with what HMRC requires.

Printed from the document's stored snapshot (parties, lines, VAT analysis, totals) with the
app's own money formatting, so the PDF agrees with the page, the UBL document and the API.
Core fonts only (nothing to load or embed), so a PDF takes a few milliseconds; the creation
date is the issue date, so the same document always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

from fpdf import FPDF

from billing.models import CreditNote, DocumentLine, IssuedInvoice, VatAnalysis
from catalogue.models import VatRate
from kernel.formatting import pounds, price, sort_code, uk_date

if TYPE_CHECKING:
    from billing.services import Statement

FONT = "helvetica"
ENCODING = "windows-1252"  # the core fonts' WinAnsi encoding: £, €, curly quotes and dashes print
MARGIN = 15
WIDTH = 180  # A4 less the margins
LINE_HEIGHT = 4.6
GREY = (90, 90, 90)
RULE = (200, 200, 200)
SHADE = (238, 238, 238)

RATE_SHORT = {VatRate.STANDARD: "20%", VatRate.REDUCED: "5%", VatRate.ZERO: "0% (zero)", VatRate.EXEMPT: "Exempt"}
LINE_COLUMNS = (
    ("Description", 82, "L"),
    ("Quantity", 18, "R"),
    ("Unit price (net)", 28, "R"),
    ("VAT rate", 22, "R"),
    ("Net amount", 30, "R"),
)

Line = DocumentLine


def invoice_pdf(invoice: IssuedInvoice) -> bytes:
    """A VAT invoice ("INVOICE" when the consortium is not registered for VAT)."""
    pdf = _Sheet(invoice.number)
    pdf.heading("VAT INVOICE" if invoice.seller_vat_number else "INVOICE", invoice)
    pdf.parties(
        invoice,
        [
            ("Invoice number", invoice.number),
            ("Issue date", uk_date(invoice.issue_date)),
            ("Time of supply (tax point)", uk_date(invoice.supply_date)),
            ("Due date", uk_date(invoice.due_date)),
            ("Reference", invoice.reference),
        ],
    )
    pdf.lines_table(invoice.lines)
    pdf.vat_and_totals(
        invoice.vat_lines,
        [("Net total", invoice.net_pence), ("VAT", invoice.vat_pence), ("Total due", invoice.total_pence)],
        "VAT analysis",
    )
    pdf.note("Payment", _payment_instructions(invoice))
    return pdf.finish(invoice.issue_date)


def _payment_instructions(invoice: IssuedInvoice) -> str:
    """The account to pay into when the consortium gave one, so members can pay without asking."""
    total, due, quoting = pounds(invoice.total_pence), uk_date(invoice.due_date), invoice.number
    if not invoice.has_seller_bank_account:
        return (
            f"Please pay {total} by bank transfer to {invoice.seller_name} by {due}, "
            f"quoting invoice number {quoting} as the reference."
        )
    return (
        f"Please pay {total} by {due}. Pay by bank transfer to {invoice.seller_bank_account_name}, "
        f"sort code {sort_code(invoice.seller_sort_code)}, account {invoice.seller_account_number}, "
        f"quoting invoice number {quoting} as the reference."
    )


def credit_note_pdf(credit_note: CreditNote) -> bytes:
    """A credit note: which invoice it corrects and why, the lines credited and the VAT credited."""
    invoice = credit_note.invoice
    pdf = _Sheet(credit_note.number)
    pdf.heading("CREDIT NOTE", credit_note)
    pdf.parties(
        credit_note,
        [
            ("Credit note number", credit_note.number),
            ("Issue date (tax point)", uk_date(credit_note.issue_date)),
            ("Invoice credited", invoice.number),
            ("Invoice date", uk_date(invoice.issue_date)),
            ("Reference", invoice.reference),
        ],
    )
    pdf.paragraph(f"Credit note for invoice {invoice.number} dated {uk_date(invoice.issue_date)}", bold=True)
    pdf.paragraph(f"Reason: {credit_note.reason}")
    pdf.ln(2)
    pdf.lines_table(credit_note.lines)
    pdf.vat_and_totals(
        credit_note.vat_lines,
        [
            ("Net credited", credit_note.net_pence),
            ("VAT credited", credit_note.vat_pence),
            ("Total credited", credit_note.total_pence),
        ],
        "VAT credited",
    )
    pdf.note(
        "Settlement",
        f"This credit of {pounds(credit_note.total_pence)} is set against invoice "
        f"{invoice.number}. Please quote {credit_note.number} in any correspondence.",
    )
    return pdf.finish(credit_note.issue_date)


STATEMENT_COLUMNS = (
    ("Date", 24, "L"),
    ("What", 22, "L"),
    ("Number", 34, "L"),
    ("Details", 52, "L"),
    ("Amount", 24, "R"),
    ("Balance", 24, "R"),
)


def statement_pdf(statement: Statement) -> bytes:
    """A member's statement for a period: opening balance, every entry with the balance after it, closing balance."""
    member = statement.member
    period = _period_text(statement.from_date, statement.to_date)
    pdf = _Sheet(f"Statement {member.name}")
    pdf.set_font(FONT, "B", 20)
    pdf.cell(WIDTH, 9, "STATEMENT", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.block(WIDTH, 6, _text(member.name))
    pdf.set_font(FONT, size=9)
    for line in member.organisation.address_lines:
        pdf.cell(WIDTH, LINE_HEIGHT, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.paragraph(f"{period}. Printed {uk_date(statement.today)}.", bold=True)
    pdf.ln(2)
    pdf._table_header(STATEMENT_COLUMNS)
    pdf.set_draw_color(*RULE)
    opening = (uk_date(statement.from_date), "", "", "Opening balance", "", pounds(statement.opening_balance_pence))
    rows = [
        (uk_date(e.on), e.kind, e.number, e.description, pounds(e.amount_pence), pounds(e.balance_pence))
        for e in statement.entries
    ]
    closing = (uk_date(statement.to_date), "", "", "Closing balance", "", pounds(statement.closing_balance_pence))
    for position, row in enumerate([opening, *rows, closing]):
        if pdf.get_y() + 6 > pdf.page_break_trigger:
            pdf.add_page()
            pdf._table_header(STATEMENT_COLUMNS)
        pdf.set_font(FONT, "B" if position in (0, len(rows) + 1) else "", 8.5)
        for text, (_, width, align) in zip(row, STATEMENT_COLUMNS, strict=True):
            pdf.cell(width, 6, _fitted(pdf, _text(text), width), align=align)
        pdf.ln(6)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    pdf.ln(4)
    balance = statement.closing_balance_pence
    owed = f"{pounds(balance)} owed" if balance >= 0 else f"{pounds(-balance)} in your favour"
    pdf.note(
        "Balance",
        f"At the end of the period: {owed}. Due today: {pounds(statement.due_pence)}, "
        f"of which overdue: {pounds(statement.overdue_pence)}.",
    )
    return pdf.finish(statement.today)


def _period_text(from_date: date | None, to_date: date | None) -> str:
    if from_date and to_date:
        return f"From {uk_date(from_date)} to {uk_date(to_date)}"
    if from_date:
        return f"From {uk_date(from_date)}"
    if to_date:
        return f"Up to {uk_date(to_date)}"
    return "Every entry"


def _fitted(pdf: FPDF, text: str, width: float) -> str:
    """Text cut short with an ellipsis to fit one table cell."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    while text and pdf.get_string_width(text + "...") > room:
        text = text[:-1]
    return text + "..."


def _text(value: str) -> str:
    """Text the core fonts can print: characters outside Windows-1252 become '?' rather than fail."""
    return value.encode(ENCODING, "replace").decode(ENCODING)


def _address_lines(address: str) -> list[str]:
    return [part.strip() for part in address.replace("\n", ",").split(",") if part.strip()]


class _Sheet(FPDF):
    """One A4 document; the methods draw its blocks top to bottom."""

    def __init__(self, number: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.number = number
        self.core_fonts_encoding = ENCODING
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_title(_text(number))
        self.add_page()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*GREY)
        self.cell(WIDTH, 4, _text(f"{self.number}  ·  page {self.page_no()} of {{nb}}"), align="R")

    def finish(self, issued) -> bytes:
        self.set_creation_date(datetime.combine(issued, time(), UTC))
        return bytes(self.output())

    def heading(self, title: str, document: IssuedInvoice | CreditNote) -> None:
        """The seller on the left, the document's title on the right."""
        top = self.get_y()
        self.set_font(FONT, "B", 20)
        self.cell(WIDTH, 9, title, align="R")
        self.set_xy(MARGIN, top)
        self.set_font(FONT, "B", 13)
        self.block(110, 6, _text(document.seller_name))
        self.set_font(FONT, size=9)
        for line in _address_lines(document.seller_address):
            self.cell(110, LINE_HEIGHT, _text(line), new_x="LMARGIN", new_y="NEXT")
        if document.seller_vat_number:
            self.cell(
                110,
                LINE_HEIGHT,
                _text(f"VAT registration number: {document.seller_vat_number}"),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        self.ln(6)

    def parties(self, document: IssuedInvoice | CreditNote, details: Sequence[tuple[str, str]]) -> None:
        """The buyer on the left; number, dates and reference on the right."""
        top = self.get_y()
        self.set_font(FONT, "B", 8)
        self.set_text_color(*GREY)
        self.cell(95, LINE_HEIGHT, "BILL TO", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_font(FONT, "B", 10)
        self.block(95, 5, _text(document.buyer_name))
        self.set_font(FONT, size=9)
        for line in _address_lines(document.buyer_address):
            self.cell(95, LINE_HEIGHT, _text(line), new_x="LMARGIN", new_y="NEXT")
        if document.buyer_vat_number:
            self.cell(95, LINE_HEIGHT, _text(f"VAT number: {document.buyer_vat_number}"), new_x="LMARGIN", new_y="NEXT")
        left_bottom = self.get_y()
        self.set_y(top)
        for label, value in details:
            self.set_x(MARGIN + 95)
            self.set_font(FONT, size=9)
            self.set_text_color(*GREY)
            self.cell(45, 5, label)
            self.set_text_color(0)
            self.set_font(FONT, "B", 9)
            self.cell(40, 5, _text(value), align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(left_bottom, self.get_y()) + 7)

    def wrapped_rows(self, width: float, text: str) -> int:
        """How many rows `text` takes in a column; measuring first skips the slow line breaker for one-liners."""
        if self.get_string_width(text) <= width - 2 * self.c_margin:
            return 1
        lines = self.multi_cell(width, LINE_HEIGHT, text, dry_run=True, output="LINES")
        if not isinstance(lines, list):
            raise TypeError(f"fpdf answered {type(lines).__name__} for output=LINES")
        return len(lines)

    def block(self, width: float, height: float, text: str) -> None:
        """Text that usually fits one row, wrapped when it does not; the next block starts below it."""
        if self.get_string_width(text) <= width - 2 * self.c_margin:
            self.cell(width, height, text, new_x="LMARGIN", new_y="NEXT")
        else:
            self.multi_cell(width, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", 9.5)
        self.block(WIDTH, 5, _text(text))

    def _table_header(self, columns: Iterable[tuple[str, float, str]]) -> None:
        self.set_font(FONT, "B", 8.5)
        self.set_fill_color(*SHADE)
        for title, width, align in columns:
            self.cell(width, 6.5, title, align=align, fill=True)
        self.ln(6.5)
        self.set_font(FONT, size=9)

    def lines_table(self, lines: Iterable[Line]) -> None:
        """Description, quantity, unit price net of VAT, VAT rate and net amount; long descriptions wrap."""
        self._table_header(LINE_COLUMNS)
        self.set_draw_color(*RULE)
        description_width = LINE_COLUMNS[0][1]
        for line in lines:
            description = _text(line.description)
            rows = self.wrapped_rows(description_width, description)
            height = rows * LINE_HEIGHT + 2
            if self.get_y() + height > self.page_break_trigger:
                self.add_page()
                self._table_header(LINE_COLUMNS)
            top = self.get_y()
            self.set_xy(MARGIN, top + 1)
            if rows == 1:
                self.cell(description_width, LINE_HEIGHT, description)
            else:
                self.multi_cell(description_width, LINE_HEIGHT, description)
            self.set_xy(MARGIN + description_width, top + 1)
            figures = (f"{line.quantity:,}", price(line.unit_price), RATE_SHORT[line.vat_rate], pounds(line.net_pence))
            for text, (_, width, align) in zip(figures, LINE_COLUMNS[1:], strict=True):
                self.cell(width, LINE_HEIGHT, text, align=align)
            self.line(MARGIN, top + height, MARGIN + WIDTH, top + height)
            self.set_xy(MARGIN, top + height)
        self.ln(5)

    def vat_and_totals(self, vat_lines: Iterable[VatAnalysis], totals: Sequence[tuple[str, int]], title: str) -> None:
        """VAT per rate (zero-rated and exempt on their own rows) on the left, the totals on the right."""
        rows = sorted(vat_lines, key=lambda v: list(VatRate).index(v.vat_rate))
        needed = 8 + 6 * max(len(rows) + 1, len(totals))
        if self.get_y() + needed > self.page_break_trigger:
            self.add_page()
        top = self.get_y()
        self.set_font(FONT, "B", 8.5)
        self.set_fill_color(*SHADE)
        for heading, width, align in ((title, 46, "L"), ("Net", 27, "R"), ("VAT", 27, "R")):
            self.cell(width, 6.5, heading, align=align, fill=True)
        self.ln(6.5)
        self.set_font(FONT, size=9)
        for row in rows:
            self.cell(46, 5.5, row.vat_rate.label)
            self.cell(27, 5.5, pounds(row.net_pence), align="R")
            self.cell(27, 5.5, pounds(row.vat_pence), align="R", new_x="LMARGIN", new_y="NEXT")
        vat_bottom = self.get_y()
        self.set_y(top)
        for position, (label, pence) in enumerate(totals):
            last = position == len(totals) - 1
            self.set_x(MARGIN + WIDTH - 70)
            self.set_font(FONT, "B" if last else "", 10.5 if last else 9.5)
            self.cell(40, 7 if last else 6, label, fill=last)
            self.cell(30, 7 if last else 6, pounds(pence), align="R", fill=last, new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(vat_bottom, self.get_y()) + 8)

    def note(self, title: str, text: str) -> None:
        if self.get_y() + 16 > self.page_break_trigger:
            self.add_page()
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.get_y(), MARGIN + WIDTH, self.get_y())
        self.ln(2)
        self.set_font(FONT, "B", 9)
        self.cell(WIDTH, 5, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, size=9)
        self.block(WIDTH, LINE_HEIGHT, _text(text))
