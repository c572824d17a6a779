"""Sequential document numbers per consortium: no gaps, no duplicates, never reused.

The counter row is incremented with UPDATE ... RETURNING in the caller's transaction: the
row stays locked until that transaction ends, so a rolled-back document gives its number
back and two concurrent runs queue rather than collide.
"""
from sqlalchemy import update

from marketplace.extensions import db, upsert
from marketplace.models import Consortium, DocumentCounter


def _ensure_counter(consortium_id: int, series: str) -> None:
    db.session.execute(upsert(DocumentCounter).values(consortium_id=consortium_id, series=series, last_value=0)
                       .on_conflict_do_nothing(index_elements=["consortium_id", "series"]))


def next_value(consortium: Consortium, series: str) -> int:
    _ensure_counter(consortium.id, series)
    return db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.consortium_id == consortium.id, DocumentCounter.series == series)
        .values(last_value=DocumentCounter.last_value + 1)
        .returning(DocumentCounter.last_value)
    ).scalar_one()


def next_number(consortium: Consortium, series: str, year: int, width: int, label: str | None = None) -> str:
    """e.g. TAY-PO-2026-0007 for series "PO"; `label=""` leaves the series out: TAY-2026-000123."""
    label = series if label is None else label
    prefix = f"{consortium.code}-{label}-" if label else f"{consortium.code}-"
    return f"{prefix}{year}-{next_value(consortium, series):0{width}d}"
