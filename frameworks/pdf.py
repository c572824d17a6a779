"""A supplier's monthly statement of call-offs and management fee due, as PDF, from the same rows as the page."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from fpdf import FPDF

from frameworks.models import CallOff
from frameworks.services import FeeDue, units_of
from kernel.formatting import pounds, price, uk_date

FONT = "helvetica"
COLUMNS = (
    ("Delivered", 24, "L"),
    ("Call-off", 40, "L"),
    ("Lot", 48, "L"),
    ("Quantity", 24, "R"),
    ("Unit price", 20, "R"),
    ("Net", 24, "R"),
)


def _text(value: str) -> str:
    """The core fonts print windows-1252; anything else becomes a question mark, never an error."""
    return value.encode("windows-1252", "replace").decode("windows-1252")


def statement_pdf(supplier_name: str, month: date, call_offs: Sequence[CallOff], fees: Sequence[FeeDue]) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.combine(month, time(), UTC))
    pdf.set_title(_text(f"Framework statement {supplier_name} {month:%B %Y}"))
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, "FRAMEWORK CALL-OFFS AND MANAGEMENT FEE", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, _text(f"{supplier_name}: {month:%B %Y}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 9)
    for label, width, align in COLUMNS:
        pdf.cell(width, 6, label, border="B", align=align)
    pdf.ln()
    pdf.set_font(FONT, size=9)
    for c in call_offs:
        values = (
            uk_date(c.delivered_at),
            c.number,
            c.lot_name[:30],
            units_of(c),
            price(c.unit_price),
            pounds(c.net_pence),
        )
        for (_, width, align), value in zip(COLUMNS, values, strict=True):
            pdf.cell(width, 5, _text(value), align=align)
        pdf.ln()
    pdf.ln(4)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 6, "Management fee due", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    for fee in fees:
        count = f"{fee.call_off_count} call-off{'s' if fee.call_off_count != 1 else ''}"
        line = f"To {fee.consortium_name}: {pounds(fee.fee_pence)} on {pounds(fee.net_pence)} of {count}"
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 10)
    pdf.cell(0, 7, _text(f"Total fee due: {pounds(sum(f.fee_pence for f in fees))}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
