"""The claim sent to the supplier: the period's eligible volume by consortium, the tier reached, the amount."""

from fpdf import FPDF

from kernel.csv_export import csv_text
from kernel.formatting import pounds, uk_date
from rebates.calculation import Basis
from rebates.models import RebateAgreement
from rebates.services import ClaimLine

ENCODING = "windows-1252"  # the core fonts' encoding: £ and typographic quotes print


def _text(value: str) -> str:
    return value.encode(ENCODING, "replace").decode(ENCODING)


def rate_label(agreement: RebateAgreement, rate) -> str:
    return f"{rate.normalize():f}%" if agreement.basis is Basis.SPEND else f"{rate.normalize():f}p a unit"


def threshold_label(agreement: RebateAgreement, threshold: int) -> str:
    return pounds(threshold) if agreement.basis is Basis.SPEND else f"{threshold:,} units"


def claim_rows(agreement: RebateAgreement, lines: list[ClaimLine]) -> list[list]:
    return [[line.consortium, line.members, line.spend_pence, line.units] for line in lines]


CSV_HEADER = ["consortium", "members", "net_spend_pence", "units"]


def claim_csv(agreement: RebateAgreement, lines: list[ClaimLine]) -> str:
    return csv_text(CSV_HEADER, claim_rows(agreement, lines))


def claim_summary(agreement: RebateAgreement) -> list[tuple[str, str]]:
    reached = agreement.tier_threshold
    tier = next((t for t in agreement.tiers if t.threshold == reached), None)
    return [
        ("Agreement", agreement.name),
        ("Supplier", agreement.supplier.name),
        ("Scope", agreement.scope_label),
        ("Period", f"{uk_date(agreement.period_start)} to {uk_date(agreement.period_end)}"),
        ("Eligible net spend", pounds(agreement.spend_pence or 0)),
        ("Eligible units", f"{agreement.units or 0:,}"),
        (
            "Tier reached",
            f"from {threshold_label(agreement, tier.threshold)}, {rate_label(agreement, tier.rate)}"
            if tier
            else "none",
        ),
        ("Applied", agreement.method.value),
        ("Rebate claimed", pounds(agreement.rebate_pence or 0)),
    ]


def claim_pdf(agreement: RebateAgreement, lines: list[ClaimLine]) -> bytes:
    pdf = FPDF()
    pdf.core_fonts_encoding = ENCODING
    pdf.set_title(_text(f"Rebate claim {agreement.name}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "REBATE CLAIM", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in claim_summary(agreement):
        pdf.cell(50, 6, _text(label))
        pdf.cell(0, 6, _text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 10)
    for heading, width in (("Consortium", 80), ("Members", 25), ("Net spend", 40), ("Units", 30)):
        pdf.cell(width, 7, heading, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in lines:
        pdf.cell(80, 6, _text(line.consortium))
        pdf.cell(25, 6, str(line.members), align="R")
        pdf.cell(40, 6, _text(pounds(line.spend_pence)), align="R")
        pdf.cell(30, 6, f"{line.units:,}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(
        0,
        5,
        _text(
            f"Please pay {pounds(agreement.rebate_pence or 0)} under this agreement, quoting "
            f"“Rebate {agreement.id}” as the reference."
        ),
    )
    return bytes(pdf.output())
