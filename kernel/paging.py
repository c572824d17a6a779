"""A page of a list already worked out in memory, or cut by a statement of its own, shaped like
Flask-SQLAlchemy's pages.

Dashboards page the rows they show this way, so `_pager.html` and the API's page shape serve
them as they serve database pages.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select

from kernel.extensions import db

T = TypeVar("T")


@dataclass(frozen=True)
class ListPage(Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, rows: Sequence[T], page: int, per_page: int) -> "ListPage[T]":
        start = (page - 1) * per_page
        return cls(list(rows[start : start + per_page]), page, per_page, len(rows))

    @classmethod
    def fetched(cls, fetch: Callable[[int, int], list[T]], page: int, per_page: int, total: int) -> "ListPage[T]":
        """A page the database cuts: `fetch(limit, offset)` loads its rows; `total` was counted beside them."""
        return cls(fetch(per_page, (page - 1) * per_page), page, per_page, total)

    @classmethod
    def counted(cls, fetch: Callable[[int, int], tuple[list[T], int]], page: int, per_page: int) -> "ListPage[T]":
        """A page the database cuts and counts in one statement: `fetch(limit, offset)` gives its rows and the
        total, the total even for a page past the end."""
        items, total = fetch(per_page, (page - 1) * per_page)
        return cls(items, page, per_page, total)

    @classmethod
    def selected(
        cls, query: Select, page: int, per_page: int, *, order_by: Sequence[Any], options: Sequence[Any] = ()
    ) -> "ListPage":
        """A page of `query`'s rows in `order_by` order, counted and cut by the database (`fetched`); `options`
        (eager loads) apply to the page's rows, not to the count."""
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        return cls.fetched(
            lambda limit, offset: list(
                db.session.scalars(query.options(*options).order_by(*order_by).limit(limit).offset(offset)).unique()
            ),
            page,
            per_page,
            total,
        )

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
