"""States, the moves allowed between them, and the one function that makes a move and records it.

Anything with a lifecycle declares it once, as a `Lifecycle`: the moves allowed (from which
states to which) and who may make each. Its state then changes only through
`Lifecycle.move`, which refuses a move the table does not allow with a 409 naming the state
and the move, and writes a `StatusChange` row: which subject, from what, to what, who, when
and why. The idea is indico's TransactionStatusTransition: a table of moves, one mover.
"""

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import Model, UTCDateTime, db, intpk

S = TypeVar("S", bound=enum.Enum)
REASON_MAX = 500


class Who(enum.Enum):
    """Who may make a move. The lifecycle's `runs` predicate decides who a runner is."""

    RUNNER = "runner"  # a person who runs the subject (for pools: its secretary, or an admin)
    SYSTEM = "system"  # the application: a scheduled job, or what follows from another change


class Actor(Protocol):
    @property
    def id(self) -> int: ...


class Subject(Protocol):
    """Anything with an id and a status held as an enum."""

    @property
    def id(self) -> int: ...

    status: Any


class StatusChange(Model):
    """One move of one subject: from which state to which, who made it (None: the application), when, why."""

    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_subject", "subject_kind", "subject_id"),)

    id: Mapped[intpk]
    subject_kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int]
    from_state: Mapped[str] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@dataclass(frozen=True)
class Move(Generic[S]):
    """Moves from any of `sources` to `target`, made by `by`; `done` names the move in messages ("cancelled"),
    `hint` says what to do instead when the move is refused."""

    sources: tuple[S, ...]
    target: S
    done: str
    by: frozenset[Who]
    needs_reason: bool = False
    hint: str = ""


def move(
    sources: S | Iterable[S], target: S, done: str, *by: Who, needs_reason: bool = False, hint: str = ""
) -> Move[S]:
    """A row of a lifecycle's table: `move(OPEN, CLOSED, "closed", Who.RUNNER, Who.SYSTEM)`."""
    listed = (sources,) if isinstance(sources, enum.Enum) else tuple(sources)
    return Move(listed, target, done, frozenset(by), needs_reason, hint)


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


class Lifecycle(Generic[S]):
    """The states of one kind of subject and the moves allowed between them.

    `runs(actor, subject)` says whether a person may make the moves marked Who.RUNNER;
    `stamps` names the column set to the move's time on entering a state, `reasons` the
    column that keeps the move's reason.
    """

    def __init__(
        self,
        kind: str,
        label: str,
        moves: Iterable[Move[S]],
        runs: Callable[[Any, Any], bool],
        stamps: Mapping[S, str] | None = None,
        reasons: Mapping[S, str] | None = None,
    ) -> None:
        self.kind = kind
        self.label = label
        self.runs = runs
        self.stamps: Mapping[S, str] = stamps or {}
        self.reasons: Mapping[S, str] = reasons or {}
        self.moves: list[Move[S]] = list(moves)
        self._table: dict[tuple[S, S], Move[S]] = {}
        for row in self.moves:
            for source in row.sources:
                if (source, row.target) in self._table or source is row.target:
                    raise ValueError(f"{kind}: {source.value} -> {row.target.value} is declared twice or is no move")
                self._table[(source, row.target)] = row

    def allows(self, current: S, target: S) -> bool:
        return (current, target) in self._table

    def pairs(self) -> list[tuple[S, S]]:
        return list(self._table)

    def check(self, subject: Subject, target: S, by: Who = Who.RUNNER) -> Move[S]:
        """The move from the subject's state to `target` that `by` may make, or a 409 naming the state and the move."""
        current: S = subject.status
        found = self._table.get((current, target))
        if found is not None and by in found.by:
            return found
        to_target = [m for m in self.moves if m.target is target and by in m.by]
        if not to_target:
            raise Conflict(f"No {self.label} can be made {target.value} that way; this one is {current.value}.")
        sources = [s.value for m in to_target for s in m.sources]
        hint = next((f" {m.hint}" for m in to_target if m.hint), "")
        allowed = " or ".join([", ".join(sources[:-1]), sources[-1]] if len(sources) > 1 else sources)
        raise Conflict(
            f"Only {_a(allowed)} {self.label} can be {to_target[0].done}; this one is {current.value}.{hint}"
        )

    def move(
        self,
        subject: Subject,
        target: S,
        actor: Actor | None,
        reason: str | None = None,
        at: datetime | None = None,
        by: Who | None = None,
    ) -> StatusChange:
        """Makes the move and records it; the caller holds the subject's lock and only flushes.

        `by` is the capacity the move is made in: a runner's move (the default with an `actor`)
        needs an actor the lifecycle's `runs` accepts; the application's (the default without
        one) may record the person whose change set it off. A move the table does not give
        that capacity is a 409.
        """
        by = by or (Who.RUNNER if actor is not None else Who.SYSTEM)
        found = self.check(subject, target, by)
        if by is Who.RUNNER and (actor is None or not self.runs(actor, subject)):
            raise Forbidden(f"Only a person who runs the {self.label} can have it {found.done}.")
        reason = (reason or "").strip() or None
        if found.needs_reason and reason is None:
            raise ValidationFailed.field("reason", f"Say why the {self.label} is {found.done}.")
        if reason is not None and len(reason) > REASON_MAX:
            raise ValidationFailed.field("reason", f"Keep the reason under {REASON_MAX} characters.")
        at = at or utcnow()
        change = StatusChange(
            subject_kind=self.kind,
            subject_id=subject.id,
            from_state=subject.status.value,
            to_state=target.value,
            actor_id=actor.id if actor is not None else None,
            reason=reason,
            at=at,
        )
        subject.status = target
        if target in self.stamps:
            setattr(subject, self.stamps[target], at)
        if target in self.reasons:
            setattr(subject, self.reasons[target], reason)
        db.session.add(change)
        db.session.flush()
        return change

    def history(self, subject_id: int) -> list[StatusChange]:
        """The subject's moves, oldest first."""
        return list(
            db.session.scalars(
                select(StatusChange)
                .where(StatusChange.subject_kind == self.kind, StatusChange.subject_id == subject_id)
                .order_by(StatusChange.at, StatusChange.id)
            )
        )
