"""The directory's CSV files: the skills register of a consortium or the platform, and the spend with social
enterprises. Money as pounds with pence (a spreadsheet sums them), shares as whole percentages."""

import re
from collections.abc import Iterable, Iterator

from directory.models import Skill
from directory.services import Part, SpendFigure
from reports.exports import pounds_decimal
from reports.savings import Scope

SKILLS_HEADER = [
    "Consortium",
    "Member",
    "Town",
    "Person",
    "Skill category",
    "Level",
    "Spare hours a month",
    "Note",
]
SPEND_HEADER = ["Section", "Name", "Spend (£, ex VAT)", "With social enterprises (£, ex VAT)", "Share (%)"]


def skills_rows(skills: Iterable[Skill]) -> list[list]:
    return [
        [
            s.member.network.consortium.name,
            s.member.name,
            s.member.organisation.city,
            s.person_name,
            s.category.name,
            s.level.short,
            s.spare_hours_per_month,
            s.note,
        ]
        for s in skills
    ]


def spend_rows(scope: Scope, figures: Iterable[SpendFigure]) -> Iterator[list]:
    """A line for the total, each channel, each consortium or member and each social enterprise, written as the
    figures are read: no list of every row is built first."""
    child = "Consortium" if scope.kind == "platform" else "Member"
    for figure in figures:
        row = figure.row
        if figure.part is Part.TOTAL:
            yield ["Total", scope.name, *_money(row)]
        elif figure.part is Part.CHANNEL:
            yield ["Channel", row.label, *_money(row)]
        elif figure.part is Part.ROW:
            yield [child, row.label, *_money(row)]
        elif figure.part is Part.SUPPLIER:
            yield ["Social-enterprise supplier", row.label, pounds_decimal(row.spend_pence), "", ""]


def _money(row) -> list:
    return [pounds_decimal(row.spend_pence), pounds_decimal(row.social_pence), row.share_percent]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "report"
