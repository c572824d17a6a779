"""Inviting people: who may invite whom, the single-use link that expires, resending and revoking."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from joining import services
from joining.models import Invitation
from kernel.clock import utcnow
from kernel.errors import Conflict, Forbidden
from kernel.extensions import db
from organisations.audit import AuditEntry
from organisations.models import OutboxMessage, Role, User
from tests import factories
from tests.factories import PASSWORD, api_token, field_error, invitation_link, sign_in


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_a_secretary_invites_a_person_who_sets_a_password_and_lands_on_the_dashboard(app, client, world):
    sign_in(client, world.secretary)
    page = client.get("/invitations").get_data(as_text=True)
    assert f"User of {world.member.name}" in page and world.other_member.name not in page
    response = client.post(
        "/invitations",
        data={"name": "Nina New", "email": "Nina@Example.org", "organisation": f"member:{world.member.id}"},
    )
    assert response.status_code == 302
    page = client.get("/invitations").get_data(as_text=True)
    assert "nina@example.org" in page and f"user of {world.member.name}" in page
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "invitation"))
    assert message.to_email == "nina@example.org" and world.member.name in message.subject
    link = invitation_link("nina@example.org")
    assert services._hash(link.rsplit("/", 1)[1]) == db.session.scalar(select(Invitation.token_hash))

    stranger = app.test_client()
    assert "Choose a password" in stranger.get(link).get_data(as_text=True)
    short = stranger.post(link, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "at least 12" in field_error(short, "password")
    breached = stranger.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert breached.status_code == 422 and "data breaches" in field_error(breached, "password")
    accepted = stranger.post(link, data={"password": "a-long-new-password", "confirm": "a-long-new-password"})
    assert accepted.status_code == 302 and accepted.location == "/"
    dashboard = stranger.get("/").get_data(as_text=True)
    assert "Nina New" in dashboard and world.member.name in dashboard
    nina = db.session.scalar(select(User).where(User.email == "nina@example.org"))
    assert nina.member_ids == {world.member.id} and nina.check_password("a-long-new-password")
    assert stranger.get(link).status_code == 404, "the link works once"
    assert _actions() == ["invitation_sent", "invitation_accepted"]


def test_someone_with_an_account_accepts_with_their_own_password(app, client, world):
    services.invite(world.admin, world.supplier_user.email, "Sunil", Role.MEMBER, world.member.id)
    db.session.commit()
    link = invitation_link(world.supplier_user.email)
    page = client.get(link).get_data(as_text=True)
    assert "You have an account" in page
    wrong = client.post(link, data={"password": "not-the-password"})
    assert wrong.status_code == 422 and field_error(wrong, "password") == "That is not the password of this account."
    assert client.post(link, data={"password": PASSWORD}).status_code == 302
    db.session.refresh(world.supplier_user)
    assert world.supplier_user.member_ids == {world.member.id} and world.supplier_user.supplier_ids == {
        world.supplier.id
    }


def test_who_may_invite_whom(world):
    assert services.may_invite(world.member_user, Role.MEMBER, world.member.id)
    assert services.may_invite(world.secretary, Role.MEMBER, world.member.id)
    assert services.may_invite(world.supplier_user, Role.SUPPLIER, world.supplier.id)
    assert services.may_invite(world.admin, Role.SECRETARY, world.other_consortium.id)
    refused = [
        (world.member_user, Role.MEMBER, world.other_member.id),
        (world.member_user, Role.SECRETARY, world.consortium.id),
        (world.secretary, Role.MEMBER, world.other_member.id),
        (world.secretary, Role.SECRETARY, world.consortium.id),
        (world.secretary, Role.ADMIN, None),
        (world.supplier_user, Role.SUPPLIER, world.other_supplier.id),
        (world.supplier_user, Role.MEMBER, world.member.id),
        (world.stranger, Role.MEMBER, world.member.id),
    ]
    for actor, role, scope_id in refused:
        assert not services.may_invite(actor, role, scope_id), (actor.email, role, scope_id)
        with pytest.raises(Forbidden):
            services.invite(actor, "x@example.org", "X", role, scope_id)
    assert db.session.scalar(select(db.func.count()).select_from(Invitation)) == 0


def test_a_member_cannot_invite_to_another_member_through_the_api(client, world):
    response = client.post(
        "/api/v1/invitations",
        headers=api_token(world.member_user),
        json={"name": "X", "email": "x@example.org", "role": "member", "organisation_id": world.other_member.id},
    )
    assert response.status_code == 403
    made = client.post(
        "/api/v1/invitations",
        headers=api_token(world.member_user),
        json={"name": "Colleague", "email": "c@example.org", "role": "member", "organisation_id": world.member.id},
    )
    assert made.status_code == 201 and made.json["state"] == "pending"
    listed = client.get("/api/v1/invitations", headers=api_token(world.secretary)).json
    assert [i["email"] for i in listed["items"]] == ["c@example.org"] and listed["total"] == 1
    assert client.get("/api/v1/invitations", headers=api_token(world.supplier_user)).json["total"] == 0


def test_an_invitation_expires(client, world, frozen_clock):
    frozen_clock.set(utcnow())
    services.invite(world.admin, "late@example.org", "Late", Role.MEMBER, world.member.id)
    db.session.commit()
    link = invitation_link("late@example.org")
    frozen_clock.set(utcnow() + timedelta(days=14, seconds=1))
    assert client.get(link).status_code == 404
    assert (
        client.post(link, data={"password": "a-long-new-password", "confirm": "a-long-new-password"}).status_code == 404
    )
    assert services.existing_user(db.session.scalar(select(Invitation))) is None


def test_sending_again_kills_the_old_link_and_revoking_kills_the_new(client, world):
    invitation = services.invite(world.secretary, "twice@example.org", "Twice", Role.MEMBER, world.member.id)
    db.session.commit()
    first = invitation_link("twice@example.org")
    sign_in(client, world.secretary)
    assert client.post(f"/invitations/{invitation.id}/resend").status_code == 302
    second = invitation_link("twice@example.org")
    assert first != second
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert client.post(f"/invitations/{invitation.id}/revoke", data={"confirmed": "yes"}).status_code == 302
    assert client.get(second).status_code == 404
    assert "No invitations are waiting." in client.get("/invitations").get_data(as_text=True)
    assert _actions() == ["invitation_sent", "invitation_resent", "invitation_revoked"]
    with pytest.raises(Conflict):
        services.resend(world.secretary, invitation)


def test_the_same_person_is_not_invited_twice_nor_someone_who_has_the_role(world):
    services.invite(world.secretary, "once@example.org", "Once", Role.MEMBER, world.member.id)
    with pytest.raises(Conflict, match="pending invitation"):
        services.invite(world.secretary, "ONCE@example.org", "Once", Role.MEMBER, world.member.id)
    with pytest.raises(Conflict, match="already has that role"):
        services.invite(world.secretary, world.member_user.email, "Morag", Role.MEMBER, world.member.id)


def test_a_secretary_sees_the_invitations_of_their_consortiums_members_only(world):
    services.invite(world.admin, "ours@example.org", "Ours", Role.MEMBER, world.member.id)
    services.invite(world.admin, "theirs@example.org", "Theirs", Role.MEMBER, world.other_member.id)
    services.invite(world.admin, "supplier@example.net", "Supplier", Role.SUPPLIER, world.supplier.id)
    seen = {i.email for i in db.session.scalars(services.pending_invitations(world.secretary))}
    assert seen == {"ours@example.org"}
    assert {i.email for i in db.session.scalars(services.pending_invitations(world.supplier_user))} == {
        "supplier@example.net"
    }
    other = factories.user(None, (Role.MEMBER, world.other_member.id))
    assert {i.email for i in db.session.scalars(services.pending_invitations(other))} == {"theirs@example.org"}
