"""Every page each demo role can reach, at 390 px and 1280 px (issue 16's "Done when").

The pages are found by crawling, not listed: from the dashboard, every same-origin GET link is followed,
one page per path pattern (ids become {id}, query strings dropped), so pages
added later are swept without editing this test. Each page fails on sideways scrolling, any axe-core
violation whatever its impact (run in the page: WCAG 2.1 A and AA and best practices at 1280 px, the layout's
rules again at 390 px), a console error or a CSP refusal, besides the
checks every journey runs (Visit.check); a page that fails leaves a screenshot under test-artifacts/sweep/.
"""

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import ARTIFACTS, PAGE_WIDTH, PlaywrightError, Visit

try:
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # the dev extra installs it
    Axe = None

ROLES = ["admin", "secretary", "member", "supplier"]
WIDTHS = [1280, 390]
MAX_PAGES = 80  # per role: far above the demo's patterns, a stop if a link ever generates endless new ones
# Links that are not pages: downloads, the JSON API, and what leaves the session.
NOT_PAGES = re.compile(
    r"(\.(csv|pdf|xml|xlsx|json|svg|png|txt)$|/(csv|pdf|ubl|xlsx|download|export|my-data)(/|$)|^/api/|^/sign-out)"
)
# WCAG 2.1 A and AA rules and axe's best practices, where most moderate and minor rules are. Every violation fails,
# whatever its impact: serious and critical ones stop someone using the page (no name, no label, contrast below AA),
# moderate and minor ones make it harder (a skipped heading level, landmarks that are not unique).
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
    "resultTypes": ["violations"],
}
# At the second width only the rules whose outcome depends on the layout (a table that now scrolls, targets now
# close together): the markup and colours are the same, and the whole set at both widths doubles the time.
AXE_LAYOUT_OPTIONS = {
    "runOnly": {"type": "rule", "values": ["scrollable-region-focusable", "target-size"]},
    "resultTypes": ["violations"],
}
# axe-core takes most of a visit's time (1.5 s a page): it runs once per URL pattern and width in a test process,
# for the first role that reaches the page; the other roles' visits still check width, console, CSP and basics.
AXED: set[tuple[str, int]] = set()
SAME_ORIGIN_LINKS = "links => links.map(a => a.href)"


def pattern(path: str) -> str:
    """/pools/12 -> /pools/{id}: one visit stands for every page like it (a query string only filters or pages
    the same template, so it is dropped)."""
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


class Sweep(Visit):
    """A Visit that also fails on console errors, sideways scrolling and axe-core's violations."""

    def __init__(self, page, base_url: str, label: str, width: int):
        super().__init__(page, base_url, label)
        self.width = width
        self.console_errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(f"{page.url}: {m.text}"))
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: {error}"))

    def problems(self, axe, rules: dict | None) -> list[str]:
        """What is wrong with the page shown; axe runs only when given its rules."""
        found = [f"console: {message}" for message in self.console_errors]
        self.console_errors.clear()
        wide = self.page.evaluate(PAGE_WIDTH)
        if wide > self.width:
            found.append(f"{wide} px wide at {self.width} px: it scrolls sideways")
        violations = axe.run(self.page, options=rules).response["violations"] if rules else []
        for violation in violations:
            targets = [" ".join(node["target"]) for node in violation["nodes"][:3]]
            found.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
        return found


def crawl(person: Sweep, check) -> list[str]:
    """The dashboard's reachable pages, one path per pattern, in the order found; `check(path)` runs on each."""
    origin = urlsplit(person.base_url).netloc
    seen, found, queue = set(), [], deque(["/"])
    while queue and len(found) < MAX_PAGES:
        path = queue.popleft()
        try:
            response = person.page.goto(person.base_url + path)
        except PlaywrightError:  # a download that NOT_PAGES did not foresee
            continue
        if response is None or response.status >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        found.append(path)
        check(path)
        for href in person.page.eval_on_selector_all("a[href]", SAME_ORIGIN_LINKS):
            url = urlsplit(urljoin(person.page.url, href))
            if url.scheme not in ("http", "https") or url.netloc != origin or NOT_PAGES.search(url.path):
                continue
            key = pattern(url.path)
            if key not in seen:
                seen.add(key)
                queue.append(url.path)
    return found


def test_a_url_pattern_stands_for_every_page_like_it():
    assert pattern("/pools/12") == pattern("/pools/7") == "/pools/{id}" != pattern("/pools/12/close")
    assert pattern("/billing/3/aged-debt") == "/billing/{id}/aged-debt"
    assert NOT_PAGES.search("/purchase-orders/4/csv") and NOT_PAGES.search("/invoices/2/pdf")
    assert not NOT_PAGES.search("/pools/4") and not NOT_PAGES.search("/catalogue/")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_the_checks_for_each_role_at_both_widths(browser, live_server, request, role, capsys):
    if request.node.callspec.params.get("live_server", BACKENDS[0]) != BACKENDS[0]:
        pytest.skip("presentation is the same on every database: swept on the first only")
    if Axe is None:
        pytest.skip("axe-playwright-python is not installed (the dev extra)")
    axe, failures, storage, paths = Axe(), [], None, []
    shots = ARTIFACTS / "sweep"
    shots.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(
            locale="en-GB",
            timezone_id="Europe/London",
            viewport={"width": width, "height": 844 if width < 600 else 900},
            storage_state=storage,
        )
        try:
            person = Sweep(context.new_page(), live_server, f"{role}-{width}", width)

            def check(path: str, person=person, width=width) -> None:
                found = []
                try:
                    person.check()
                except AssertionError as error:  # the journeys' checks: collected with the rest, not one at a time
                    found.append(str(error))
                rules = AXE_OPTIONS if width == WIDTHS[0] else AXE_LAYOUT_OPTIONS
                if (pattern(path), width) in AXED:  # another role's visit ran axe on this template already
                    rules = None
                AXED.add((pattern(path), width))
                found.extend(person.problems(axe, rules))
                if found:  # a picture of what failed; one of every page would cost a tenth of the sweep
                    slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "dashboard"
                    person.page.screenshot(path=str(shots / f"{role}-{width}-{slug}.png"))
                failures.extend(f"{role} {width} px {path}: {problem}" for problem in found)

            if storage is None:  # signed in once; the second width reuses the cookies (a code works once)
                person.sign_in(f"{role}@example.org")
                storage = context.storage_state()
                paths = crawl(person, check)
            else:
                for path in paths:
                    response = person.page.goto(live_server + path)
                    assert response is not None and response.status < 400, (
                        f"{path} answered {response and response.status}"
                    )
                    check(path)
        finally:
            context.close()
    with capsys.disabled():
        print(f"\n{role}: {len(paths)} pages swept at {' and '.join(map(str, WIDTHS))} px")
    assert len(paths) > 5, f"the crawl found only {paths}"
    (shots / f"pages-{role}.txt").write_text("\n".join(paths))  # what was swept, for the record
    (shots / f"problems-{role}.txt").write_text("\n".join(failures))
    assert not failures, "\n".join(failures)


def test_the_sweep_reports_sideways_scrolling_console_errors_and_axe_violations(browser):
    if Axe is None:
        pytest.skip("axe-playwright-python is not installed (the dev extra)")
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        sweep = Sweep(page, "http://app.test", "probe", 390)
        page.route(
            "http://app.test/",
            lambda route: route.fulfill(
                content_type="text/html",
                body='<html lang="en"><title>t</title><main><h1>Wide</h1><p style="width: 600px">text</p>'
                '<p style="color: #bbb">faint</p><h4>Skipped levels</h4><img src="/missing.png" alt=""></main>',
            ),
        )
        page.goto("http://app.test/")
        problems = "\n".join(sweep.problems(Axe(), AXE_OPTIONS))
        assert "px wide at 390 px: it scrolls sideways" in problems
        assert "console: http://app.test/: Failed to load resource" in problems
        assert "axe color-contrast (serious)" in problems
        assert "axe heading-order (moderate)" in problems
    finally:
        page.close()
