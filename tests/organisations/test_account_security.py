"""Issue 15's account security: sessions that end everywhere, password reset and change, two-factor sign-in,
throttling that cannot lock the owner out, the limiter without Redis, no-store pages, API tokens' limits."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.factory import create_app
from kernel.api import PREFIX
from kernel.clock import utcnow
from kernel.extensions import db
from organisations import accounts, services, totp
from organisations.models import ApiToken, OutboxMessage, RecoveryCode, SignInSession, TwoFactor
from tests.access_rules import Context, _invoice_ids
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORD, api_token, authenticator_code, field_error, sign_in, with_authenticator

NEW_PASSWORD = "plum-orchard-kettle-73"


def _copy_cookie(source, target) -> None:
    """A thief's copy of the browser's session cookie."""
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def _sessions(user) -> int:
    return db.session.scalar(select(func.count()).select_from(SignInSession).where(SignInSession.user_id == user.id))


# Sessions


def test_a_cookie_copied_before_sign_out_stops_working(app, client, world):
    sign_in(client, world.member_user)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/").status_code == 200, "the copy works while the session lasts"
    client.post("/sign-out")
    assert thief.get("/").status_code == 302
    assert _sessions(world.member_user) == 0


def test_deactivating_a_user_ends_their_sessions(app, client, world):
    sign_in(client, world.member_user)
    admin = app.test_client()
    sign_in(admin, world.admin)
    response = admin.post(f"/admin/users/{world.member_user.id}/active", data={"active": "0", "confirmed": "yes"})
    assert response.status_code == 302
    assert _sessions(world.member_user) == 0
    assert client.get("/").status_code == 302


def test_people_see_their_sessions_and_end_the_others(app, client, world):
    phone = app.test_client()
    sign_in(phone, world.member_user)
    laptop = client
    laptop.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko Firefox/140.0"
    sign_in(laptop, world.member_user)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Firefox on Windows" in page and "(this device)" in page
    assert "127.0.0.1" in page
    assert page.count("<tr>") == 3  # the heading and two sessions
    laptop.post("/account/sessions/end-others", data={"confirmed": "yes"})
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_ending_someone_elses_session_is_not_found(app, client, world):
    other = app.test_client()
    sign_in(other, world.supplier_user)
    theirs = db.session.scalar(select(SignInSession.id).where(SignInSession.user_id == world.supplier_user.id))
    sign_in(client, world.member_user)
    assert client.post(f"/account/sessions/{theirs}/end").status_code == 404
    assert other.get("/").status_code == 200


def test_a_session_unused_for_two_weeks_is_over(client, world, frozen_clock):
    now = utcnow()
    frozen_clock.set(now)
    sign_in(client, world.member_user)
    frozen_clock.set(now + accounts.SESSION_IDLE_LIMIT - timedelta(minutes=1))
    assert client.get("/").status_code == 200
    frozen_clock.set(now + 2 * accounts.SESSION_IDLE_LIMIT)
    assert client.get("/").status_code == 302


# Passwords


def test_changing_the_password_needs_the_current_one_and_signs_out_every_other_session(app, client, world):
    other = app.test_client()
    sign_in(other, world.member_user)
    sign_in(client, world.member_user)
    wrong = client.post(
        "/account/password",
        data={"current_password": "guess", "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert field_error(wrong, "current_password") == "That is not your current password."
    changed = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    assert other.get("/").status_code == 302, "the other session is over"
    assert client.get("/").status_code == 200, "this one goes on"
    assert world.member_user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-one", "Use at least 12 characters"),
        ("password1234", "most common ones found in data breaches"),
        ("Morag-Member-2026", "from your name or email address"),
        ("aaaaaaaaaaaaaaaa", "easy to guess"),
    ],
)
def test_a_weak_new_password_is_refused_next_to_its_field(client, world, password, message):
    sign_in(client, world.member_user)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": password, "confirm_password": password},
    )
    assert response.status_code == 422
    assert message in field_error(response, "new_password")
    assert world.member_user.check_password(PASSWORD)


def _reset_link(email: str) -> str:
    body = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.to_email == email, OutboxMessage.kind == accounts.RESET_KIND)
        .order_by(OutboxMessage.id.desc())
    ).first()
    return "/password/reset/" + body.split("/password/reset/")[1].split()[0]


def test_the_reset_page_answers_the_same_whether_or_not_the_email_has_an_account(client, world):
    known = client.post("/password/forgot", data={"email": world.member_user.email})
    unknown = client.post("/password/forgot", data={"email": "nobody-here@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True).replace(world.member_user.email, "X") == unknown.get_data(as_text=True).replace(
        "nobody-here@example.org", "X"
    )
    sent = db.session.scalars(select(OutboxMessage.to_email).where(OutboxMessage.kind == accounts.RESET_KIND)).all()
    assert sent == [world.member_user.email]


def test_a_reset_link_sets_a_new_password_once_and_signs_out_everywhere(app, client, world):
    signed_in = app.test_client()
    sign_in(signed_in, world.member_user)
    client.post("/password/forgot", data={"email": world.member_user.email})
    link = _reset_link(world.member_user.email)
    mismatched = client.post(link, data={"new_password": NEW_PASSWORD, "confirm_password": "something-else-entirely"})
    assert field_error(mismatched, "confirm_password") == "The two passwords are not the same."
    done = client.post(link, data={"new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302 and done.location == "/sign-in"
    assert signed_in.get("/").status_code == 302, "every session ends"
    assert client.get(link).status_code == 404, "the link works once"
    assert sign_in(client, world.member_user, NEW_PASSWORD).status_code == 302


def test_a_reset_link_expires_after_half_an_hour(client, world, frozen_clock, monkeypatch):
    client.post("/password/forgot", data={"email": world.member_user.email})
    link = _reset_link(world.member_user.email)
    opened = client.get(link)
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    later = utcnow().timestamp() + accounts.RESET_LINK_AGE.total_seconds() + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert client.get(link).status_code == 404
    assert client.get("/password/reset/forged-token").status_code == 404


def test_asking_for_reset_links_is_rate_limited_per_address(app, client, world):
    app.config["PASSWORD_RESET_LIMIT"] = "2 per hour"
    for n in range(2):
        assert client.post("/password/forgot", data={"email": f"someone{n}@example.org"}).status_code == 200
    assert client.post("/password/forgot", data={"email": world.member_user.email}).status_code == 429


# Two-factor sign-in


def test_an_admin_without_an_authenticator_is_sent_to_set_one_up(client, world):
    response = client.post("/sign-in", data={"email": world.admin.email, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 302 and page.location == "/account/two-factor"
    setup = client.get("/account/two-factor")
    assert setup.status_code == 200
    assert "data:image/svg+xml" in setup.get_data(as_text=True)
    with client.session_transaction() as session:
        secret = session["two_factor_secret"]
    wrong = client.post("/account/two-factor", data={"code": "000000"})
    assert wrong.status_code == 422
    assert "not right" in field_error(wrong, "code")
    code = totp.code_at(secret, totp.step_at(utcnow()))
    done = client.post("/account/two-factor", data={"code": code})
    assert done.status_code == 201
    assert done.headers["Cache-Control"] == "no-store"
    assert done.get_data(as_text=True).count("<li><code>") == totp.RECOVERY_CODE_COUNT
    assert client.get("/").status_code == 200
    assert db.session.get(TwoFactor, world.admin.id).secret == secret


def test_signing_in_with_an_authenticator_asks_for_a_code_that_works_once(app, client, world):
    with_authenticator(world.secretary)
    client.post("/sign-in", data={"email": world.secretary.email, "password": PASSWORD})
    assert client.get("/").status_code == 302, "not signed in before the code"
    assert client.post("/sign-in/code", data={"code": "123456"}).status_code == 422
    code = authenticator_code(world.secretary)
    assert client.post("/sign-in/code", data={"code": code}).status_code == 302
    assert client.get("/").status_code == 200
    again = app.test_client()
    again.post("/sign-in", data={"email": world.secretary.email, "password": PASSWORD})
    replay = again.post("/sign-in/code", data={"code": code})
    assert replay.status_code == 422, "a code works once"
    assert again.get("/").status_code == 302


def test_a_recovery_code_works_once(app, client, world):
    with_authenticator(world.member_user)
    codes = accounts.new_recovery_codes(world.member_user, PASSWORD)
    db.session.commit()
    client.post("/sign-in", data={"email": world.member_user.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": codes[0].upper()}).status_code == 302
    other = app.test_client()
    other.post("/sign-in", data={"email": world.member_user.email, "password": PASSWORD})
    assert other.post("/sign-in/code", data={"code": codes[0]}).status_code == 422
    used = db.session.scalars(select(RecoveryCode).where(RecoveryCode.used_at.is_not(None))).all()
    assert len(used) == 1


def test_wrong_codes_are_throttled_per_account_however_often_the_password_step_is_redone(app, client, world):
    app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] = "3 per 15 minutes"
    with_authenticator(world.member_user)
    for n in range(3):
        address = {"REMOTE_ADDR": f"198.51.100.{n}"}
        client.post("/sign-in", data={"email": world.member_user.email, "password": PASSWORD}, environ_base=address)
        assert client.post("/sign-in/code", data={"code": "000000"}, environ_base=address).status_code == 422
    client.post("/sign-in", data={"email": world.member_user.email, "password": PASSWORD})
    assert client.post("/sign-in/code", data={"code": authenticator_code(world.member_user)}).status_code == 429


def test_members_may_turn_two_factor_off_but_secretaries_may_not(client, world):
    with_authenticator(world.member_user)
    sign_in(client, world.member_user)
    wrong = client.post("/account/two-factor/off", data={"password": "guess", "confirmed": "yes"})
    assert wrong.status_code == 422 and field_error(wrong, "password") == "That is not your password."
    assert client.post("/account/two-factor/off", data={"password": PASSWORD, "confirmed": "yes"}).status_code == 302
    assert db.session.get(TwoFactor, world.member_user.id) is None
    client.post("/sign-out")
    sign_in(client, world.secretary)
    refused = client.post("/account/two-factor/off", data={"password": PASSWORD, "confirmed": "yes"})
    assert refused.status_code == 422
    assert db.session.get(TwoFactor, world.secretary.id) is not None


# Throttling, timing, Redis


def test_an_attackers_failures_do_not_lock_out_the_owner_elsewhere(client, world):
    attacker = {"REMOTE_ADDR": "198.51.100.66"}
    for _ in range(5):
        client.post("/sign-in", data={"email": world.member_user.email, "password": "guess"}, environ_base=attacker)
    locked = client.post(
        "/sign-in", data={"email": world.member_user.email, "password": PASSWORD}, environ_base=attacker
    )
    assert locked.status_code == 429, "the attacker's address is throttled for this account"
    owner = client.post(
        "/sign-in",
        data={"email": world.member_user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )
    assert owner.status_code == 302, "the owner signing in from elsewhere is not"


def test_an_unknown_email_still_costs_a_password_hash(client, world, monkeypatch):
    checked = []
    real = services.check_password_hash
    monkeypatch.setattr(services, "check_password_hash", lambda *args: checked.append(args) or real(*args))
    services.authenticate("nobody-at-all@example.org", "guess")
    assert len(checked) == 1
    hashed, password = checked[0]
    assert password == "guess" and hashed.startswith("pbkdf2:sha256:1000$"), "the configured method, at its cost"


@pytest.fixture
def limiter_restored(database_url):
    """The limiter is one object that each app binds to its storage: after a test with a dead Redis, bind it
    back to memory so the next tests' resets reach a storage that answers."""
    yield
    create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": database_url})


@pytest.mark.app_config(
    {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:9/0", "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5}}
)
def test_signing_in_works_with_the_limiters_redis_down(limiter_restored, client, world):
    """Port 9 (discard) is closed here: the limiter counts in memory instead of answering 500."""
    assert sign_in(client, world.member_user).status_code == 302
    assert client.get("/").status_code == 200
    client.post("/sign-out")
    for _ in range(5):
        assert client.post("/sign-in", data={"email": world.member_user.email, "password": "x"}).status_code == 422
    assert sign_in(client, world.member_user).status_code == 429, "still throttled, in memory"


# Pages that must not be cached


def test_invoice_statement_pdf_and_new_token_pages_are_not_stored(client, world):
    invoice_id, _ = _invoice_ids(Context(world, world.member_user))
    sign_in(client, world.member_user)
    for url in (f"/invoices/{invoice_id}", f"/invoices/{invoice_id}.pdf", "/statement", "/statement.pdf", "/invoices/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    created = client.post("/account/tokens", data={"name": "sheet", "days": "30"})
    assert created.status_code == 201
    assert created.headers["Cache-Control"] == "no-store"
    assert client.get("/pools/").headers.get("Cache-Control") != "no-store", "only pages that need it"


# API tokens


def test_a_token_expires_after_the_days_chosen(client, world, frozen_clock):
    now = utcnow()
    frozen_clock.set(now)
    sign_in(client, world.member_user)
    client.post("/account/tokens", data={"name": "a week", "days": "7"})
    token = db.session.scalar(select(ApiToken))
    assert token.expires_at == now + timedelta(days=7)
    headers = api_token(world.member_user)
    stored = db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())).first()
    frozen_clock.set(stored.expires_at - timedelta(seconds=1))
    me = client.get(f"{PREFIX}/me", headers=headers)
    assert me.status_code == 200
    assert me.get_json()["token"] == {
        "name": "tests",
        "expires_at": stored.expires_at.isoformat(),
        "read_only": False,
    }
    frozen_clock.set(stored.expires_at)
    assert client.get(f"{PREFIX}/me", headers=headers).status_code == 401


def test_a_token_lifetime_not_offered_is_refused(client, world):
    sign_in(client, world.member_user)
    response = client.post("/account/tokens", data={"name": "forever", "days": "36500"})
    assert response.status_code == 422
    assert field_error(response, "days") == "Not a valid choice."


def test_a_read_only_token_reads_but_cannot_write(client, world):
    sign_in(client, world.member_user)
    client.post("/account/tokens", data={"name": "reader", "days": "30", "read_only": "y"})
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "read only" in page
    _, plain = services.create_api_token(world.member_user, "reader", 30, read_only=True)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    profile = f"{PREFIX}/members/{world.member.id}/profile"
    assert client.get(profile, headers=headers).status_code == 200
    refused = client.patch(profile, headers=headers, json={"phone": "01382 000000"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "read_only_token"
    assert world.member.organisation.phone is None


@pytest.mark.app_config({"API_RATE_LIMIT": "3 per minute"})
def test_the_api_is_rate_limited_per_token(client, world):
    mine, theirs = api_token(world.member_user), api_token(world.supplier_user)
    for _ in range(3):
        assert client.get(f"{PREFIX}/me", headers=mine).status_code == 200
    limited = client.get(f"{PREFIX}/offers", headers=mine)
    assert limited.status_code == 429, "one allowance across every endpoint"
    assert limited.get_json()["error"]["code"] == "too_many_requests"
    assert client.get(f"{PREFIX}/me", headers=theirs).status_code == 200, "another token has its own"
