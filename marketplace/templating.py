"""Jinja filters: money and dates are formatted here and only here."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

UK = ZoneInfo("Europe/London")


def pounds(pence: int | None) -> str:
    """£1,234.56 from integer pence; negative amounts as -£12.30."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}£{whole:,}.{part:02d}"


def uk_datetime(value: datetime | None) -> str:
    return value.astimezone(UK).strftime("%-d %b %Y, %H:%M") if value else ""


def uk_date(value) -> str:
    return value.strftime("%-d %b %Y") if value else ""


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(pounds)
    app.add_template_filter(uk_datetime)
    app.add_template_filter(uk_date)
