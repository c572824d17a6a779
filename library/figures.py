"""Pure arithmetic of the impact pages: measures summed per period, adoption rates; no Flask, no database."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from reports.figures import percent


@dataclass(frozen=True)
class RecordFigure:
    """One recorded figure: which measure (name and unit), how much, verified by the secretary or not."""

    measure: str
    unit: str
    value: int
    verified: bool


@dataclass(frozen=True)
class MeasureTotal:
    measure: str
    unit: str
    verified: int
    unverified: int
    records: int


def measure_totals(records: Iterable[RecordFigure]) -> list[MeasureTotal]:
    """Each measure's verified and not-yet-verified totals, in the order measures first appear."""
    sums: dict[tuple[str, str], list[int]] = {}
    for r in records:
        if r.value < 0:
            raise ValueError("a recorded figure is never negative")
        row = sums.setdefault((r.measure, r.unit), [0, 0, 0])
        row[0 if r.verified else 1] += r.value
        row[2] += 1
    return [MeasureTotal(m, u, v, n, c) for (m, u), (v, n, c) in sums.items()]


def adoption_percent(adopted: int, expected: int) -> Decimal | None:
    """Adopted (member, template) pairs as a share of those that could be, to one place; None when none could."""
    return percent(adopted, expected)
