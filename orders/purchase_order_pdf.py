"""A purchase order as PDF for the supplier: what is ordered, at what price, and where each member's share goes.

Printed from the order's snapshot (offer, unit, prices, allocations) in the app's words and money
format, so the PDF agrees with the page and the CSV. Core fonts only, and the creation date is the
order's, so the same order always gives the same bytes. billing.pdf draws invoices the same way;
orders sit below billing, so this sheet is its own.
"""

from datetime import UTC, datetime, time

from fpdf import FPDF

from kernel.clock import uk_date as date_in_uk
from kernel.formatting import uk_date
from kernel.words import packs, pence_text, per_unit, price_text, quantity
from orders.models import PurchaseOrder

FONT = "helvetica"
ENCODING = "windows-1252"  # the core fonts' WinAnsi encoding: £ and curly quotes print
MARGIN = 15
WIDTH = 180
SHADE = (238, 238, 238)
RULE = (200, 200, 200)
ORDER_COLUMNS = (("Description", 62, "L"), ("Quantity", 63, "R"), ("Unit price (net)", 27, "R"), ("Net", 28, "R"))
DELIVERY_COLUMNS = (("Member", 55, "L"), ("Quantity", 35, "R"), ("Deliver to", 90, "L"))


def _text(value: str) -> str:
    """Characters outside Windows-1252 become '?' rather than fail."""
    return value.encode(ENCODING, "replace").decode(ENCODING)


def purchase_order_pdf(order: PurchaseOrder) -> bytes:
    pdf = _Sheet(order.number)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(WIDTH, 9, "PURCHASE ORDER", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 12)
    pdf.cell(WIDTH, 6, _text(order.consortium.organisation.legal_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for line in order.consortium.organisation.address_lines:
        pdf.cell(WIDTH, 4.6, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    details = [
        ("Order number", order.number),
        ("To", order.supplier.name),
        ("Ordered on", uk_date(order.created_at)),
        ("Sent on", uk_date(order.sent_at) if order.sent_at else "not sent yet"),
        ("Status", order.status.value),
    ]
    for label, value in details:
        pdf.set_font(FONT, size=9)
        pdf.cell(40, 5, label)
        pdf.set_font(FONT, "B", 9)
        pdf.cell(WIDTH - 40, 5, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(5)
    pdf.header_row(ORDER_COLUMNS)
    quantity_text = quantity(order.units, order)
    if order.pack_size > 1:
        quantity_text = f"{quantity_text} ({packs(order.packs, order)})"
    pdf.row(
        ORDER_COLUMNS, [order.offer_name, quantity_text, price_text(order.unit_price), pence_text(order.goods_pence)]
    )
    if order.delivery_charge_pence:
        pdf.row(ORDER_COLUMNS, ["Delivery charge", "", "", pence_text(order.delivery_charge_pence)])
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(WIDTH - 28, 7, f"Total (net of VAT, {order.vat_rate.label})", align="R")
    pdf.cell(28, 7, pence_text(order.total_pence), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(WIDTH, 5, _text(f"Price agreed: {per_unit(order.unit_price, order)}."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(WIDTH, 6, "Deliveries", new_x="LMARGIN", new_y="NEXT")
    pdf.header_row(DELIVERY_COLUMNS)
    for allocation in order.allocations:
        if allocation.units:
            pdf.row(
                DELIVERY_COLUMNS,
                [allocation.member_name, quantity(allocation.units, order), allocation.delivery_address],
            )
    pdf.set_creation_date(datetime.combine(date_in_uk(order.created_at), time(), UTC))
    return bytes(pdf.output())


class _Sheet(FPDF):
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
        self.cell(WIDTH, 4, _text(f"{self.number}  ·  page {self.page_no()} of {{nb}}"), align="R")

    def header_row(self, columns) -> None:
        self.set_font(FONT, "B", 8.5)
        self.set_fill_color(*SHADE)
        for title, width, align in columns:
            self.cell(width, 6.5, title, align=align, fill=True)
        self.ln(6.5)
        self.set_font(FONT, size=9)

    def row(self, columns, texts) -> None:
        """One row; a cell too long for its column is cut short with an ellipsis."""
        if self.get_y() + 6 > self.page_break_trigger:
            self.add_page()
            self.header_row(columns)
        self.set_draw_color(*RULE)
        for text, (_, width, align) in zip(texts, columns, strict=True):
            self.cell(width, 6, self._fitted(_text(text), width), align=align)
        self.ln(6)
        self.line(MARGIN, self.get_y(), MARGIN + WIDTH, self.get_y())

    def _fitted(self, text: str, width: float) -> str:
        room = width - 2 * self.c_margin
        if self.get_string_width(text) <= room:
            return text
        while text and self.get_string_width(text + "...") > room:
            text = text[:-1]
        return text + "..."
