"""Sequential document numbers per consortium: no gaps, no duplicates, never reused.

The counter row is incremented with UPDATE ... RETURNING in the caller's transaction: the
row stays locked until that transaction ends, so a rolled-back document gives its number
back and two concurrent runs queue rather than collide.
"""

from typing import Protocol

from sqlalchemy import ForeignKey, String, UniqueConstraint, update
from sqlalchemy.orm import Mapped, mapped_column

from kernel.extensions import Model, db, intpk, upsert


class Issuer(Protocol):
    """What numbers a document: a consortium, by its id and its short code."""

    id: int
    code: str


def _ensure_counter(consortium_id: int, series: str) -> None:
    db.session.execute(
        upsert(DocumentCounter)
        .values(consortium_id=consortium_id, series=series, last_value=0)
        .on_conflict_do_nothing(index_elements=["consortium_id", "series"])
    )


def next_values(consortium: Issuer, series: str, count: int = 1) -> range:
    """Reserves the next `count` numbers of the series in one statement."""
    _ensure_counter(consortium.id, series)
    last = db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.consortium_id == consortium.id, DocumentCounter.series == series)
        .values(last_value=DocumentCounter.last_value + count)
        .returning(DocumentCounter.last_value)
    ).scalar_one()
    return range(last - count + 1, last + 1)


def format_number(consortium: Issuer, label: str, year: int, value: int, width: int) -> str:
    """e.g. TAY-PO-2026-0007; an empty label leaves the series out: TAY-2026-000123."""
    prefix = f"{consortium.code}-{label}-" if label else f"{consortium.code}-"
    return f"{prefix}{year}-{value:0{width}d}"


def next_number(consortium: Issuer, series: str, year: int, width: int, label: str | None = None) -> str:
    value = next_values(consortium, series)[0]
    return format_number(consortium, series if label is None else label, year, value, width)


class DocumentCounter(Model):
    """The last number used in one consortium's series (purchase orders, invoices, credit notes).

    Numbers come from an UPDATE ... RETURNING on this row, inside the transaction that uses
    them, so they are sequential, never reused and without gaps.
    """

    __table_args__ = (UniqueConstraint("consortium_id", "series"),)

    id: Mapped[intpk]
    consortium_id: Mapped[int] = mapped_column(ForeignKey("consortium.id"))
    series: Mapped[str] = mapped_column(String(10))
    last_value: Mapped[int] = mapped_column(default=0)
