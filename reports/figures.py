"""Pure arithmetic of the reports: savings, shares of spend and monthly series, without Flask or a database.

Money stays in integer pence; percentages are Decimals to one place, rounded half-up by
`kernel.money.round_half_up` like every other figure.
"""

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from kernel.money import round_half_up

PERCENT_PLACES = 1


def percent(part: int, whole: int, places: int = PERCENT_PLACES) -> Decimal | None:
    """`part` as a percentage of `whole`, half-up to `places`; None when there is no whole to share."""
    if whole <= 0:
        return None
    return Decimal(round_half_up(part * 100 * 10**places, whole)).scaleb(-places)


@dataclass(frozen=True)
class Figures:
    """What a group of invoices adds up to. Amounts are net of VAT and of credit notes."""

    invoices: int = 0
    units: int = 0
    list_value_pence: int = 0
    spend_pence: int = 0
    buy_social_pence: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            self.invoices + other.invoices,
            self.units + other.units,
            self.list_value_pence + other.list_value_pence,
            self.spend_pence + other.spend_pence,
            self.buy_social_pence + other.buy_social_pence,
        )

    @property
    def saving_pence(self) -> int:
        """What the same units would have cost at list price, less what was invoiced (negative: dearer)."""
        return self.list_value_pence - self.spend_pence

    @property
    def saving_percent(self) -> Decimal | None:
        return percent(self.saving_pence, self.list_value_pence)

    @property
    def buy_social_percent(self) -> Decimal | None:
        """The share of spend that went to social-enterprise ("buy social") suppliers."""
        return percent(self.buy_social_pence, self.spend_pence)


def total(figures: Iterable[Figures]) -> Figures:
    """The figures added up, field by field (a report adds thousands: no Figures is made for each partial sum)."""
    invoices = units = list_value = spend = buy_social = 0
    for f in figures:
        invoices += f.invoices
        units += f.units
        list_value += f.list_value_pence
        spend += f.spend_pence
        buy_social += f.buy_social_pence
    return Figures(invoices, units, list_value, spend, buy_social)


K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def rollup(items: Iterable[T], key: Callable[[T], K], figures: Callable[[T], Figures]) -> dict[K, Figures]:
    """Figures summed under each key, in the order keys first appear."""
    groups: dict[K, list[Figures]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(figures(item))
    return {k: total(group) for k, group in groups.items()}


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` inclusive ("2025-11" to "2026-02"), so a chart shows quiet months too."""
    year, month = int(first[:4]), int(first[5:])
    months = []
    while month_key(year, month) <= last:
        months.append(month_key(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def monthly(by_month: dict[str, T], empty: T) -> list[tuple[str, T]]:
    """(month, value) for every month between the first and last with a value; quiet months get `empty`."""
    if not by_month:
        return []
    return [(m, by_month.get(m, empty)) for m in month_range(min(by_month), max(by_month))]
