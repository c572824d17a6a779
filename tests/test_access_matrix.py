"""Every page and endpoint, as each role and as a stranger: allowed, 403, 404 or sign-in.

The expectations live in tests/access_rules.py, keyed by endpoint.
"""

from urllib.parse import urlsplit

import pytest

from app.factory import create_app
from kernel.api import PREFIX
from tests.access_rules import ARGUMENTS, DENIED, LOGIN, REDIRECT, ROLES, RULES, SIBLINGS, STRANGER, UNCHECKED, Context
from tests.conftest import TEST_CONFIG
from tests.factories import api_token, sign_in

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


class UnfillableArgument(LookupError):
    pass


def _unruled(app) -> tuple[list[str], list[str]]:
    """(endpoints of the URL map without a rule, rules for endpoints no longer in it)."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNCHECKED
    return sorted(endpoints - RULES.keys()), sorted(RULES.keys() - endpoints)


def _matrix_app():
    return create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_every_endpoint_has_an_access_rule():
    missing, stale = _unruled(_matrix_app())
    assert not missing, "endpoints without a rule in tests/access_rules.py RULES:\n" + "\n".join(missing)
    assert not stale, "rules in tests/access_rules.py for endpoints that no longer exist:\n" + "\n".join(stale)


def test_a_route_added_without_a_rule_is_reported():
    app = _matrix_app()
    app.add_url_rule("/pools/<int:pool_id>/export", "orders.new_export", lambda pool_id: "")
    assert _unruled(app) == (["orders.new_export"], [])


def urls(rule, ctx: Context) -> list[tuple[str, str]]:
    """[("ours", url), ("theirs", url), ("sibling", url)] with URL arguments filled from the world.

    The sibling variant is there when an argument names a member's or a supplier's object.
    """
    builders = RULES[rule.endpoint].args
    values = {"ours": {}, "theirs": {}}
    siblings = {}
    for name in sorted(rule.arguments):
        build = builders.get(name) or ARGUMENTS.get(name)
        if build is None:
            raise UnfillableArgument(
                f"cannot fill URL argument '{name}' of {rule.endpoint} ({rule.rule}): add a builder for it to "
                f"ARGUMENTS in tests/access_rules.py, or args= to its rule"
            )
        values["ours"][name], values["theirs"][name] = build(ctx)
        if name not in builders and name in SIBLINGS:
            siblings[name] = SIBLINGS[name](ctx)
    variants = [("ours", rule.build(values["ours"])[1])]
    theirs = rule.build(values["theirs"])[1]
    if theirs != variants[0][1]:
        variants.append(("theirs", theirs))
    if siblings:
        variants.append(("sibling", rule.build(values["ours"] | siblings)[1]))
    return variants


def outcome(response):
    if 300 <= response.status_code < 400:
        return LOGIN if urlsplit(response.location).path == "/sign-in" else REDIRECT
    return response.status_code


@pytest.mark.parametrize("role", (*ROLES, STRANGER))
def test_access_matrix(app, client, world, role):
    user = world.user_for(role)
    token_headers = {}
    if user is not None:
        assert sign_in(client, user).status_code == 302
        token_headers = api_token(user)
    ctx = Context(world, user)
    failures = []
    checked = 0
    sides = set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint in UNCHECKED or rule.endpoint not in RULES:
            continue
        api = rule.rule.startswith(PREFIX + "/")
        try:
            variants = urls(rule, ctx)
        except UnfillableArgument as error:
            failures.append(str(error))
            continue
        for side, url in variants:
            expected = RULES[rule.endpoint].expected(role, side, api)
            for method in sorted(rule.methods - SKIPPED_METHODS):
                if method != "GET" and expected not in DENIED:
                    continue
                response = client.open(
                    url,
                    method=method,
                    headers=token_headers if api else {},
                    json={} if api and method != "GET" else None,
                )
                checked += 1
                sides.add(side)
                actual = outcome(response)
                if actual != expected:
                    failures.append(f"{method} {url} [{rule.endpoint}, {side}]: expected {expected}, got {actual}")
    assert checked, "the matrix requested nothing"
    assert sides == {"ours", "theirs", "sibling"}, sides
    assert not failures, f"as {role}:\n" + "\n".join(failures)


def test_lists_hold_only_the_users_own_organisations_objects(client, world):
    """The lists name no other member's pledges or invoices and no other supplier's orders."""
    ctx = Context(world, None)
    for name in ("order_id", "invoice_id"):
        ARGUMENTS[name](ctx)
    our_order, their_order, sibling_order = ctx.cache["order_id"]
    our_invoice, their_invoice, sibling_invoice = ctx.cache["invoice_id"]
    sibling_member = ctx.cache["sibling_member"].id

    def listed(user, url, key="items"):
        response = client.get(url, headers=api_token(user), query_string={"per_page": 200})
        assert response.status_code == 200, (url, response.json)
        return response.json[key]

    pledges = listed(world.member_user, "/api/v1/pledges")
    assert pledges and {p["member_id"] for p in pledges} == {world.member.id}
    invoices = listed(world.member_user, "/api/v1/invoices")
    assert [i["id"] for i in invoices] == [our_invoice]
    orders = {o["id"] for o in listed(world.supplier_user, "/api/v1/purchase-orders")}
    assert orders == {our_order}
    secretary_invoices = {i["id"] for i in listed(world.secretary, "/api/v1/invoices")}
    assert secretary_invoices == {our_invoice, sibling_invoice}
    assert {o["id"] for o in listed(world.secretary, "/api/v1/purchase-orders")} == {our_order, sibling_order}
    assert their_order not in orders and their_invoice not in secretary_invoices
    assert sibling_member not in {p["member_id"] for p in pledges}
