"""Every page and endpoint, as each role and as a stranger: allowed, 403, 404 or sign-in.

The expectations live in tests/access_rules.py, keyed by endpoint.
"""
from urllib.parse import urlsplit

import pytest

from marketplace.api import PREFIX
from marketplace.app import create_app
from tests.access_rules import ARGUMENTS, DENIED, LOGIN, REDIRECT, ROLES, RULES, STRANGER, UNCHECKED, Context
from tests.conftest import TEST_CONFIG
from tests.factories import api_token, sign_in

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


class UnfillableArgument(LookupError):
    pass


def test_every_endpoint_has_an_access_rule():
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNCHECKED
    missing = sorted(endpoints - RULES.keys())
    stale = sorted(RULES.keys() - endpoints)
    assert not missing, "endpoints without a rule in tests/access_rules.py RULES:\n" + "\n".join(missing)
    assert not stale, "rules in tests/access_rules.py for endpoints that no longer exist:\n" + "\n".join(stale)


def urls(rule, ctx: Context) -> list[tuple[str, str]]:
    """[("ours", url), ("theirs", url)] with URL arguments filled from the world."""
    builders = RULES[rule.endpoint].args
    values = {"ours": {}, "theirs": {}}
    for name in sorted(rule.arguments):
        build = builders.get(name) or ARGUMENTS.get(name)
        if build is None:
            raise UnfillableArgument(
                f"cannot fill URL argument '{name}' of {rule.endpoint} ({rule.rule}): add a builder for it to "
                f"ARGUMENTS in tests/access_rules.py, or args= to its rule")
        values["ours"][name], values["theirs"][name] = build(ctx)
    ours = rule.build(values["ours"])[1]
    theirs = rule.build(values["theirs"])[1]
    return [("ours", ours)] + ([("theirs", theirs)] if theirs != ours else [])


def outcome(response):
    if 300 <= response.status_code < 400:
        return LOGIN if urlsplit(response.location).path == "/sign-in" else REDIRECT
    return response.status_code


@pytest.mark.parametrize("role", ROLES + (STRANGER,))
def test_access_matrix(app, client, world, role):
    user = world.user_for(role)
    token_headers = {}
    if user is not None:
        assert sign_in(client, user).status_code == 302
        token_headers = api_token(user)
    ctx = Context(world, user)
    failures = []
    checked = 0
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
                response = client.open(url, method=method, headers=token_headers if api else {},
                                       json={} if api and method != "GET" else None)
                checked += 1
                actual = outcome(response)
                if actual != expected:
                    failures.append(f"{method} {url} [{rule.endpoint}, {side}]: expected {expected}, got {actual}")
    assert checked, "the matrix requested nothing"
    assert not failures, f"as {role}:\n" + "\n".join(failures)
