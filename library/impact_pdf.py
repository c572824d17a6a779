"""The impact report as a PDF for funders: the same lines as the page and the CSV, core fonts, A4."""

from datetime import UTC, date, datetime, time

from fpdf import FPDF

from kernel.formatting import uk_date
from library.impact import NOT_YET, ImpactReport, lines

FONT = "helvetica"
ENCODING = "windows-1252"
MARGIN = 15
WIDTH = 180


def _text(value: str) -> str:
    """Characters the core fonts cannot print become '?' rather than fail."""
    return value.encode(ENCODING, "replace").decode(ENCODING)


def impact_pdf(report: ImpactReport, today: date) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.core_fonts_encoding = ENCODING
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(_text(f"Impact: {report.scope.title}"))
    pdf.add_page()
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(WIDTH, 9, _text(f"Impact: {report.scope.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(
        WIDTH,
        5,
        _text(
            f"As at {uk_date(today)}. Money is net of VAT and credit notes. Members' own figures count as "
            "verified once their consortium's secretary has seen the evidence."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    section = None
    for line in lines(report):
        if line.section != section:
            section = line.section
            pdf.ln(4)
            pdf.set_font(FONT, "B", 12)
            pdf.cell(WIDTH, 7, _text(section), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, size=10)
        pdf.cell(120, 6, _text(line.figure), border="B")
        pdf.cell(60, 6, _text(line.shown), border="B", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "I", 9)
    pdf.multi_cell(WIDTH, 5, _text(NOT_YET), new_x="LMARGIN", new_y="NEXT")
    pdf.set_creation_date(datetime.combine(today, time(), UTC))
    return bytes(pdf.output())
