"""The clock: instants are UTC; the business date is the UK date (Europe/London).

Documents are dated by the UK calendar, so an invoice issued at 00:30 in a British summer
carries that day's date, not the UTC day before. Every business date comes from here:
`uk_today()` for now, `uk_date(instant)` for a stored instant; never `instant.date()`,
`date.today()` or `datetime.now()`.

`_now` is the one source of the time: tests freeze it with `monkeypatch.setattr(clock, "_now", ...)`
(see `tests.clocks.frozen_clock`), and every caller of `utcnow()` and `uk_today()` then sees it.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    """Now, as an aware UTC datetime."""
    return _now().astimezone(UTC)


def uk_date(instant: datetime) -> date:
    """The UK calendar date of an instant (naive instants are taken as UTC, as the database stores them)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UK).date()


def uk_today() -> date:
    """Today's business date: the UK date now."""
    return uk_date(utcnow())


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def whole_ms(instant: datetime) -> int:
    """Milliseconds since 1970, rounded down: a clock both Python and SQL (`kernel.sql_figures.whole_ms_sql`) read
    as the same whole number, for rules judged on both sides."""
    return (instant - EPOCH) // timedelta(milliseconds=1)
