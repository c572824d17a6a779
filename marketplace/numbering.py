"""Sequential document numbers per consortium: no gaps, no duplicates, never reused.

The counter row is incremented with UPDATE ... RETURNING in the caller's transaction: the
row stays locked until that transaction ends, so a rolled-back document gives its number
back and two concurrent runs queue rather than collide.
"""

from sqlalchemy import update

from marketplace.extensions import db, upsert
from marketplace.models import Consortium, DocumentCounter


def _ensure_counter(consortium_id: int, series: str) -> None:
    db.session.execute(
        upsert(DocumentCounter)
        .values(consortium_id=consortium_id, series=series, last_value=0)
        .on_conflict_do_nothing(index_elements=["consortium_id", "series"])
    )


def next_values(consortium: Consortium, series: str, count: int = 1) -> range:
    """Reserves the next `count` numbers of the series in one statement."""
    _ensure_counter(consortium.id, series)
    last = db.session.execute(
        update(DocumentCounter)
        .where(DocumentCounter.consortium_id == consortium.id, DocumentCounter.series == series)
        .values(last_value=DocumentCounter.last_value + count)
        .returning(DocumentCounter.last_value)
    ).scalar_one()
    return range(last - count + 1, last + 1)


def format_number(consortium: Consortium, label: str, year: int, value: int, width: int) -> str:
    """e.g. TAY-PO-2026-0007; an empty label leaves the series out: TAY-2026-000123."""
    prefix = f"{consortium.code}-{label}-" if label else f"{consortium.code}-"
    return f"{prefix}{year}-{value:0{width}d}"


def next_number(consortium: Consortium, series: str, year: int, width: int, label: str | None = None) -> str:
    value = next_values(consortium, series)[0]
    return format_number(consortium, series if label is None else label, year, value, width)
