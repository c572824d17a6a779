"""One outbox event per happening, written with the change; its messages written by the sender, exactly once.

The close, the invoice run and a tier-crossing pledge write one row each however many people
they reach; the sender expands the event in a transaction of its own. These tests hold the
close's cost flat in the number of members, and the expansion to exactly once with two senders
at once and with a sender killed half way (on PostgreSQL, with real connections and a real
process exit).
"""

import contextlib
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import event, func, select

from kernel.extensions import db
from orders import closing
from orders import services as pools
from organisations import outbox
from organisations.models import Member, OutboxEvent, OutboxMessage, Role
from organisations.notifications import member_users
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool


def members_with_users(world, count: int, network=None, start: int = 0):
    """`count` members of the network (ours by default), each with one user and a pledge-sized name."""
    made = []
    for n in range(start, start + count):
        member = factories.member(network or world.network, f"Member {n} CIC")
        user = factories.user(f"m{n}@example.org", (Role.MEMBER, member.id), name=f"User {n}")
        made.append((member, user))
    db.session.commit()
    return made


def counts() -> tuple[int, int]:
    return db.session.scalar(select(func.count(OutboxEvent.id))), db.session.scalar(
        select(func.count(OutboxMessage.id))
    )


def test_a_close_writes_one_event_and_the_sender_writes_each_users_message(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    people = members_with_users(world, 4)
    for _member, user in people:
        pools.pledge(user, pool.id, 5)
    db.session.commit()

    closing.close_pool(world.secretary, pool.id)
    db.session.commit()

    closed = db.session.scalars(select(OutboxEvent).where(OutboxEvent.kind == "pool_closed")).all()
    assert [(e.subject_id, e.state) for e in closed] == [(pool.id, "waiting")]
    assert db.session.scalar(select(func.count()).where(OutboxMessage.kind == "pool_closed")) == 0

    report = outbox.expand_pending()
    assert report.failed == 0 and report.events == counts()[0], "the open, the tiers reached and the close"
    messages = factories.outbox_messages("pool_closed")
    assert sorted(m.to_email for m in messages) == [f"m{n}@example.org" for n in range(4)]
    db.session.refresh(closed[0])
    assert closed[0].state == "written" and closed[0].messages == 4


def close_statements(world, offer, size: int, start: int) -> int:
    pool = make_pool(world.secretary, make_offer(world.supplier, name=f"Paper {size}"), [world.consortium])
    for _member, user in members_with_users(world, size, start=start):
        pools.pledge(user, pool.id, 5)
    db.session.commit()
    statements: list[str] = []

    def listener(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        closing.close_pool(world.secretary, pool.id)
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def test_closing_asks_as_many_queries_for_12_members_with_users_as_for_3(world, offer):
    """Each member used to cost 3 queries and 2 renders inside the close; now none does."""
    assert close_statements(world, offer, 3, 0) == close_statements(world, offer, 12, 100)


def opened_pools(world, how_many: int) -> list:
    """Pools opened in our consortium and the other one, so each event reaches users of two consortia."""
    members_with_users(world, 3)
    members_with_users(world, 3, network=world.other_network, start=50)
    made = []
    for n in range(how_many):
        pool = make_pool(
            world.admin, make_offer(world.supplier, name=f"Offer {n}"), [world.consortium, world.other_consortium]
        )
        made.append(pool)
    db.session.commit()
    return made


def expected_opened_messages() -> int:
    """Every active user acting for a member of either consortium hears of each pool."""
    users_of = member_users(db.session.scalars(select(Member.id).where(Member.active)))
    return len({user.id for users in users_of.values() for user in users})


def test_two_senders_at_once_expand_each_event_once(app, world, postgresql_only):
    made = opened_pools(world, 8)
    per_pool = expected_opened_messages()
    start = Barrier(2)

    def sender(_):
        with app.app_context():
            start.wait()
            try:
                report = outbox.expand_pending()
                return report.events, report.messages
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as executor:
        reports = list(executor.map(sender, [1, 2]))
    assert sum(events for events, _ in reports) == len(made), reports
    assert sum(messages for _, messages in reports) == per_pool * len(made)
    rows = db.session.execute(select(OutboxMessage.to_email, OutboxMessage.dedupe_key)).all()
    assert len(rows) == per_pool * len(made) == len({key for _, key in rows})
    assert db.session.scalar(select(func.count()).where(OutboxEvent.expanded_at.is_(None))) == 0


CRASHING_SENDER = textwrap.dedent(
    """
    import os, sys
    from app.factory import create_app
    from organisations import outbox
    from tests.conftest import TEST_CONFIG

    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    real = outbox.enqueue_many

    def enqueue_then_die(drafts):
        real(drafts)  # every user's message is written in the transaction: then the host dies, before the commit
        os._exit(3)

    outbox.enqueue_many = enqueue_then_die
    with app.app_context():
        outbox.expand_pending()
    """
)


def test_a_sender_killed_half_way_leaves_no_message_and_the_next_writes_each_once(app, world, postgresql_only):
    [pool] = opened_pools(world, 1)
    per_pool = expected_opened_messages()
    db.session.commit()
    died = subprocess.run(
        [sys.executable, "-c", CRASHING_SENDER, app.config["SQLALCHEMY_DATABASE_URI"]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert died.returncode == 3, died.stderr
    db.session.expire_all()
    [opened] = db.session.scalars(select(OutboxEvent).where(OutboxEvent.subject_id == pool.id)).all()
    assert (opened.state, opened.attempts) == ("waiting", 0)
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    assert outbox.expand_pending().messages == per_pool
    assert outbox.expand_pending().messages == 0
    assert len(factories.outbox_messages("pool_opened")) == per_pool


@contextlib.contextmanager
def failing_for(app, pool_id: int):
    """The pool-opened messages of this one pool cannot be written (a template gone missing, say)."""
    working = app.extensions["outbox_expanders"]["pool_opened"]

    def fails_for_the_one(event_row):
        if event_row.subject_id == pool_id:
            raise RuntimeError("template missing")
        return working(event_row)

    app.extensions["outbox_expanders"]["pool_opened"] = fails_for_the_one
    try:
        yield
    finally:
        app.extensions["outbox_expanders"]["pool_opened"] = working


def test_an_event_that_cannot_be_written_is_retried_then_given_up_and_holds_up_nothing(app, world, offer, caplog):
    first, second = opened_pools(world, 2)
    db.session.commit()
    with failing_for(app, first.id):
        for attempt in range(1, outbox.MAX_EVENT_ATTEMPTS + 1):
            report = outbox.expand_pending()
            assert report.failed == 1
            failing = db.session.scalar(select(OutboxEvent).where(OutboxEvent.subject_id == first.id))
            db.session.refresh(failing)
            assert failing.attempts == attempt and failing.last_error == "RuntimeError: template missing"
        assert failing.state == "failed"
        assert outbox.expand_pending().failed == 0, "a given-up event is not tried again"
    told = {m.dedupe_key.split(":")[1] for m in factories.outbox_messages("pool_opened")}
    assert told == {str(second.id)}
    assert "could not be written as messages" in caplog.text


def test_an_event_of_a_kind_without_messages_is_refused_when_written(world):
    with pytest.raises(ValueError, match="No expander"):
        outbox.record("pool_exploded", 1, "pool_exploded:1")


def test_admins_see_the_events_waiting_and_those_that_failed(client, app, world):
    first, _second = opened_pools(world, 2)
    sign_in(client, world.admin)
    assert "2 events waiting for the sender" in client.get("/admin/outbox").get_data(as_text=True)
    with failing_for(app, first.id):
        outbox.expand_pending()
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "1 event waiting for the sender" in page
    assert "Events the sender could not write as messages" in page and "RuntimeError: template missing" in page
