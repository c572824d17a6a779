"""The columns, link table and checks every kind of pool has; each kind's model adds its own."""

from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from catalogue.models import Offer
from kernel.extensions import UTCDateTime, created_at, db
from kernel.lifecycle import REASON_MAX
from organisations.models import Consortium, User


def pool_checks(**checks: str) -> tuple[CheckConstraint, ...]:
    """A pool table's own checks, by name, and the one every kind has: a cancelled pool says why."""
    checks["cancel_has_reason"] = "status != 'cancelled' OR cancel_reason IS NOT NULL"
    return tuple(CheckConstraint(sql, name=name) for name, sql in checks.items())


def consortium_link(pool_table: str) -> Table:
    """The table tying a kind of pool to its consortia: (<pool_table>_id, consortium_id)."""
    return Table(
        f"{pool_table}_consortium",
        db.metadata,
        Column(f"{pool_table}_id", Integer, ForeignKey(f"{pool_table}.id", ondelete="CASCADE"), primary_key=True),
        Column("consortium_id", Integer, ForeignKey("consortium.id"), primary_key=True, index=True),
    )


class PoolColumns:
    """The columns and relationships every kind of pool has; `consortium_table` is its link table."""

    consortium_table: ClassVar[Table]
    __tablename__: ClassVar[str]

    if TYPE_CHECKING:
        # Each kind's model maps its own status enum; the declarative base gives every model a keyword __init__.
        status: Any

        def __init__(self, **columns: Any) -> None: ...

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-3)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offer.id"), index=True, sort_order=-2)
    is_national: Mapped[bool] = mapped_column(default=False, sort_order=-1)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[created_at]
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))

    @declared_attr
    def offer(cls) -> Mapped[Offer]:
        return relationship(Offer, lazy="joined")

    @declared_attr
    def consortia(cls) -> Mapped[list[Consortium]]:
        return relationship(Consortium, secondary=cls.consortium_table, order_by=Consortium.name)

    @declared_attr
    def created_by(cls) -> Mapped[User]:
        return relationship(User)

    @property
    def consortium_ids(self) -> set[int]:
        return {c.id for c in self.consortia}
