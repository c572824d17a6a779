"""What every kind of pool shares: demand for one offer, in one consortium or several (national).

Bulk-buy pools (orders) and shared-service pools (shared_services), and the pool-like things
to come, hold the same columns, follow the same rules for who sees and who runs them, are
created, opened and cancelled the same way, and lock their row the same way. It lives here,
the lowest layer that knows offers, organisations and lifecycles, so each kind only says
what is its own: its model, its link table to consortia, its lifecycle.
"""

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    select,
    update,
)

from catalogue.models import Offer
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import REASON_MAX, Lifecycle, StatusChange
from organisations import audit
from organisations.access import can_run_pool, in_users_consortia, members_taking_part, require_pool_runner
from organisations.models import Consortium, Member, Network, User
from pools.models import PoolColumns

P = TypeVar("P", bound=PoolColumns)


@dataclass(frozen=True)
class PoolKind(Generic[P]):
    """One kind of pool: its model, its lifecycle, its name in messages, and the states the shared moves reach."""

    model: type[P]
    lifecycle: Lifecycle[Any]
    label: str
    drafted: enum.Enum
    opened: enum.Enum
    cancelled: enum.Enum

    @property
    def table(self) -> Table:
        return db.metadata.tables[self.model.__tablename__]

    def _visible_to(self, user: User) -> ColumnElement[bool]:
        """In the user's consortia; a draft only to those who run it (its secretaries, admins): its terms may
        still change and nobody can pledge to it, so members see a pool from when it opens."""
        link = self.model.consortium_table
        pool_id = link.c[f"{self.model.__tablename__}_id"]
        return in_users_consortia(
            user, self.model.id, pool_id, link.c.consortium_id, members_see=self.model.status != self.drafted
        )

    def visible(self, user: User) -> Select[P]:
        return select(self.model).where(self._visible_to(user))

    def require_visible(self, user: User, pool_id: int) -> None:
        """404 unless the pool exists in one of the user's consortia; one query, nothing loaded."""
        if db.session.scalar(select(self.model.id).where(self.model.id == pool_id, self._visible_to(user))) is None:
            raise NotFound(f"No such {self.label}.")

    def pool_for(self, user: User, pool_id: int) -> P:
        """The pool if the user may see it; 404 for a pool outside their consortia."""
        pool = db.session.scalar(select(self.model).where(self.model.id == pool_id, self._visible_to(user)))
        if pool is None:
            raise NotFound(f"No such {self.label}.")
        return pool

    def lock(self, pool_id: int) -> P:
        """Takes the pool's row lock until the transaction ends and reloads it (see `take_writer_lock`)."""
        take_writer_lock(self.table, pool_id)
        pool = db.session.scalar(
            select(self.model)
            .where(self.model.id == pool_id)
            .with_for_update(of=self.model)
            .execution_options(populate_existing=True)
        )
        if pool is None:
            raise NotFound(f"No such {self.label}.")
        return pool

    def history(self, pool: P) -> list[StatusChange]:
        return self.lifecycle.history(pool.id)

    def draft(
        self,
        actor: User,
        offer: Offer,
        consortia: Sequence[Consortium],
        note: str | None,
        check_terms: Callable[[], None],
        **terms: Any,
    ) -> P:
        """A new draft pool with the kind's own `terms`: the checks every new pool passes first, then the kind's."""
        national = self.check_new(actor, offer, consortia)
        check_terms()
        pool = self.model(
            offer=offer,
            is_national=national,
            consortia=list(consortia),
            status=self.drafted,
            note=(note or "").strip() or None,
            created_by=actor,
            **terms,
        )
        db.session.add(pool)
        db.session.flush()
        return pool

    def check_new(self, actor: User, offer: Offer, consortia: Sequence[Consortium]) -> bool:
        """The checks every new pool passes; True for a national pool (several consortia)."""
        if not consortia:
            raise ValidationFailed.field("consortium_ids", "Choose at least one consortium.")
        national = len(consortia) > 1
        if national and not actor.is_admin:
            raise Forbidden(f"Only an admin opens a national {self.label}.")
        if not actor.is_admin and consortia[0].id not in actor.secretary_consortium_ids:
            raise Forbidden("You are not the secretary of that consortium.")
        if not offer.active:
            raise ValidationFailed.field("offer_id", "This offer has been withdrawn by its supplier.")
        return national

    def open(
        self,
        actor: User,
        pool: P,
        too_late: str | None,
        at: datetime | None = None,
        opening: Callable[[P], None] | None = None,
    ) -> P:
        """Opens a draft; `too_late` is the caller's reason it can no longer open (a passed deadline), if any.

        `opening` is the kind's own part, done under the lock just before the move (a bulk-buy
        pool takes its offer's prices then, so no price change slips in between).
        """
        require_runner(actor, pool)
        pool = self.lock(pool.id)
        self.lifecycle.check(pool, self.opened)
        if too_late:
            raise Conflict(too_late)
        if not pool.offer.active:
            raise Conflict("The offer has been withdrawn by its supplier.")
        if opening is not None:
            opening(pool)
        self.lifecycle.move(pool, self.opened, actor, at=at)
        return pool

    def cancel(self, actor: User, pool: P, reason: str | None, at: datetime | None = None) -> P:
        """Cancels the pool with the reason members will see; the caller tells them."""
        require_runner(actor, pool)
        reason = cancel_reason(reason)
        pool = self.lock(pool.id)
        self.lifecycle.move(pool, self.cancelled, actor, reason, at)
        audit_cancelled(actor, pool, self.label, reason)
        return pool


def audit_cancelled(actor: User | None, pool: PoolColumns, label: str, reason: str | None) -> None:
    """The audit log's entry for a cancelled pool: by its runner, or by the application (minimum not met)."""
    consortium_ids = sorted(pool.consortium_ids)
    audit.record(
        actor,
        "pool_cancelled",
        f"{label.capitalize()} {pool.id}: {pool.offer.name}",
        consortium_ids[0] if len(consortium_ids) == 1 else None,
        reason,
    )


def take_writer_lock(table: Table, row_id: int) -> None:
    """SQLite's stand-in for a row lock, taken before SELECT ... FOR UPDATE (which SQLite ignores).

    SQLite has no row locks; a no-op UPDATE makes the transaction the one writer SQLite lets
    in, so what it reads next is current. PostgreSQL needs nothing here.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(table).where(table.c.id == row_id).values(id=table.c.id))


def can_run(user: User, pool: PoolColumns) -> bool:
    return can_run_pool(user, pool.consortium_ids, pool.is_national)


def require_runner(user: User, pool: PoolColumns) -> None:
    require_pool_runner(user, pool.consortium_ids, pool.is_national)


def members_for(user: User, pool: PoolColumns) -> list[Member]:
    """The members this user acts for that may take part in the pool (pledge, join)."""
    return members_taking_part(user, pool.consortium_ids)


def cancel_reason(reason: str | None) -> str:
    """The reason members will see, checked before anything is locked."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field("reason", "Say why the pool is cancelled; members will see it.")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.field("reason", "Keep the reason under 500 characters.")
    return reason


def acting_member(actor: User, pool: PoolColumns, member_id: int | None) -> Member:
    """The member the actor acts for in the pool; without `member_id` the actor must act for exactly one."""
    query = select(Member).join(Network).where(Member.active, Network.consortium_id.in_(pool.consortium_ids))
    if member_id is not None:
        query = query.where(Member.id == member_id)
    if not actor.is_admin or member_id is None:
        query = query.where(Member.id.in_(actor.member_ids or {-1}))
    members = db.session.scalars(query.order_by(Member.id)).all()
    if len(members) == 1:
        return members[0]
    if members:
        raise ValidationFailed.field("member_id", "You act for several members of this pool: say which one.")
    if member_id is not None:
        raise ValidationFailed.field("member_id", "You cannot act for that member in this pool.")
    raise ValidationFailed.field("member_id", "You act for no member of this pool's consortia.")
