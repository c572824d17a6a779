"""The clock: instants are UTC; the business date is the UK date (Europe/London).

Documents are dated by the UK calendar, so an invoice issued at 00:30 in a British summer
carries that day's date, not the UTC day before.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


def uk_today() -> date:
    return datetime.now(UK).date()
