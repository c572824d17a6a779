"""Notifications: one message per user who wants the kind, each with a signed unsubscribe link that works signed out."""

import re

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from kernel.extensions import db
from organisations import notifications
from organisations.models import NotificationOptOut, OutboxMessage, Role
from tests import factories
from tests.factories import sign_in


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def tell(world, users, key="event:1") -> int:
    return notifications.notify("pool_opened", users, "Tayside: a pool", "greeting", {}, world.consortium, key)


@pytest.fixture(autouse=True)
def simple_template(app):
    app.jinja_env.loader = ChoiceLoader(
        [
            DictLoader(
                {
                    "emails/greeting.txt": '{% extends "emails/_base.txt" %}{% block body %}Hi {{ recipient.name }}{% endblock %}',
                    "emails/greeting.html": '{% extends "emails/_base.html" %}{% block body %}<p>Hi {{ recipient.name }}</p>{% endblock %}',
                }
            ),
            app.jinja_env.loader,
        ]
    )


def opt_outs(user) -> set[str]:
    return set(db.session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == user.id)))


def unsubscribe_path(message: OutboxMessage) -> str:
    return message.unsubscribe_url.removeprefix("http://127.0.0.1:5000")


def test_each_user_gets_their_own_message_with_their_own_unsubscribe_link(world):
    colleague = factories.user("colleague@example.org", (Role.MEMBER, world.member.id), name="Col League")
    assert tell(world, [world.member_user, colleague]) == 2
    db.session.commit()

    first, second = outbox()
    assert (first.to_email, second.to_email) == ("member@example.org", "colleague@example.org")
    assert first.kind == "pool_opened" and first.consortium_id == world.consortium.id
    assert first.unsubscribe_url != second.unsubscribe_url
    assert first.unsubscribe_url.startswith("http://127.0.0.1:5000/unsubscribe/")
    assert "Hi Morag Member" in first.body_text and "Tayside" in first.body_text
    assert f"Stop emails of this kind: {first.unsubscribe_url}" in first.body_text
    assert "Choose all your emails: http://127.0.0.1:5000/account/notifications" in first.body_text
    assert f'<a href="{first.unsubscribe_url}">Stop emails of this kind</a>' in first.body_html
    assert first.dedupe_key == f"event:1:u{world.member_user.id}"


def test_telling_of_an_event_again_writes_nothing_new(world):
    tell(world, [world.member_user])
    assert tell(world, [world.member_user]) == 0
    colleague = factories.user("colleague@example.org", (Role.MEMBER, world.member.id))
    assert tell(world, [world.member_user, colleague]) == 1
    db.session.commit()
    assert len(outbox()) == 2


def test_a_user_who_switched_the_kind_off_is_skipped(world):
    notifications.switch_off(world.member_user, "pool_opened")
    notifications.switch_off(world.member_user, "pool_opened")
    assert tell(world, [world.member_user, world.supplier_user]) == 1
    db.session.commit()
    assert [m.to_email for m in outbox()] == ["supplier@example.org"]
    assert (
        notifications.notify("invoice_issued", [world.member_user], "S", "greeting", {}, world.consortium, "other") == 1
    )


def test_an_unknown_kind_is_a_programming_error(world):
    with pytest.raises(ValueError):
        notifications.notify("newsletter", [world.member_user], "S", "greeting", {}, None, "k")


def test_the_unsubscribe_link_works_without_signing_in(client, world):
    tell(world, [world.member_user])
    db.session.commit()
    path = unsubscribe_path(outbox()[0])

    confirm = client.get(path)
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert "member@example.org" in text and "A pool opens in our consortium" in text
    assert f'<form method="post" action="{path}">' in text
    assert opt_outs(world.member_user) == set()

    done = client.post(path)
    assert done.status_code == 200 and "will no longer receive" in done.get_data(as_text=True)
    assert opt_outs(world.member_user) == {"pool_opened"}
    assert client.post(path).status_code == 200
    assert opt_outs(world.member_user) == {"pool_opened"}
    assert tell(world, [world.member_user], key="event:2") == 0


def test_one_click_unsubscribe_from_the_mail_client(client, world):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the link, with no cookie or CSRF token."""
    token = notifications.unsubscribe_token(world.member_user, "invoice_overdue")
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert opt_outs(world.member_user) == {"invoice_overdue"}


@pytest.mark.app_config({"WTF_CSRF_ENABLED": True})
def test_the_unsubscribe_post_needs_no_csrf_token_but_the_profile_form_does(client, world):
    token = notifications.unsubscribe_token(world.member_user, "pool_closed")
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    sign_in_page = client.get("/sign-in").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in_page).group(1)
    client.post("/sign-in", data={"email": world.member_user.email, "password": factories.PASSWORD, "csrf_token": csrf})
    assert client.post("/account/notifications", data={}).status_code == 400
    assert opt_outs(world.member_user) == {"pool_closed"}


def tampered(token: str) -> str:
    payload, _, signature = token.rpartition(".")
    return f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def test_a_tampered_or_foreign_link_is_refused_and_changes_nothing(client, world, app):
    token = notifications.unsubscribe_token(world.member_user, "pool_opened")
    with app.test_request_context():
        app.config["SECRET_KEY"], real = "someone-else", app.config["SECRET_KEY"]
        foreign = notifications.unsubscribe_token(world.member_user, "pool_opened")
        app.config["SECRET_KEY"] = real
    for bad in (tampered(token), foreign, "not-a-token"):
        for response in (client.get(f"/unsubscribe/{bad}"), client.post(f"/unsubscribe/{bad}")):
            assert response.status_code == 400
            assert "not valid" in response.get_data(as_text=True)
    assert opt_outs(world.member_user) == set()


def test_an_old_link_has_expired(client, world, monkeypatch):
    token = notifications.unsubscribe_token(world.member_user, "pool_opened")
    monkeypatch.setattr(notifications, "UNSUBSCRIBE_MAX_AGE", -1)
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert opt_outs(world.member_user) == set()


def test_a_member_user_switches_kinds_off_and_on_on_their_profile(client, world):
    sign_in(client, world.member_user)
    page = client.get(f"/members/{world.member.id}/profile").get_data(as_text=True)
    assert "Your emails" in page
    member_kinds = {n for n, k in notifications.KINDS.items() if k.audience == notifications.MEMBERS}
    ticked = set(
        re.findall(
            r'<input checked class="form-check-input" id="[^"]+" name="email-receive" type="checkbox" value="([a-z_]+)">',
            page,
        )
    )
    assert ticked == member_kinds
    assert "A consortium sends us a purchase order" not in page

    keep = ["pool_opened", "invoice_issued", "invoice_overdue"]
    response = client.post(
        "/account/notifications", data={"email-receive": keep, "email-next": f"/members/{world.member.id}/profile"}
    )
    assert response.status_code == 302 and response.location == f"/members/{world.member.id}/profile"
    assert opt_outs(world.member_user) == member_kinds - set(keep)

    again = client.get("/account/notifications").get_data(as_text=True)
    assert re.search(
        r'<input checked class="form-check-input" id="[^"]+" name="email-receive" type="checkbox" value="pool_opened">',
        again,
    )
    assert re.search(
        r'<input class="form-check-input" id="[^"]+" name="email-receive" type="checkbox" value="pool_closed">', again
    )

    client.post("/account/notifications", data={"email-receive": sorted(member_kinds)})
    assert opt_outs(world.member_user) == set()


def test_a_choice_outside_the_list_is_refused(client, world):
    sign_in(client, world.member_user)
    response = client.post("/account/notifications", data={"email-receive": ["purchase_order_sent"]})
    assert response.status_code == 422
    assert opt_outs(world.member_user) == set()


def test_a_next_address_off_the_site_is_ignored(client, world):
    sign_in(client, world.member_user)
    response = client.post("/account/notifications", data={"email-receive": [], "email-next": "https://evil.example"})
    assert response.status_code == 302 and response.location == "/account/notifications"


def test_a_supplier_chooses_purchase_orders_and_a_user_without_roles_has_nothing_to_choose(client, world):
    sign_in(client, world.supplier_user)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "A consortium sends us a purchase order" in page and "A pool opens" not in page
    client.post("/sign-out")
    sign_in(client, world.stranger)
    assert "Your roles receive no emails" in client.get("/account/notifications").get_data(as_text=True)


def test_recipients_are_the_active_users_of_each_member(world):
    colleague = factories.user("colleague@example.org", (Role.MEMBER, world.member.id))
    gone = factories.user("gone@example.org", (Role.MEMBER, world.member.id))
    gone.active = False
    db.session.flush()
    users = notifications.member_users([world.member.id, world.other_member.id])
    assert {m: [u.email for u in us] for m, us in users.items()} == {
        world.member.id: [world.member_user.email, colleague.email]
    }
    assert [u.email for u in notifications.supplier_users(world.supplier.id)] == ["supplier@example.org"]


def test_links_start_with_the_public_url_also_under_a_path(app, world):
    app.config["PUBLIC_URL"] = "https://marketplace.example.org/tayside"
    assert notifications.external_url("notifications.preferences") == (
        "https://marketplace.example.org/tayside/account/notifications"
    )
    tell(world, [world.member_user])
    assert outbox()[0].unsubscribe_url.startswith("https://marketplace.example.org/tayside/unsubscribe/")


def test_long_lists_of_recipients_are_looked_up_in_chunks():
    assert list(notifications._chunks(list(range(12)), 5)) == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]
    assert list(notifications._chunks([], 5)) == []
