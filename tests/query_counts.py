"""Counting the SQL statements a request or a call sends, to show a page's cost does not grow with its data."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from kernel.extensions import db


@contextmanager
def counted_queries() -> Iterator[list[str]]:
    """The statements sent to the database inside the block, in order."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def queries_for(client, url: str, **kwargs) -> list[str]:
    """The statements one GET of `url` sends, with nothing loaded yet, as a real request starts."""
    db.session.expire_all()
    with counted_queries() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return statements
