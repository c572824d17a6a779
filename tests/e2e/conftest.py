"""Real-browser fixtures: the app served by gunicorn on a fresh demo database, driven by Debian's Chromium.

Without Chromium at /usr/bin/chromium (`.ci/run` installs it with apt) or without the playwright
package every test here is skipped, and the skip reason says which.
"""

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from gunicorn.config import KNOWN_SETTINGS
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from organisations.demo import demo_authenticator_code
from tests.conftest import BACKENDS, copy_of_template, load_demo

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # the dev extra installs it; a bare install skips these tests
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# On top of gunicorn.conf.py: import the app once before forking (twice as fast to start on a busy machine), and
# no control socket, which newer gunicorns put at one path in $HOME for every instance.
GUNICORN_ARGS = ["--preload"] + (
    ["--no-control-socket"] if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else []
)
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "demo-password"
STEP_TIMEOUT_MS = 10_000
# How wide the page is: wider than the window, it scrolls sideways (on a phone a wide table scrolls in its own box).
PAGE_WIDTH = "() => document.documentElement.scrollWidth"

# Every page is checked for these on the way: labelled fields, alt text, one h1, a working skip link first.
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  const labelled = el => el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
    || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) || el.closest('label');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || 'text').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    if (!labelled(el)) problems.push(`${el.tagName.toLowerCase()} "${el.name || el.id}" has no label`);
  }
  for (const img of document.querySelectorAll('img:not([alt])')) problems.push(`image ${img.src} has no alt text`);
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) problems.push(`${h1s} h1 elements instead of one`);
  const first = document.querySelector('body a[href], body button, body input:not([type=hidden]), body select, body textarea');
  const target = first && first.matches('a[href^="#"]') && document.getElementById(first.getAttribute('href').slice(1));
  if (!target || !target.matches('main, [role=main]')) problems.push('the first focusable element is not a skip link to the main content');
  return problems;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _app_environment(database_url: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "FLASK_", "GUNICORN_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(16),
        MARKETPLACE_ENV="development",
        RATELIMIT_STORAGE_URI="memory://",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        GUNICORN_THREADS="1",
        GUNICORN_ACCESS_LOG="",
    )
    return env


def _wait_until_serving(server: subprocess.Popen, url: str, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/sign-in", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer at {url} within {seconds:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]'): real-browser tests skipped")
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM} (.ci/run installs it with apt-get install chromium): real-browser tests skipped"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The database behind each live server's URL, for the tests that read what the app wrote (the outbox): what a
# person would find in their mailbox.
LIVE_DATABASES: dict[str, str] = {}


@contextmanager
def _serving(backend: str, tmp_path_factory, **settings: str):
    """gunicorn (2 workers) serving a fresh database migrated to head with the demo loaded (a copy of the run's
    template), with `settings` in its environment; yields its base URL and the database's."""
    database_url, drop = copy_of_template(backend, "demo", load_demo, tmp_path_factory)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = _app_environment(database_url, port) | {"PUBLIC_URL": url} | settings
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS, "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(server, url, log)
        yield url, database_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        drop()


@pytest.fixture(scope="session")
def _live_servers(browser, tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """One server per backend in this process, started the first time a test asks for it and shared by every
    journey after it: starting one costs more than most journeys."""
    servers: dict[str, str] = {}
    with ExitStack() as running:

        def server(backend: str) -> str:
            if backend not in servers:
                url, database_url = running.enter_context(_serving(backend, tmp_path_factory))
                LIVE_DATABASES[url] = database_url
                servers[backend] = url
            return servers[backend]

        yield server


@pytest.fixture(params=BACKENDS)
def live_server(request, _live_servers) -> str:
    """The base URL of the app with payments by bank transfer only (Stripe off). Function-scoped, so a run
    alternating backends keeps both servers rather than starting one again at every switch."""
    return _live_servers(request.param)


def emailed_link(base_url: str, to_email: str, kind: str) -> str:
    """The path of the first link in the newest email of `kind` to `to_email` in the served app's outbox."""
    engine = create_engine(LIVE_DATABASES[base_url])
    try:
        with engine.connect() as connection:
            body = connection.scalar(
                sql(
                    "SELECT body_text FROM outbox_message WHERE to_email = :to AND kind = :kind ORDER BY id DESC LIMIT 1"
                ),
                {"to": to_email, "kind": kind},
            )
    finally:
        engine.dispose()
    assert body, f"no {kind} email to {to_email} in the outbox"
    return re.search(re.escape(base_url) + r"(/\S+)", body).group(1)


class Visit:
    """One person's browser tab: every page it lands on must answer below 400, with no 5xx on the way, nothing the
    CSP refused, and the accessibility basics."""

    def __init__(self, page, base_url: str, label: str):
        self.page, self.base_url, self.label = page, base_url, label
        self.step = "start"
        self.server_errors: list[str] = []
        self.refused_by_csp: list[str] = []
        page.set_default_timeout(STEP_TIMEOUT_MS)
        page.on("response", self._note_server_error)
        page.on("console", self._note_csp_violation)

    def _note_server_error(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")

    def _note_csp_violation(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.refused_by_csp.append(f"{self.page.url}: {message.text}")

    def check(self) -> None:
        """The page now shown: no server error on the way here, nothing the CSP refused, the accessibility basics."""
        self.page.wait_for_load_state()
        assert not self.server_errors, f"server errors: {self.server_errors}"
        assert not self.refused_by_csp, f"refused by the Content-Security-Policy: {self.refused_by_csp}"
        problems = self.page.evaluate(ACCESSIBILITY_PROBLEMS)
        assert not problems, f"accessibility problems on {self.page.url}: {problems}"

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.status < 400, f"{path} answered {response and response.status}"
        self.check()

    def follow(self, locator) -> None:
        """Click a link or button that loads a new page, then check that page."""
        with self.page.expect_navigation() as navigation:
            locator.click()
        response = navigation.value
        assert response is not None and response.status < 400, f"{response.url} answered {response.status}"
        self.check()

    def click_link(self, name: str, scope=None) -> None:
        self.follow((scope or self.page).get_by_role("link", name=name, exact=True).first)

    def press(self, name: str, scope=None) -> None:
        self.follow((scope or self.page).get_by_role("button", name=name, exact=True))

    def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> None:
        """Signs in as the person would; the demo's admins and secretaries then type their authenticator's code."""
        self.goto("/sign-in")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.press("Sign in")
        if urlsplit(self.page.url).path == "/sign-in/code":
            self.page.get_by_label("Code").fill(demo_authenticator_code(self.base_url, email))
            self.press("Sign in")
        assert self.signed_in(), f"{email} is not signed in"

    def signed_in(self) -> bool:
        """The page offers the account menu's sign-out (inside the menu, so hidden until it is opened)."""
        return self.page.get_by_role("button", name="Sign out", include_hidden=True).count() == 1

    def flash(self) -> str:
        return self.page.locator(".flashes").inner_text()

    def row(self, *texts: str, within="table"):
        """The one table row that contains every text."""
        rows = self.page.locator(f"{within} tr")
        for text in texts:
            rows = rows.filter(has_text=text)
        assert rows.count() == 1, f"{rows.count()} rows match {texts} on {self.page.url}"
        return rows

    def pool_row(self, pool_id: int, within: str):
        """A supplier's demand row, headed "Pool <id>" (and maybe a flag after it)."""
        heading = self.page.get_by_role("rowheader", name=re.compile(rf"^Pool {pool_id}\b"))
        row = self.page.locator(f"{within} tr").filter(has=heading)
        assert row.count() == 1, f"{row.count()} rows for pool {pool_id} in {within} on {self.page.url}"
        return row

    def cell(self, heading: str, within="table.summary") -> str:
        """The value next to a row heading in a two-column table."""
        row = self.page.locator(f"{within} tr").filter(has=self.page.get_by_role("rowheader", name=heading, exact=True))
        return row.locator("td").last.inner_text().strip()

    @contextmanager
    def at(self, step: str):
        """Names the step, so a failure's screenshot and HTML say where it happened."""
        self.step = step
        yield self


@pytest.fixture
def visit(browser, live_server, request):
    """Opens a fresh browser context (own cookies) per person: visit("member") -> Visit; `width` in CSS pixels
    (390 a phone, 1280 a desktop)."""
    yield from _visits(browser, live_server, request)


def _visits(browser, base_url: str, request):
    contexts = []
    request.node.e2e_visits = []

    def open_visit(label: str, width: int = 1280) -> Visit:
        context = browser.new_context(
            accept_downloads=True,
            locale="en-GB",
            timezone_id="Europe/London",
            viewport={"width": width, "height": 844 if width < 600 else 900},
        )
        contexts.append(context)
        opened = Visit(context.new_page(), base_url, label)
        request.node.e2e_visits.append(opened)
        return opened

    yield open_visit
    for context in contexts:
        context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failing test, every open tab leaves a screenshot and its HTML under test-artifacts/."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid.split("::", 1)[-1])
    for visit in getattr(item, "e2e_visits", []):
        stem = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{test_name}-{visit.label}-{visit.step}")
        try:
            visit.page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(visit.page.content())
        except PlaywrightError as error:
            Path(f"{stem}.txt").write_text(f"could not save the page: {error}")
        report.sections.append(
            ("test-artifacts", f"{visit.label} at '{visit.step}': {stem}.png, {stem}.html ({visit.page.url})")
        )
