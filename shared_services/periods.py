"""Calendar arithmetic of a pool's periods: pure, no database.

Period 1 starts on the pool's start date (always the first of a month); period n starts
(n - 1) months or quarters later and ends the day before period n + 1 starts.
"""

from datetime import date, timedelta

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(start: date, months_per_period: int, period: int) -> date:
    return add_months(start, (period - 1) * months_per_period)


def period_end(start: date, months_per_period: int, period: int) -> date:
    return period_start(start, months_per_period, period + 1) - timedelta(days=1)


def period_at(start: date, months_per_period: int, day: date) -> int:
    """The number of the period `day` falls in; 0 before the start (no upper bound: the term is the caller's)."""
    if day < start:
        return 0
    months = (day.year - start.year) * 12 + day.month - start.month
    return months // months_per_period + 1


def label(start: date, months_per_period: int, period: int) -> str:
    """ "Mar 2026" for a month, "Mar–May 2026" (or "Dec 2026–Feb 2027") for a quarter."""
    first = period_start(start, months_per_period, period)
    if months_per_period == 1:
        return f"{MONTH_NAMES[first.month - 1]} {first.year}"
    last = add_months(first, months_per_period - 1)
    if first.year == last.year:
        return f"{MONTH_NAMES[first.month - 1]}–{MONTH_NAMES[last.month - 1]} {first.year}"
    return f"{MONTH_NAMES[first.month - 1]} {first.year}–{MONTH_NAMES[last.month - 1]} {last.year}"


def parse_month(text: str) -> date:
    """ "2026-03" -> 1 March 2026; ValueError for anything else."""
    year, sep, month = text.partition("-")
    if not sep or len(year) != 4 or len(month) != 2 or not year.isdigit() or not month.isdigit():
        raise ValueError(f"{text!r} is not a month written YYYY-MM.")
    return date(int(year), int(month), 1)
