"""The API reference is Swagger UI, served by the app under the strict CSP: it draws every tag's operations from the
OpenAPI document, with nothing refused and no console error."""

import pytest

from tests.conftest import BACKENDS


def test_the_api_reference_draws_the_operations_without_a_refusal(visit, request):
    if request.node.callspec.params.get("live_server", BACKENDS[0]) != BACKENDS[0]:
        pytest.skip("the page is the same on every database: checked on the first only")
    opened = visit("stranger")
    page, problems = opened.page, []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(opened.base_url + "/api/docs")
    page.locator(".opblock-tag", has_text="pools").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() > 100, "the operations of every tag are drawn"
    assert page.get_by_role("heading", name="API reference", level=1).is_visible()
    assert problems == []
