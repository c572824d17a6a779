"""The outbox: messages rendered from templates in the caller's transaction, once per event, read by admins."""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import func, select

from kernel.clock import utcnow
from kernel.extensions import db
from organisations import outbox
from organisations.models import OutboxMessage
from tests.factories import sign_in

NOTE = {
    "emails/note.txt": "Hello {{ name }}, from {{ consortium.name if consortium else 'nobody' }}.",
    "emails/note.html": "<p>Hello {{ name }}, from {{ consortium.name if consortium else 'nobody' }}.</p>",
}


@pytest.fixture(autouse=True)
def note_templates(app):
    app.jinja_env.loader = ChoiceLoader([DictLoader(NOTE), app.jinja_env.loader])


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def note(world, name="Morag & <Co>", **kwargs) -> OutboxMessage:
    return outbox.enqueue(
        "note", "accounts@example.org", "A note", "note", {"name": name}, consortium=world.consortium, **kwargs
    )


def test_enqueue_renders_text_and_html_with_the_consortiums_name(world):
    message = note(world)

    assert message.body_text == "Hello Morag & <Co>, from Tayside."
    assert message.body_html == "<p>Hello Morag &amp; &lt;Co&gt;, from Tayside.</p>"
    assert (message.kind, message.to_email, message.subject, message.consortium_id) == (
        "note",
        "accounts@example.org",
        "A note",
        world.consortium.id,
    )
    assert (message.sent_at, message.attempts, message.next_attempt_at) == (None, 0, None)
    assert message.created_at is not None


def test_the_message_belongs_to_the_callers_transaction(world):
    note(world)
    db.session.rollback()
    assert count() == 0


def test_the_message_is_logged_as_its_delivery_until_email_is_set_up(world, caplog):
    with caplog.at_level(logging.INFO, logger="organisations.outbox"):
        note(world)
    assert "to accounts@example.org: A note" in caplog.text
    assert "Hello Morag & <Co>, from Tayside." in caplog.text


def test_the_same_event_is_enqueued_once(world):
    note(world, dedupe_key="note:1")
    with pytest.raises(outbox.AlreadyQueued):
        note(world, dedupe_key="note:1")
    note(world, dedupe_key="note:2")
    note(world)
    note(world)
    db.session.commit()
    assert count() == 4


def test_two_writers_of_the_same_event_leave_one_message(app, world, postgresql_only):
    start = Barrier(2)

    def write(_):
        with app.app_context():
            start.wait()
            try:
                outbox.enqueue("note", "a@example.org", "Once", "note", {"name": "A"}, dedupe_key="note:race")
                db.session.commit()
                return "queued"
            except outbox.AlreadyQueued:
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(write, [1, 2])) == ["queued", "refused"]
    assert count() == 1


@pytest.fixture
def messages(world) -> list[OutboxMessage]:
    """An older message and a newer one with HTML to show."""
    older = note(world, name="Older")
    newer = note(world, name="Newer")
    older.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    return [older, newer]


def test_admins_read_the_outbox_newest_first(client, world, messages):
    sign_in(client, world.admin)
    page = client.get("/admin/outbox")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "2 messages" in text and "accounts@example.org" in text and "not sent" in text
    newer, older = text.index(f"/admin/outbox/{messages[1].id}"), text.index(f"/admin/outbox/{messages[0].id}")
    assert newer < older
    assert 'href="/admin/outbox"' in client.get("/admin/").get_data(as_text=True)


def test_the_outbox_is_paginated(client, world):
    db.session.add_all(
        OutboxMessage(
            kind="note",
            to_email=f"m{n}@example.org",
            subject=f"Message {n}",
            body_text="",
            body_html="",
            created_at=utcnow() + timedelta(seconds=n),
        )
        for n in range(51)
    )
    db.session.commit()
    sign_in(client, world.admin)
    first = client.get("/admin/outbox").get_data(as_text=True)
    assert "Page 1 of 2" in first and "m50@example.org" in first and "m0@example.org" not in first
    assert "m0@example.org" in client.get("/admin/outbox?page=2").get_data(as_text=True)


def test_a_message_page_shows_both_bodies_escaped(client, world, messages):
    sign_in(client, world.admin)
    page = client.get(f"/admin/outbox/{messages[1].id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<pre>Hello Newer, from Tayside.</pre>" in text
    assert f'src="/admin/outbox/{messages[1].id}/html"' in text and "&lt;p&gt;Hello Newer" not in text
    assert client.get("/admin/outbox/999999").status_code == 404


@pytest.mark.parametrize("role", ["secretary", "member", "supplier", "no_role"])
def test_only_admins_read_the_outbox(client, world, messages, role):
    sign_in(client, world.user_for(role))
    assert client.get("/admin/outbox").status_code == 403
    assert client.get(f"/admin/outbox/{messages[0].id}").status_code == 403


def test_a_stranger_is_asked_to_sign_in(client, messages):
    response = client.get("/admin/outbox")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
