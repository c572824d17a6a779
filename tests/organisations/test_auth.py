import pytest

from app import settings
from kernel.extensions import db
from organisations import accounts
from tests.factories import PASSWORD, authenticator_code, sign_in, with_authenticator


def test_sign_in_lands_on_dashboard_showing_the_users_roles(client, world):
    response = sign_in(client, world.member_user)
    assert response.status_code == 302
    assert response.location == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Morag Member" in page
    assert "Re-Tweed Dundee CIC" in page
    assert "Admin pages" not in page


def test_each_role_sees_its_own_dashboard(client, world):
    expectations = {
        world.admin: "Platform admin",
        world.secretary: "Secretary of Tayside",
        world.supplier_user: "Supplier: Caledonian Office Supplies Ltd",
    }
    for user, text in expectations.items():
        sign_in(client, user)
        assert text in client.get("/").get_data(as_text=True)
        client.post("/sign-out")


def test_wrong_password_is_refused_with_a_form_error(client, world):
    response = client.post("/sign-in", data={"email": world.member_user.email, "password": "nope"})
    assert response.status_code == 422
    assert "Email or password is not right." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_missing_fields_are_named(client, world):
    response = client.post("/sign-in", data={"email": "not-an-email", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Invalid email address." in page
    assert "This field is required." in page


def test_deactivated_user_cannot_sign_in_and_loses_their_session(client, world):
    sign_in(client, world.member_user)
    world.member_user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
    assert sign_in(client, world.member_user).status_code == 422


def test_next_redirects_only_within_the_site(client, world):
    for target, expected in [
        ("/account/tokens", "/account/tokens"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ]:
        response = client.post(
            "/sign-in", query_string={"next": target}, data={"email": world.member_user.email, "password": PASSWORD}
        )
        assert response.location == expected, target
        client.post("/sign-out")


def test_next_is_kept_through_the_authenticator_code_step(client, world):
    with_authenticator(world.admin)
    response = client.post(
        "/sign-in", query_string={"next": "/account/tokens"}, data={"email": world.admin.email, "password": PASSWORD}
    )
    assert response.location == "/sign-in/code"
    assert client.get("/account/tokens").status_code == 302, "not signed in before the code"
    response = client.post("/sign-in/code", data={"code": authenticator_code(world.admin)})
    assert response.location == "/account/tokens"


def test_protected_page_redirects_to_sign_in_with_next(client, world):
    response = client.get("/account/tokens")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")


def test_sign_in_replaces_the_session(client, world):
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    sign_in(client, world.member_user)
    with client.session_transaction() as session:
        assert "planted" not in session
        key = session["_user_id"]
    assert accounts.session_for_key(key).user_id == world.member_user.id


def test_sign_out_ends_the_session(client, world):
    sign_in(client, world.member_user)
    response = client.post("/sign-out")
    assert response.location == "/sign-in"
    assert client.get("/").status_code == 302


def test_repeated_failures_for_an_account_are_throttled(client, world):
    for _ in range(5):
        assert client.post("/sign-in", data={"email": world.admin.email, "password": "guess"}).status_code == 422
    throttled = client.post("/sign-in", data={"email": world.admin.email, "password": PASSWORD})
    assert throttled.status_code == 429
    assert "Too many failed sign-in attempts" in throttled.get_data(as_text=True)
    other_account = sign_in(client, world.member_user)
    assert other_account.status_code == 302


def test_spelling_the_email_differently_does_not_dodge_the_account_limit(client, world):
    for email in [
        "ADMIN@example.org",
        " admin@example.org",
        "Admin@Example.Org",
        "admin@EXAMPLE.org ",
        "admin@example.org",
    ]:
        client.post("/sign-in", data={"email": email, "password": "guess"})
    assert sign_in(client, world.admin).status_code == 429


def test_successful_sign_ins_do_not_count_towards_the_limit(client, world):
    for _ in range(8):
        assert sign_in(client, world.member_user).status_code == 302
        client.post("/sign-out")


def test_failures_from_one_address_across_accounts_are_throttled(app, client, world):
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for n in range(3):
        client.post("/sign-in", data={"email": f"guess{n}@example.org", "password": "guess"})
    assert sign_in(client, world.member_user).status_code == 429


def test_session_cookie_is_httponly_lax_and_secure_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("MARKETPLACE_ENV", raising=False)
    config = settings.from_environment(str(tmp_path))
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("MARKETPLACE_ENV", "development")
    assert settings.from_environment(str(tmp_path))["SESSION_COOKIE_SECURE"] is False


def test_secret_key_is_made_once_and_kept_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = settings.from_environment(str(tmp_path))["SECRET_KEY"]
    assert len(first) == 64
    assert settings.from_environment(str(tmp_path))["SECRET_KEY"] == first
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert settings.from_environment(str(tmp_path))["SECRET_KEY"] == "from-the-environment"


def test_workers_starting_together_share_one_secret_key(monkeypatch, tmp_path):
    """Each worker of a fresh instance sees no key yet; the first one written is kept by all."""
    from pathlib import Path

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(Path, "exists", lambda self: False)
    keys = {settings.from_environment(str(tmp_path))["SECRET_KEY"] for _ in range(3)}
    assert len(keys) == 1
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == keys.pop()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


def test_database_url_defaults_to_sqlite_in_instance_and_accepts_postgres_urls(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings.from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/marketplace.db"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/prod")
    assert settings.from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/prod"


def test_passwords_are_stored_hashed(world):
    assert PASSWORD not in world.member_user.password_hash
    assert world.member_user.check_password(PASSWORD)


def test_failure_counts_are_shared_by_every_app_through_redis(database_url):
    """Two processes (here two app instances) with one Redis count failures together."""
    import uuid

    import redis

    from app.factory import create_app
    from tests.conftest import TEST_CONFIG

    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    config = TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "SIGN_IN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "SIGN_IN_LIMIT_PER_ADDRESS": "1000 per minute",
    }
    first, second = create_app(config).test_client(), create_app(config).test_client()
    attempt = {"email": f"{uuid.uuid4().hex}@example.org", "password": "guess"}
    for client in (first, second, first):
        assert client.post("/sign-in", data=attempt).status_code == 422
    assert second.post("/sign-in", data=attempt).status_code == 429


@pytest.mark.app_config({"SIGN_IN_LIMIT_PER_ADDRESS": "2 per 15 minutes"})
def test_a_client_cannot_dodge_the_address_limit_with_a_forwarded_header(client, world):
    for n in range(2):
        client.post(
            "/sign-in",
            data={"email": f"guess{n}@example.org", "password": "guess"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
    assert sign_in(client, world.member_user).status_code == 429


@pytest.mark.app_config({"SIGN_IN_LIMIT_PER_ADDRESS": "2 per 15 minutes", "TRUSTED_PROXIES": 1})
def test_behind_a_trusted_proxy_each_client_address_counts_on_its_own(client, world):
    """One load balancer in front: its X-Forwarded-For names the client, so one client cannot lock out all."""
    attacker = {"X-Forwarded-For": "198.51.100.7"}
    for n in range(2):
        client.post("/sign-in", data={"email": f"guess{n}@example.org", "password": "guess"}, headers=attacker)
    assert (
        client.post(
            "/sign-in", data={"email": world.member_user.email, "password": "guess"}, headers=attacker
        ).status_code
        == 429
    )
    neighbour = client.post(
        "/sign-in",
        data={"email": world.member_user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9"},
    )
    assert neighbour.status_code == 302
