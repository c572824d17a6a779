"""Inserting thousands of rows at once (a pool's allocations, an order's invoices) in the session's transaction.

PostgreSQL gets COPY FROM STDIN, the bulk load it is built for: the driver writes the rows in C.
An executemany of a wide table is sent as batches of multi-row VALUES with a bound parameter per
value, which the driver parses in Python (seconds for 10,000 invoices), and one array per column
is dumped element by element in Python too. A serial key wanted back is drawn from its sequence
first and written with the rows. SQLite, in-process, takes an executemany.
"""

import contextlib
import enum
import gc
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Enum, Table, TypeDecorator, func, select
from sqlalchemy.types import TypeEngine

from kernel.extensions import db


def insert_rows(table: Table, rows: list[dict], returning: Column | None = None) -> list:
    """Inserts `rows` (dicts with the same keys) into `table`; with `returning`, that column's values in row order."""
    if not rows:
        return []
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        if returning is None:
            connection.execute(table.insert(), rows)
            return []
        return list(
            connection.execute(table.insert().returning(returning, sort_by_parameter_order=True), rows).scalars()
        )
    names = list(rows[0])
    keys: list = []
    if returning is not None:
        keys = _next_keys(connection, table, returning, len(rows))
        names = [returning.name, *names]
        rows = [{returning.name: key} | row for key, row in zip(keys, rows, strict=True)]
    converters = [_converter(table.c[name], connection.dialect) for name in names]
    driver = connection.connection.driver_connection
    assert driver is not None  # nosec B101: a checked-out connection always has its psycopg connection
    cursor = driver.cursor()
    columns = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    target = connection.dialect.identifier_preparer.format_table(table)
    with cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:  # nosec B608: names are the table's
        for row in rows:
            copy.write_row([convert(row[name]) for name, convert in zip(names, converters, strict=True)])
    return keys


def _next_keys(connection, table: Table, column: Column, count: int) -> list:
    """`count` values of the column's sequence, rising, so the rows get keys in their order as an insert would."""
    sequence = connection.execute(select(func.pg_get_serial_sequence(table.name, column.name))).scalar_one()
    return sorted(
        connection.execute(select(func.nextval(sequence)).select_from(func.generate_series(1, count))).scalars()
    )


@contextlib.contextmanager
def no_collection_pauses() -> Iterator[None]:
    """Holds off Python's cyclic garbage collector for one bulk operation, then lets it run once.

    Closing a pool or invoicing an order builds a few hundred thousand short-lived objects, and
    the collector would otherwise walk the whole heap again and again while they are made:
    nearly half the time of planning a close of 10,000 pledges. Reference counting still frees
    them as usual; only cycles wait for the end. Nested uses leave the collector as they found it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _converter(column: Column, dialect):
    """How one value of the column is written: as the column's type would bind it (enums by their values)."""
    type_: TypeEngine[Any] = column.type
    if isinstance(type_, TypeDecorator):
        return lambda value, decorator=type_: decorator.process_bind_param(value, dialect)
    if isinstance(type_, Enum):
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    return lambda value: value
