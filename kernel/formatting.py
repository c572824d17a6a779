"""Jinja filters: money and dates are formatted here and only here."""

from datetime import date, datetime
from decimal import Decimal

from flask import Flask

from kernel import words
from kernel.clock import UK
from kernel.clock import uk_date as date_in_uk


def pounds(pence: int | None) -> str:
    """£1,234.56 from integer pence; negative amounts as -£12.30."""
    return "" if pence is None else words.pence_text(pence)


def price(value: Decimal | None) -> str:
    """A unit price: pennies as £1,234.50, fractions of a penny to the places they need, as £0.2175."""
    return "" if value is None else words.price_text(value)


def uk_datetime(value: datetime | None) -> str:
    return value.astimezone(UK).strftime("%-d %b %Y, %H:%M") if value else ""


def uk_date(value: date | datetime | None) -> str:
    """A date as people write it; an instant shows its UK date, not the UTC one."""
    if isinstance(value, datetime):
        value = date_in_uk(value)
    return value.strftime("%-d %b %Y") if value else ""


def sort_code(digits: str | None) -> str:
    """A stored sort code as people write it: "834491" -> "83-44-91"."""
    if not digits:
        return ""
    return f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(pounds)
    app.add_template_filter(price)
    app.add_template_filter(uk_datetime)
    app.add_template_filter(uk_date)
    app.add_template_filter(sort_code)
    app.add_template_filter(words.quantity)
    app.add_template_filter(words.packs)
    app.add_template_filter(words.per_unit)
    app.add_template_filter(words.counted)
    app.add_template_filter(words.with_article)
