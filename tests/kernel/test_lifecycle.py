"""The lifecycle tables of both kinds of pool: every allowed move works and is recorded, every other is a 409."""

from datetime import UTC, datetime
from itertools import product
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import Lifecycle, StatusChange, Who
from orders.models import POOL_LIFECYCLE, PoolStatus
from shared_services.models import SERVICE_POOL_LIFECYCLE

LIFECYCLES = {"pool": POOL_LIFECYCLE, "service_pool": SERVICE_POOL_LIFECYCLE}
AT = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)


def subject(state, runner_ids: set[int]) -> SimpleNamespace:
    """Stands for a pool: an id, a status, the columns a move stamps, and who runs it."""
    return SimpleNamespace(
        id=41, status=state, runner_ids=runner_ids, opened_at=None, closed_at=None, started_at=None,
        ended_at=None, cancelled_at=None, cancel_reason=None,
    )  # fmt: skip


def with_runners(lifecycle: Lifecycle) -> Lifecycle:
    """The same table, run by the users named on the subject, so the table is tested without a pool's consortia."""
    return Lifecycle(
        lifecycle.kind,
        lifecycle.label,
        lifecycle.moves,
        runs=lambda user, s: user.id in s.runner_ids,
        stamps=lifecycle.stamps,
        reasons=lifecycle.reasons,
    )


def allowed_moves() -> list:
    return list(_allowed())


def _allowed():
    for name, lifecycle in LIFECYCLES.items():
        for row in lifecycle.moves:
            for source in row.sources:
                for by in sorted(row.by, key=lambda w: w.value):
                    yield pytest.param(
                        name, source, row.target, by, id=f"{name}:{source.value}->{row.target.value}:{by.value}"
                    )


def refused_moves() -> list:
    return list(_refused())


def _refused():
    for name, lifecycle in LIFECYCLES.items():
        states = list(type(lifecycle.moves[0].target))
        for source, target, by in product(states, states, Who):
            found = lifecycle._table.get((source, target))
            if source is not target and (found is None or by not in found.by):
                yield pytest.param(name, source, target, by, id=f"{name}:{source.value}->{target.value}:{by.value}")


@pytest.mark.parametrize("name, source, target, by", allowed_moves())
def test_every_allowed_move_is_made_and_recorded_with_who_when_and_why(world, name, source, target, by):
    lifecycle = with_runners(LIFECYCLES[name])
    actor = world.secretary if by is Who.RUNNER else None
    thing = subject(source, {world.secretary.id})
    lifecycle.move(thing, target, actor, "  Because the table says so  ", AT, by)
    assert thing.status is target
    change = db.session.scalars(select(StatusChange)).one()
    assert (change.subject_kind, change.subject_id, change.from_state, change.to_state) == (
        name,
        41,
        source.value,
        target.value,
    )
    assert change.actor_id == (world.secretary.id if actor else None)
    assert change.reason == "Because the table says so" and change.at == AT
    if target in lifecycle.stamps:
        assert getattr(thing, lifecycle.stamps[target]) == AT
    if target in lifecycle.reasons:
        assert getattr(thing, lifecycle.reasons[target]) == "Because the table says so"


@pytest.mark.parametrize("name, source, target, by", refused_moves())
def test_every_other_move_is_a_conflict_naming_the_state_and_nothing_is_recorded(world, name, source, target, by):
    lifecycle = with_runners(LIFECYCLES[name])
    thing = subject(source, {world.secretary.id})
    with pytest.raises(Conflict, match=f"this one is {source.value}"):
        lifecycle.move(thing, target, world.secretary if by is Who.RUNNER else None, "Why not", AT, by)
    assert thing.status is source
    assert db.session.scalars(select(StatusChange)).all() == []


def test_a_runners_move_needs_a_person_who_runs_it_and_a_cancel_needs_a_reason(world):
    lifecycle = with_runners(POOL_LIFECYCLE)
    with pytest.raises(Forbidden):
        lifecycle.move(subject(PoolStatus.DRAFT, set()), PoolStatus.OPEN, world.member_user)
    with pytest.raises(Forbidden):
        lifecycle.move(subject(PoolStatus.DRAFT, set()), PoolStatus.OPEN, None, by=Who.RUNNER)
    with pytest.raises(ValidationFailed, match="Say why"):
        lifecycle.move(subject(PoolStatus.DRAFT, {world.secretary.id}), PoolStatus.CANCELLED, world.secretary, "  ")
    assert db.session.scalars(select(StatusChange)).all() == []


def test_a_refusal_says_which_states_allow_the_move():
    with pytest.raises(Conflict, match=r"^Only a draft or open pool can be cancelled; this one is closed\.$"):
        POOL_LIFECYCLE.check(subject(PoolStatus.CLOSED, set()), PoolStatus.CANCELLED)
