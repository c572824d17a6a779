"""Every page, as each role, refuses a hostile query string with a 400 or a 404, never a 500.

A NUL cannot be held by PostgreSQL text, a page number of 10^18 overflows an OFFSET and an id of
2^31 an INTEGER column: each reaches the database unless the page checks it first. The routes and
their URLs are the access matrix's (tests/access_rules.py).
"""

import pytest

from kernel.api import PREFIX
from kernel.extensions import db
from tests.access_rules import OK, RULES, UNCHECKED, Context
from tests.factories import sign_in
from tests.test_access_matrix import urls

# Every argument a page reads from its query string.
TEXT_ARGS = ("q", "category", "supplier", "buy_social", "status", "sort", "offer_id", "about_to_tip", "member_id")
TEXT_ARGS += ("from_date", "to_date", "scope", "id", "paid", "next", "page", "orders_page", "participants_page")
HUGE = str(10**18)
PAGE_ARGS = ("page", "orders_page", "participants_page", "lines_page", "members_page")
ID_ARGS = ("member_id", "offer_id", "id")

HOSTILE = {
    "a NUL in every argument": ({name: "a\x00b" for name in TEXT_ARGS}, {400}),
    "a control character in an argument's name": ({"q\x01": "x"}, {400}),
    "page 10^18": ({name: HUGE for name in PAGE_ARGS}, {200, 404}),
    "an id of 2^31": ({name: str(2**31) for name in ID_ARGS}, {200, 404}),
    "an id of -2^31 - 1": ({name: str(-(2**31) - 1) for name in ID_ARGS}, {200, 404}),
}


def _pages(app, ctx: Context, role: str) -> list[str]:
    """The URLs of every HTML page `role` may open."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in UNCHECKED or rule.endpoint not in RULES or "GET" not in rule.methods:
            continue
        if rule.rule.startswith(PREFIX + "/") or RULES[rule.endpoint].expected(role, "ours", False) != OK:
            continue
        found.append(urls(rule, ctx)[0][1])
    return found


@pytest.mark.parametrize("role", ("admin", "secretary", "member", "supplier"))
def test_every_page_refuses_hostile_query_strings(app, client, world, role):
    user = world.user_for(role)
    assert sign_in(client, user).status_code == 302
    pages = _pages(app, Context(world, user), role)
    assert len(pages) > 20, pages
    failures = []
    for url in pages:
        for name, (query, allowed) in HOSTILE.items():
            try:
                status = client.get(url, query_string=query).status_code
            except Exception as error:  # a page that raises is what this test looks for
                db.session.rollback()
                failures.append(f"{url} with {name}: raised {error!r:.200}")
                continue
            if status not in allowed | {302}:
                failures.append(f"{url} with {name}: {status}, expected one of {sorted(allowed)}")
    assert not failures, f"as {role}:\n" + "\n".join(failures)


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        ("member", "/catalogue/?q=%00", 400),
        ("member", "/catalogue/?category=%00", 400),
        ("member", "/statement?member_id=2147483648", 404),
        ("member", f"/invoices/?page={HUGE}", 404),
        ("secretary", f"/purchase-orders/?page={HUGE}", 404),
        ("member", "/invoices/?page=2", 200),
        ("member", "/invoices/?page=" + "9" * 5000, 404),
        ("member", "/statement?member_id=-" + "9" * 5000, 404),
    ],
)
def test_the_reported_urls(client, world, role, url, status):
    sign_in(client, world.user_for(role))
    response = client.get(url)
    assert response.status_code == status
    if status == 400:
        assert b"invisible character" in response.data
