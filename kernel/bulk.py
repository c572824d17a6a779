"""Inserting thousands of rows at once (a pool's allocations, an order's invoices) in the session's transaction.

PostgreSQL gets one INSERT ... SELECT FROM unnest(one array per column): a parameter per
column whatever the number of rows. An executemany of a wide table is sent as batches of
multi-row VALUES with a bound parameter per value, which the driver parses in Python: seconds
for 10,000 invoices. SQLite, in-process and without arrays, takes an executemany.
"""

import contextlib
import enum
import gc
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Enum, String, Table, TypeDecorator, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
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
    arrays = [_array(table.c[name], [row[name] for row in rows], connection.dialect) for name in names]
    source = func.unnest(*arrays).table_valued(*names, with_ordinality="row_number").render_derived()
    statement = table.insert().from_select(
        names, select(*(source.c[name] for name in names)).order_by(source.c.row_number)
    )
    if returning is None:
        connection.execute(statement)
        return []
    # Rows are inserted in row order, so a serial key rises with it.
    return sorted(connection.execute(statement.returning(returning)).scalars())


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


def _array(column: Column, values: list, dialect):
    """The column's values as one array parameter, converted as the column's type would convert each one."""
    type_: TypeEngine[Any] = column.type
    if isinstance(type_, TypeDecorator):
        values = [type_.process_bind_param(value, dialect) for value in values]
        type_ = type_.impl_instance
    if isinstance(type_, Enum):
        values = [value.value if isinstance(value, enum.Enum) else value for value in values]
        type_ = String()
    return bindparam(None, values, type_=ARRAY(type_))
