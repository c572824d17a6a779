"""Nothing destructive is one click: a page of its own says what will happen, and only its form acts."""

import pytest
from sqlalchemy import func, select

from billing.models import CreditNote
from joining import services as joining
from joining.models import Invitation
from kernel.extensions import db
from kernel.formatting import pounds
from orders.models import Pledge
from organisations import services
from organisations.models import ApiToken, Role, SignInSession, TwoFactor
from tests.billing.conftest import issued_invoice
from tests.factories import PASSWORD, api_token, field_error, sign_in, with_authenticator
from tests.orders.conftest import make_offer, make_pool

CONFIRMED = {"confirmed": "yes"}


@pytest.fixture
def pledged(client, world):
    """Our member's pledge of 25 boxes in an open pool, the member signed in."""
    pool = make_pool(world.secretary, make_offer(world.supplier), [world.consortium])
    db.session.commit()
    sign_in(client, world.member_user)
    data = {"member_id": world.member.id, "quantity": "25", "action": "confirm"}
    assert client.post(f"/pools/{pool.id}/pledge", data=data).status_code == 302
    return pool


def live_quantity(pool) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Pledge.quantity).where(Pledge.pool_id == pool.id))


def test_the_pool_page_links_to_the_withdrawal_page_with_a_danger_button(client, world, pledged):
    page = client.get(f"/pools/{pledged.id}").get_data(as_text=True)
    link = f'href="/pools/{pledged.id}/pledge/withdraw?member_id={world.member.id}"'
    assert f'<a class="btn btn-danger btn-sm" {link}>Withdraw pledge</a>' in page
    assert f'action="/pools/{pledged.id}/pledge/withdraw"' not in page


def test_the_withdrawal_page_says_what_will_happen_and_changes_nothing(client, world, pledged):
    page = client.get(f"/pools/{pledged.id}/pledge/withdraw?member_id={world.member.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Withdraw the pledge of 25 boxes for {world.member.name}?" in text
    assert "price the other members are heading for may rise" in text
    assert "Nobody is emailed" in text and "You can pledge again while the pool is open" in text
    assert 'class="btn btn-danger">Withdraw pledge</button>' in text
    assert 'name="confirmed" value="yes"' in text
    assert live_quantity(pledged) == 25


def test_a_withdrawal_posted_without_the_confirmation_goes_to_the_page_and_withdraws_nothing(client, world, pledged):
    response = client.post(f"/pools/{pledged.id}/pledge/withdraw", data={"member_id": world.member.id})
    assert response.status_code == 303
    assert response.location == f"/pools/{pledged.id}/pledge/withdraw?member_id={world.member.id}"
    assert live_quantity(pledged) == 25


def test_the_confirmation_form_withdraws(client, world, pledged):
    response = client.post(f"/pools/{pledged.id}/pledge/withdraw", data=CONFIRMED | {"member_id": world.member.id})
    assert response.status_code == 302
    assert live_quantity(pledged) == 0


def test_the_api_withdraws_in_one_call(client, world, pledged):
    headers = api_token(world.member_user)
    assert client.delete(f"/api/v1/pools/{pledged.id}/pledge", headers=headers).status_code in (200, 204)
    assert live_quantity(pledged) == 0


def revoked(token_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(ApiToken, token_id).revoked_at is not None


def test_revoking_a_token_asks_first_on_its_own_page(client, world):
    token, _ = services.create_api_token(world.member_user, "bookkeeping sheet")
    db.session.commit()
    sign_in(client, world.member_user)

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert f'href="/account/tokens/{token.id}/revoke">Revoke</a>' in listing
    page = client.get(f"/account/tokens/{token.id}/revoke").get_data(as_text=True)
    assert "Revoke the token “bookkeeping sheet”?" in page and "It cannot be undone" in page
    assert not revoked(token.id)

    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 303
    assert not revoked(token.id)
    assert client.post(f"/account/tokens/{token.id}/revoke", data=CONFIRMED).status_code == 302
    assert revoked(token.id)


def test_another_persons_token_has_no_confirmation_page(client, world):
    theirs, _ = services.create_api_token(world.admin, "admin's script")
    db.session.commit()
    sign_in(client, world.member_user)
    assert client.get(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404


def test_ending_another_session_asks_first(app, client, world):
    phone = app.test_client()
    sign_in(phone, world.member_user)
    sign_in(client, world.member_user)
    sessions = db.session.scalars(select(SignInSession.id).where(SignInSession.user_id == world.member_user.id))
    other = min(sessions)

    listing = client.get("/account/sessions").get_data(as_text=True)
    assert f'href="/account/sessions/{other}/end">Sign out</a>' in listing
    page = client.get(f"/account/sessions/{other}/end").get_data(as_text=True)
    assert "must sign in again" in page
    assert client.post(f"/account/sessions/{other}/end").status_code == 303
    assert phone.get("/").status_code == 200
    assert client.post(f"/account/sessions/{other}/end", data=CONFIRMED).status_code == 302
    assert phone.get("/").status_code == 302


def test_signing_out_everywhere_else_asks_first_and_keeps_this_browser(app, client, world):
    phone, tablet = app.test_client(), app.test_client()
    for other in (phone, tablet):
        sign_in(other, world.member_user)
    sign_in(client, world.member_user)

    listing = client.get("/account/sessions").get_data(as_text=True)
    assert '<a class="btn btn-danger" href="/account/sessions/end-others">Sign out everywhere else</a>' in listing
    assert 'action="/account/sessions/end-others"' not in listing
    page = client.get("/account/sessions/end-others").get_data(as_text=True)
    assert "Sign out everywhere else?" in page and "Your 2 other sessions end" in page
    assert "This browser stays signed in" in page and 'name="confirmed" value="yes"' in page
    assert phone.get("/").status_code == 200

    asked = client.post("/account/sessions/end-others")
    assert asked.status_code == 303 and asked.location == "/account/sessions/end-others"
    assert phone.get("/").status_code == tablet.get("/").status_code == 200
    ended = client.post("/account/sessions/end-others", data=CONFIRMED, follow_redirects=True)
    assert "Signed out of 2 other sessions." in ended.get_data(as_text=True)
    assert phone.get("/").status_code == tablet.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_turning_two_factor_off_asks_first_with_the_password_on_the_same_page(client, world):
    with_authenticator(world.member_user)
    db.session.commit()
    sign_in(client, world.member_user)

    setting = client.get("/account/two-factor").get_data(as_text=True)
    assert '<a class="btn btn-danger" href="/account/two-factor/off">Turn off two-factor sign-in</a>' in setting
    assert 'action="/account/two-factor/off"' not in setting
    page = client.get("/account/two-factor/off").get_data(as_text=True)
    assert "Turn off two-factor sign-in?" in page and "your password alone signs you in" in page
    assert 'name="password"' in page and 'name="confirmed" value="yes"' in page

    assert client.post("/account/two-factor/off", data={"password": PASSWORD}).status_code == 303
    wrong = client.post("/account/two-factor/off", data=CONFIRMED | {"password": "guess"})
    assert wrong.status_code == 422 and "Turn off two-factor sign-in?" in wrong.get_data(as_text=True)
    assert field_error(wrong, "password") == "That is not your password."
    db.session.expire_all()
    assert db.session.get(TwoFactor, world.member_user.id) is not None
    assert client.post("/account/two-factor/off", data=CONFIRMED | {"password": PASSWORD}).status_code == 302
    db.session.expire_all()
    assert db.session.get(TwoFactor, world.member_user.id) is None
    assert client.get("/account/two-factor/off").status_code == 302, "nothing left to turn off"


def test_a_secretary_who_must_keep_two_factor_gets_no_page_to_turn_it_off(client, world):
    sign_in(client, world.secretary)
    assert "/account/two-factor/off" not in client.get("/account/two-factor").get_data(as_text=True)
    response = client.get("/account/two-factor/off")
    assert response.status_code == 302 and response.location == "/account/two-factor"


def test_revoking_an_invitation_asks_first_on_its_own_page(client, world):
    invitation = joining.invite(world.secretary, "newcomer@example.org", "Nia Newcomer", Role.MEMBER, world.member.id)
    db.session.commit()
    sign_in(client, world.secretary)

    listing = client.get("/invitations").get_data(as_text=True)
    assert f'href="/invitations/{invitation.id}/revoke">Revoke</a>' in listing
    assert f'action="/invitations/{invitation.id}/revoke"' not in listing
    page = client.get(f"/invitations/{invitation.id}/revoke").get_data(as_text=True)
    assert "Revoke the invitation to Nia Newcomer (newcomer@example.org)?" in page
    assert f"to act as user of {world.member.name}" in page and "It cannot be undone" in page

    asked = client.post(f"/invitations/{invitation.id}/revoke")
    assert asked.status_code == 303 and asked.location == f"/invitations/{invitation.id}/revoke"
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is None
    assert client.post(f"/invitations/{invitation.id}/revoke", data=CONFIRMED).status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).revoked_at is not None


def test_another_consortiums_invitation_has_no_revoking_page(client, world):
    theirs = joining.invite(world.admin, "elsewhere@example.org", "Eli", Role.MEMBER, world.other_member.id)
    db.session.commit()
    sign_in(client, world.secretary)
    assert client.get(f"/invitations/{theirs.id}/revoke").status_code == 404
    assert client.post(f"/invitations/{theirs.id}/revoke").status_code == 404


def test_deactivating_a_member_asks_first_and_reactivating_does_not(client, world):
    sign_in(client, world.admin)
    url = f"/admin/members/{world.member.id}"
    assert f'href="{url}/deactivate">Deactivate</a>' in client.get(url).get_data(as_text=True)
    page = client.get(f"{url}/deactivate").get_data(as_text=True)
    assert f"Deactivate the member {world.member.name}?" in page and "can no longer pledge" in page
    assert "It can be undone" in page

    assert client.post(f"{url}/active", data={"active": "0"}).status_code == 303
    db.session.expire_all()
    assert world.member.active
    assert client.post(f"{url}/active", data={"active": "0", "confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert not world.member.active
    assert client.post(f"{url}/active", data={"active": "1"}).status_code == 302
    db.session.expire_all()
    assert world.member.active


def test_erasing_a_person_and_removing_a_role_ask_first(client, world):
    sign_in(client, world.admin)
    person = world.member_user
    grant = person.grants[0]
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert f'href="/admin/users/{person.id}/erase">Erase this person</a>' in page
    assert f'href="/admin/users/{person.id}/grants/{grant.id}/revoke">Remove</a>' in page
    assert "It cannot be undone" in client.get(f"/admin/users/{person.id}/erase").get_data(as_text=True)
    assert "can no longer see or do" in client.get(f"/admin/users/{person.id}/grants/{grant.id}/revoke").get_data(
        as_text=True
    )

    assert client.post(f"/admin/users/{person.id}/grants/{grant.id}/revoke").status_code == 303
    assert client.post(f"/admin/users/{person.id}/erase").status_code == 303
    db.session.expire_all()
    assert person.email == "member@example.org" and len(person.grants) == 1
    assert client.get(f"/admin/users/{person.id}/grants/999999/revoke").status_code == 404


def test_cancelling_a_pool_asks_for_the_reason_on_a_page_that_says_what_happens(client, world):
    pool = make_pool(world.secretary, make_offer(world.supplier), [world.consortium])
    db.session.commit()
    sign_in(client, world.secretary)
    assert f'<a class="btn btn-danger" href="/pools/{pool.id}/cancel">Cancel pool</a>' in client.get(
        f"/pools/{pool.id}"
    ).get_data(as_text=True)

    page = client.get(f"/pools/{pool.id}/cancel").get_data(as_text=True)
    assert "Cancel the pool for A4 copier paper?" in page and "Every member that pledged is emailed" in page
    assert "It cannot be undone" in page and 'name="reason"' in page

    assert client.post(f"/pools/{pool.id}/cancel", data={"reason": "No budget"}).status_code == 303
    db.session.expire_all()
    assert pool.status.value == "open"
    refused = client.post(f"/pools/{pool.id}/cancel", data=CONFIRMED | {"reason": ""})
    assert refused.status_code == 422 and "Cancel the pool for A4 copier paper?" in refused.get_data(as_text=True)
    assert client.post(f"/pools/{pool.id}/cancel", data=CONFIRMED | {"reason": "No budget"}).status_code == 302
    db.session.expire_all()
    assert pool.status.value == "cancelled" and pool.cancel_reason == "No budget"


def test_a_credit_note_is_shown_with_its_figures_and_issued_only_once_confirmed(client, world):
    invoice = issued_invoice(world.member)
    db.session.commit()
    sign_in(client, world.secretary)
    data = {"lines": [str(line.id) for line in invoice.lines], "goods_quantity": "", "reason": "Damaged in transit"}
    page = client.post(f"/invoices/{invoice.id}/credit-notes", data=data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"Issue a credit note of {pounds(invoice.total_pence)} against invoice {invoice.number}?" in text
    assert "Damaged in transit" in text and 'name="confirmed" value="yes"' in text
    assert db.session.scalar(select(func.count()).select_from(CreditNote)) == 0, "asking writes nothing"
    issued = client.post(f"/invoices/{invoice.id}/credit-notes", data=data | {"confirmed": "yes"})
    assert issued.status_code == 302
    note = db.session.scalars(select(CreditNote)).one()
    assert note.total_pence == invoice.total_pence and note.reason == "Damaged in transit"
