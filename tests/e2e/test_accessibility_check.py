"""The accessibility check that every journey runs catches what it claims to."""
from tests.e2e.conftest import ACCESSIBILITY_PROBLEMS

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
    assert problems == ['input "quantity" has no label', 'select "status" has no label',
                        "image data:, has no alt text", "2 h1 elements instead of one",
                        "the first focusable element is not a skip link to the main content"]
