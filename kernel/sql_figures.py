"""Money and time in SQL, for the dashboards that sum thousands of rows in the database, written once for
both SQLite and PostgreSQL. Each agrees with its Python twin (kernel.money, kernel.clock); the tests hold
them together on both databases."""

from sqlalchemy import BigInteger, ColumnElement, Numeric, String, cast, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from kernel.money import PRICE_PLACES

_PRICE_SCALE = int(1 / PRICE_PLACES)  # a price times this is a whole number
_PRICE_SCALE_PER_PENNY = _PRICE_SCALE // 100


def line_pence_sql(quantity, unit_price) -> ColumnElement[int]:
    """`kernel.money.line_pence` in SQL: quantity x unit price in pence, rounded half-up once.

    Whole numbers only: a price has four places at most, so rounded after multiplying by 10,000 it is exact
    even from SQLite's binary floats; times the quantity it is in hundredths of a penny, and adding 50 before
    dividing by 100 rounds a quantity of zero or more half-up. tests/reports/test_agreement.py holds it to
    `line_pence`, the invoices' figure; the reports' list values and the dashboards' pool values both use it.
    """
    whole_price = cast(func.round(unit_price * _PRICE_SCALE), BigInteger)
    return (quantity * whole_price + _PRICE_SCALE_PER_PENNY // 2) // _PRICE_SCALE_PER_PENNY


class utc_hour(FunctionElement):
    """The UTC hour a timestamp falls in, as text '2026-05-31 23': UK months, weeks and days all begin on a
    whole UTC hour, so rows grouped by it can be put in their UK month or week afterwards, in Python."""

    type = String()
    inherit_cache = True


@compiles(utc_hour, "postgresql")
def _utc_hour_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')"


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element, compiler, **kw):
    """SQLite keeps UTC timestamps as text beginning 'YYYY-MM-DD HH' (kernel.extensions.UTCDateTime)."""
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 13)"


class whole_ms_sql(FunctionElement):
    """`kernel.clock.whole_ms` of a UTC timestamp column."""

    type = Numeric()
    inherit_cache = True


@compiles(whole_ms_sql, "postgresql")
def _whole_ms_postgresql(element, compiler, **kw):
    """PostgreSQL (14 and later) extracts the epoch as an exact numeric, microseconds and all."""
    return f"floor(extract(epoch FROM {compiler.process(element.clauses, **kw)}) * 1000)"


@compiles(whole_ms_sql, "sqlite")
def _whole_ms_sqlite(element, compiler, **kw):
    """SQLite keeps UTC timestamps as text 'YYYY-MM-DD HH:MM:SS.ffffff' (kernel.extensions.UTCDateTime): the
    whole seconds from the first 19 characters (strftime rounds a fraction), the milliseconds from the next 3."""
    moment = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({moment}, 1, 19)) AS INTEGER) * 1000 + CAST(substr({moment}, 21, 3) AS INTEGER))"
    )
