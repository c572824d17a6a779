"""Cross-cutting defences: CSRF on every form route, response headers, production cookies,
what sign-in leaves behind (a new session, nothing in the logs), where tokens are kept.

The route lists are taken from the app's URL map, so a new form route is checked without
anyone remembering to add it here.
"""

import logging
import re

import pytest

from app.factory import create_app
from kernel.api import PREFIX
from kernel.extensions import db
from organisations.models import ApiToken
from tests.access_rules import Context, _offer_ids
from tests.factories import PASSWORD, authenticator_code, sign_in, with_authenticator

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
# Signed by Stripe, not sent by a browser; an email's one-click unsubscribe carries its own signed token.
NOT_CSRF_PROTECTED = {"stripe_webhooks.stripe_webhook", "notifications.unsubscribe"}
CSRF_ON = pytest.mark.app_config({"WTF_CSRF_ENABLED": True})


def _form_routes(app) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) of every state-changing HTML route, its arguments filled with 1s."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith(PREFIX + "/") or rule.endpoint in NOT_CSRF_PROTECTED:
            continue
        values = {
            name: 1 if converter == "int" else "members"
            for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)
        }
        url = rule.build(values)[1]
        found.extend((method, url, rule.endpoint) for method in sorted(rule.methods & STATE_CHANGING))
    return found


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _same_site(client) -> None:
    """Browsers send a Referer on https form posts, and Flask-WTF checks it is this site."""
    client.environ_base["HTTP_REFERER"] = "https://localhost/"


def _sign_in_with_token(client, user) -> None:
    if user.needs_two_factor and not user.has_two_factor:
        with_authenticator(user)
    _same_site(client)
    token = _csrf_token(client.get("/sign-in").get_data(as_text=True))
    response = client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, "a valid token must be accepted"
    if response.location == "/sign-in/code":
        token = _csrf_token(client.get("/sign-in/code").get_data(as_text=True))
        response = client.post("/sign-in/code", data={"code": authenticator_code(user), "csrf_token": token})
        assert response.status_code == 302, "a valid token must be accepted with the code"
    client.get("/account/tokens")  # a signed-in page with a form: the session holds a token again


@CSRF_ON
def test_every_form_route_refuses_a_request_without_a_valid_token(app, client, world):
    _sign_in_with_token(client, world.admin)
    routes = _form_routes(app)
    assert len(routes) > 20 and ("POST", "/sign-out", "marketplace.sign_out") in routes
    failures = []
    for method, url, endpoint in routes:
        for token, message in ((None, "The CSRF token is missing."), ("forged", "The CSRF token is invalid.")):
            data = {"csrf_token": token} if token else {}
            response = client.open(url, method=method, data=data)
            if response.status_code != 400 or message not in response.get_data(as_text=True):
                failures.append(
                    f"{method} {url} [{endpoint}] with token {token!r}: {response.status_code} "
                    f"{re.findall('<p>(.*?)</p>', response.get_data(as_text=True))[:1]}"
                )
    assert not failures, "\n".join(failures)
    assert client.get("/").status_code == 200, "the refused requests must not have signed the admin out"


@CSRF_ON
def test_a_token_from_another_session_is_refused(app, client, world):
    other = app.test_client()
    foreign = _csrf_token(other.get("/sign-in").get_data(as_text=True))
    _sign_in_with_token(client, world.admin)
    client.get("/account/tokens")
    response = client.post("/account/tokens", data={"name": "planted", "csrf_token": foreign})
    assert response.status_code == 400
    assert "The CSRF tokens do not match." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


@CSRF_ON
def test_a_valid_token_posted_from_another_site_is_refused(client, world):
    _sign_in_with_token(client, world.admin)
    token = _csrf_token(client.get("/account/tokens").get_data(as_text=True))
    response = client.post(
        "/account/tokens", data={"name": "planted", "csrf_token": token}, headers={"Referer": "https://evil.example/"}
    )
    assert response.status_code == 400
    assert "The referrer does not match the host." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 0


def _csp(response) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response.headers["Content-Security-Policy"].split(";"))
    return {d[0]: d[1:] for d in directives if d}


def _assert_safe_headers(response, where: str) -> None:
    csp = _csp(response)
    scripts = csp.get("script-src", csp.get("default-src"))
    assert scripts is not None and "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer", "strict-origin-when-cross-origin"}, (
        where
    )


def test_every_page_sends_the_security_headers(app, client, world):
    """Every argument-free GET route as an admin, plus a sign-in page, an error page and the API."""
    responses = {
        "/sign-in (stranger)": client.get("/sign-in"),
        "/no-such-page": client.get("/no-such-page"),
        "/api/v1/me (no token)": client.get("/api/v1/me"),
    }
    sign_in(client, world.admin)
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            responses[rule.rule] = client.get(rule.rule)
    assert len(responses) > 15
    for where, response in responses.items():
        _assert_safe_headers(response, where)


def test_charts_allow_their_inline_styles_but_no_scripts_and_no_framing(client, world):
    offer_id, _ = _offer_ids(Context(world, world.supplier_user))
    sign_in(client, world.supplier_user)
    for url in (
        f"/catalogue/offers/{offer_id}/price-chart.svg",
        f"/supplier/{world.supplier.id}/demand/pledged-units.svg",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_safe_headers(response, url)


def _production_app(monkeypatch, database_url):
    """The app as gunicorn builds it: configuration from the environment only."""
    monkeypatch.delenv("MARKETPLACE_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "production-like-secret")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    return create_app()


def test_production_cookies_are_secure_httponly_and_samesite(app, world, monkeypatch, database_url):
    production = _production_app(monkeypatch, database_url)
    assert not production.testing and production.config["WTF_CSRF_ENABLED"] is not False
    client = production.test_client()
    page = client.get("/sign-in", base_url="https://marketplace.example.org")
    token = _csrf_token(page.get_data(as_text=True))
    response = client.post(
        "/sign-in",
        base_url="https://marketplace.example.org",
        headers={"Referer": "https://marketplace.example.org/sign-in"},
        data={"email": world.member_user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    attributes = {part.strip().split("=")[0].lower(): part for part in session_cookie.split(";")[1:]}
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"].strip().lower() == "samesite=lax"


def test_production_refuses_a_form_without_a_csrf_token(app, world, monkeypatch, database_url):
    client = _production_app(monkeypatch, database_url).test_client()
    response = client.post(
        "/sign-in",
        base_url="https://marketplace.example.org",
        headers={"Referer": "https://marketplace.example.org/sign-in"},
        data={"email": world.member_user.email, "password": PASSWORD},
    )
    assert response.status_code == 400


def test_the_session_cookie_changes_on_sign_in(client, world):
    """A cookie an attacker obtained before sign-in is not the signed-in session."""
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("session").value
    assert client.post("/sign-in", data={"email": world.member_user.email, "password": PASSWORD}).status_code == 302
    after = client.get_cookie("session").value
    assert after != before
    attacker = client.application.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/").status_code == 302, "the pre-sign-in cookie must not be signed in"


def test_passwords_and_tokens_never_reach_the_logs(client, runner, world, caplog):
    """Everything logs at DEBUG, SQL included, while passwords and tokens pass through."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    secrets = {"wrong-guess-7731", "a-brand-new-password-5512", "an-admin-typed-password-9901", PASSWORD}
    client.post("/sign-in", data={"email": world.member_user.email, "password": "wrong-guess-7731"})
    sign_in(client, world.member_user)
    result = runner.invoke(args=["create-user", "new@example.org", "--password", "a-brand-new-password-5512"])
    assert result.exit_code == 0, result.output
    token_output = runner.invoke(args=["create-token", "new@example.org"])
    secrets.add(token_output.output.strip().splitlines()[-1])
    client.post("/sign-out")
    sign_in(client, world.admin)
    created = client.post(
        "/admin/users/new",
        data={"email": "typed@example.org", "name": "Typed", "password": "an-admin-typed-password-9901"},
    )
    assert created.status_code == 302
    page = client.post("/account/tokens", data={"name": "logged?"}).get_data(as_text=True)
    secrets.add(re.search(r"<code[^>]*>([^<]+)</code>", page).group(1).strip())
    assert caplog.records, "nothing was captured: the test would prove nothing"
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    leaked = sorted(s for s in secrets if s in logged)
    assert not leaked, f"in the logs: {leaked}"


def test_tokens_are_stored_only_as_hashes(client, runner, world):
    result = runner.invoke(args=["create-token", world.member_user.email])
    plain = result.output.strip().splitlines()[-1]
    with db.engine.connect() as connection:
        rows = [tuple(str(v) for v in row) for row in connection.execute(db.select(ApiToken.__table__))]
    assert rows and not any(plain in value or plain[-20:] in value for row in rows for value in row)
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def _fail_sign_in(client, forwarded_for: str):
    return client.post(
        "/sign-in", data={"email": "guess@example.org", "password": "guess"}, headers={"X-Forwarded-For": forwarded_for}
    )


@pytest.mark.app_config({"TRUSTED_PROXIES": 1})
def test_behind_a_trusted_proxy_the_address_limit_counts_each_client(app, client, world):
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for _ in range(3):
        assert _fail_sign_in(client, "198.51.100.7, 203.0.113.1").status_code == 422
    assert _fail_sign_in(client, "203.0.113.1").status_code == 429
    assert _fail_sign_in(client, "203.0.113.2").status_code == 422, "another client behind the proxy is not locked out"


def test_without_a_trusted_proxy_a_forged_forwarded_address_does_not_escape_the_limit(app, client, world):
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for n in range(3):
        assert _fail_sign_in(client, f"203.0.113.{n}").status_code == 422
    assert _fail_sign_in(client, "203.0.113.99").status_code == 429
