"""Two hosts, one database, one Redis: what docs/deploy.md promises.

Two gunicorn instances (free loopback ports) serve one throwaway PostgreSQL database,
migrated with `flask db upgrade` as a release would be, and count sign-in failures in the
Redis at 127.0.0.1:6379 under a key prefix of their own. Skipped when PostgreSQL or Redis
does not answer.
"""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from app.factory import create_app
from kernel.extensions import db
from organisations import services
from tests import factories
from tests.conftest import BACKENDS, TEST_CONFIG, make_throwaway_database
from tests.orders.conftest import make_offer, make_pool

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/0"
ACCOUNT_LIMIT, ADDRESS_LIMIT = 4, 6


def _redis_answers() -> bool:
    cli = shutil.which("redis-cli")
    if cli is None:
        return False
    try:
        reply = subprocess.run(
            [cli, "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True, text=True, timeout=3
        )
    except subprocess.TimeoutExpired:
        return False
    return reply.stdout.strip() == "PONG"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects, on the standard library."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), self._NoRedirect)

    def request(self, method: str, path: str, *, form=None, body=None, headers=None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else body
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str, password: str, address: str) -> int:
        status, page = self.request("GET", "/sign-in")
        assert status == 200, page
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            "/sign-in",
            form={"email": email, "password": password, "csrf_token": token},
            headers={"X-Forwarded-For": address},
        )
        return status


def _start(port: int, environment: dict) -> subprocess.Popen:
    env = os.environ | environment | {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    return subprocess.Popen(
        [str(BIN / "gunicorn"), "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_serving(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn on port {port} exited: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn on port {port} did not answer within 20 s")


def _seed(url: str) -> dict:
    """A minimal world: two consortia, a member user, an open pool, and the member's API token."""
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        world = factories.World.build()
        pool = make_pool(world.secretary, make_offer(world.supplier), [world.consortium])
        _, token = services.create_api_token(world.member_user, "multi-host")
        db.session.commit()
        seeded = {
            "pool_id": pool.id,
            "token": token,
            "member": world.member_user.email,
            "secretary": world.secretary.email,
            "member_id": world.member.id,
        }
        db.engine.dispose()
    return seeded


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    if "postgresql" not in BACKENDS:
        pytest.skip("several hosts share a PostgreSQL database; TEST_DATABASES leaves it out")
    if not _redis_answers():
        pytest.skip("no Redis answers `redis-cli ping` at 127.0.0.1:6379")
    url, drop = make_throwaway_database("postgresql", tmp_path_factory)
    prefix = f"multi-host-test-{uuid.uuid4().hex[:8]}"
    environment = {
        "DATABASE_URL": url,
        "SECRET_KEY": "one-secret-for-every-host",
        "MARKETPLACE_ENV": "development",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "TRUSTED_PROXIES": "1",
        "SIGN_IN_LIMIT_PER_ACCOUNT": f"{ACCOUNT_LIMIT} per 15 minutes",
        "SIGN_IN_LIMIT_PER_ADDRESS": f"{ADDRESS_LIMIT} per 15 minutes",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_ACCESS_LOG": "",
    }
    processes = []
    try:
        migrated = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
            cwd=ROOT,
            env=os.environ | environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert migrated.returncode == 0, migrated.stderr
        ports = [_free_port(), _free_port()]
        processes = [_start(port, environment) for port in ports]
        seeded = _seed(url)  # while the hosts boot
        for process, port in zip(processes, ports, strict=True):
            _wait_until_serving(process, port)
        yield [f"http://127.0.0.1:{port}" for port in ports], seeded
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        _forget_redis_keys(prefix)
        drop()


def _forget_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _api(base: str, token: str, method: str, path: str, payload=None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(payload).encode() if payload is not None else None
    status, text = Browser(base).request(method, path, body=body, headers=headers)
    return status, json.loads(text)


def test_a_pledge_made_through_one_host_is_seen_through_the_other(hosts):
    (first, second), seeded = hosts
    pool = f"/api/v1/pools/{seeded['pool_id']}"
    status, made = _api(first, seeded["token"], "PUT", pool + "/pledge", {"quantity": 7})
    assert status == 201, made
    status, seen = _api(second, seeded["token"], "GET", pool)
    assert status == 200 and seen["total_quantity"] == 7 and seen["member_count"] == 1
    status, changed = _api(second, seeded["token"], "PUT", pool + "/pledge", {"quantity": 9})
    assert status in (200, 201), changed
    status, pledges = _api(first, seeded["token"], "GET", "/api/v1/pledges")
    assert [(p["pool_id"], p["quantity"]) for p in pledges["items"]] == [(seeded["pool_id"], 9)]


def test_sign_in_failures_split_between_the_hosts_reach_the_account_limit_for_that_address(hosts):
    """An attacker's failures against one account count on every host, from the attacker's address only:
    the owner signing in from elsewhere is not locked out."""
    (first, second), seeded = hosts
    browsers = [Browser(first), Browser(second)]
    for n in range(ACCOUNT_LIMIT):
        status = browsers[n % 2].sign_in(seeded["member"], "wrong-password", address="192.0.2.1")
        assert status == 422, f"attempt {n + 1} on host {n % 2 + 1}"
    assert browsers[ACCOUNT_LIMIT % 2].sign_in(seeded["member"], factories.PASSWORD, address="192.0.2.1") == 429
    assert browsers[1].sign_in(seeded["member"], factories.PASSWORD, address="192.0.2.1") == 429
    assert Browser(first).sign_in(seeded["member"], factories.PASSWORD, address="203.0.113.8") == 302
    assert Browser(second).sign_in(seeded["secretary"], factories.PASSWORD, address="192.0.2.1") == 302


def test_signing_out_through_one_host_ends_the_session_on_the_other(hosts):
    """A copy of the cookie, used through the other host, stops working the moment its owner signs out."""
    (first, second), seeded = hosts
    owner, thief = Browser(first), Browser(second)
    assert owner.sign_in(seeded["member"], factories.PASSWORD, address="192.0.2.20") == 302
    for cookie in owner.jar:
        thief.jar.set_cookie(cookie)
    assert thief.request("GET", "/")[0] == 200
    page = owner.request("GET", "/")[1]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert owner.request("POST", "/sign-out", form={"csrf_token": token})[0] == 302
    assert thief.request("GET", "/")[0] == 302


def test_sign_in_failures_from_one_address_across_the_hosts_reach_the_address_limit(hosts):
    (first, second), seeded = hosts
    browsers = [Browser(first), Browser(second)]
    for n in range(ADDRESS_LIMIT):
        status = browsers[n % 2].sign_in(f"guess{n}@example.org", "guess", address="198.51.100.9")
        assert status == 422, f"attempt {n + 1} on host {n % 2 + 1}"
    assert Browser(second).sign_in(seeded["secretary"], factories.PASSWORD, address="198.51.100.9") == 429
    assert Browser(first).sign_in(seeded["secretary"], factories.PASSWORD, address="198.51.100.10") == 302
