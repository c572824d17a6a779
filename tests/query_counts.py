"""Counting the SQL statements a request or a call sends, to show a page's cost does not grow with its data;
and the rows a page shows, to show it pages or sums up what it lists."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

from flask_sqlalchemy.extension import SQLAlchemy
from sqlalchemy import event

from kernel.extensions import db
from kernel.paging import ListPage

# What a page lists: a table's rows and a chooser's options.
_ROWS = re.compile(rb"<tr[\s>]|<option[\s>]")


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


@contextmanager
def pages_of_one() -> Iterator[None]:
    """Every paged list (database pages, pages of a list in memory, choosers, the aged debt's page that the statement
    summing the debt cuts) one row a page."""
    paginate, of = SQLAlchemy.paginate, ListPage.of.__func__  # type: ignore[attr-defined]
    fetched = ListPage.fetched.__func__  # type: ignore[attr-defined]
    counted = ListPage.counted.__func__  # type: ignore[attr-defined]

    def one_a_page(self, select, **kwargs):
        return paginate(self, select, **(kwargs | {"per_page": 1}))

    with (
        mock.patch.object(SQLAlchemy, "paginate", one_a_page),
        mock.patch.object(ListPage, "of", classmethod(lambda cls, rows, page, per_page: of(cls, rows, page, 1))),
        mock.patch.object(
            ListPage,
            "fetched",
            classmethod(lambda cls, fetch, page, per_page, total: fetched(cls, fetch, page, 1, total)),
        ),
        mock.patch.object(
            ListPage, "counted", classmethod(lambda cls, fetch, page, per_page: counted(cls, fetch, page, 1))
        ),
        mock.patch("kernel.web.PICK_LIMIT", 1),
        mock.patch("billing.views.AGED_DEBT_PER_PAGE", 1),  # cut by the statement that sums the debt
    ):
        yield


def rows_shown(client, url: str) -> int | None:
    """The rows and options the page at `url` shows with lists of one a page; None for a download."""
    db.session.expire_all()
    with pages_of_one():
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(_ROWS.findall(response.data)) if response.mimetype == "text/html" else None
