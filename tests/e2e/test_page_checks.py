"""The checks every journey runs on every page catch what they claim to."""

import pytest

from tests.e2e.conftest import ACCESSIBILITY_PROBLEMS, Visit

GOOD = """<a href="#content">Skip to main content</a><main id="content"><h1>Title</h1>
<label for="q">Quantity</label><input id="q"><label>Note <textarea></textarea></label>
<select aria-label="Status"></select><input type="hidden" name="csrf"><button>Go</button><img src="data:," alt=""></main>"""

BAD = """<a href="/elsewhere">Home</a><main id="content"><h1>One</h1><h1>Two</h1>
<input name="quantity"><label for="missing">Ghost</label><select name="status"></select><img src="data:,"></main>"""


def test_a_page_with_the_basics_passes(browser):
    page = browser.new_page()
    page.set_content(GOOD)
    assert page.evaluate(ACCESSIBILITY_PROBLEMS) == []
    page.close()


def test_each_missing_basic_is_reported(browser):
    page = browser.new_page()
    page.set_content(BAD)
    problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
    page.close()
    assert problems == [
        'input "quantity" has no label',
        'select "status" has no label',
        "image data:, has no alt text",
        "2 h1 elements instead of one",
        "the first focusable element is not a skip link to the main content",
    ]


def test_what_the_content_security_policy_refuses_fails_the_page(browser):
    page = browser.new_page()
    page.route(
        "http://app.test/",
        lambda route: route.fulfill(
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'"},
            body=f"{GOOD}<p style='color: red'>inline style</p>",
        ),
    )
    with pytest.raises(AssertionError, match="refused by the Content-Security-Policy"):
        Visit(page, "http://app.test", "probe").goto("/")
    page.close()
