"""CSV exports of the reports: pounds as exact decimals, percentages as one-place decimals, VAT excluded."""

import re
from decimal import Decimal

from reports.figures import Figures
from reports.savings import Row, SavingsReport, SupplierReport

SAVINGS_HEADER = [
    "Breakdown",
    "Key",
    "Label",
    "Invoices",
    "Units",
    "List value (£, ex VAT)",
    "Spend (£, ex VAT)",
    "Saving (£)",
    "Saving (%)",
    "Buy social spend (£, ex VAT)",
    "Buy social share (%)",
]
SUPPLIER_HEADER = ["Consortium", "Offer", "Unit", "Month", "Invoices", "Units", "Value (£, ex VAT)"]


def pounds_decimal(pence: int) -> Decimal:
    return Decimal(pence).scaleb(-2)


def _row(breakdown: str, key: str, label: str, f: Figures) -> list:
    return [
        breakdown,
        key,
        label,
        f.invoices,
        f.units,
        pounds_decimal(f.list_value_pence),
        pounds_decimal(f.spend_pence),
        pounds_decimal(f.saving_pence),
        f.saving_percent,
        pounds_decimal(f.buy_social_pence),
        f.buy_social_percent,
    ]


def savings_rows(report: SavingsReport) -> list[list]:
    """The total, then every breakdown, one row per line, so a spreadsheet can filter on the first column."""
    sections: list[tuple[str, list[Row]]] = [
        ("category", report.by_category),
        ("month", report.by_month),
        ("supplier", report.by_supplier),
    ]
    if report.scope.child_kind:
        sections.append((report.scope.child_kind, report.by_child))
    rows = [_row("total", "", report.scope.name, report.totals)]
    rows += [_row(name, row.key, row.label, row.figures) for name, rows_ in sections for row in rows_]
    return rows


def supplier_rows(report: SupplierReport) -> list[list]:
    return [
        [c.consortium, c.offer, c.unit, c.month, c.invoices, c.units, pounds_decimal(c.value_pence)]
        for c in report.cells
    ]


def filename(title: str, suffix: str | None = None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{slug}-{suffix or 'savings'}.csv"
