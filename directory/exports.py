"""The directory's CSV files: the skills register of a consortium or the platform, and the spend with social
enterprises. Money as pounds with pence (a spreadsheet sums them), shares as whole percentages."""

import re
from collections.abc import Iterable

from directory.models import Skill
from directory.services import SpendReport
from reports.exports import pounds_decimal

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


def spend_rows(report: SpendReport) -> list[list]:
    child = "Consortium" if report.scope.kind == "platform" else "Member"
    lines = [["Total", report.scope.name, *_money(report.totals)]]
    lines += [["Channel", row.label, *_money(row)] for row in report.channels]
    lines += [[child, row.label, *_money(row)] for row in report.rows]
    lines += [
        ["Social-enterprise supplier", row.label, pounds_decimal(row.spend_pence), "", ""] for row in report.suppliers
    ]
    return lines


def _money(row) -> list:
    return [pounds_decimal(row.spend_pence), pounds_decimal(row.social_pence), row.share_percent]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "report"
