"""Schemathesis against the app's own OpenAPI document, once with the token of each demo role that may use the
operation (the access matrix checks the others' 403).

Every generated request, valid or not, must answer without a 5xx, with a status code and
body the document declares, and with errors in the design's format. FUZZ_EXAMPLES sets the
examples per operation: ten in CI, always the same ones (derandomized, no example
database); a long local run sets it higher (README), which adds the boundary values.
"""

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings

from app.factory import create_app
from kernel.api import openapi_document
from kernel.extensions import db
from organisations import services
from organisations.models import User
from tests.access_rules import FORBIDDEN, RULES
from tests.conftest import BACKENDS, TEST_CONFIG, make_throwaway_database

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# A long run also sends schemathesis' boundary values (explicit examples), five times the requests.
PHASES = [Phase.explicit, Phase.generate] if "FUZZ_EXAMPLES" in os.environ else [Phase.generate]
ROLES = ["admin", "secretary", "member", "supplier"]


class DemoApp:
    """The WSGI app schemathesis calls (its auth probes too): the demo app of the database under test."""

    current = None

    def __call__(self, environ, start_response):
        return self.current(environ, start_response)


DEMO_APP = DemoApp()
# The document depends on the routes alone, so any app makes it; collection needs it before any database exists.
DOCUMENT = openapi_document(create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = DEMO_APP
# A well-formed request can still name no such offer or member: the domain's 422 is an answer, not a rejection;
# so is a rate limit's 429 (the public application endpoint takes five an hour from one address).
schema.config.checks.positive_data_acceptance.expected_statuses = ["2xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture(scope="module", params=BACKENDS)
def demo_app(request, tmp_path_factory):
    """A fresh database with the demo, and an API token for each demo role."""
    url, drop = make_throwaway_database(request.param, tmp_path_factory)
    # Thousands of requests a minute per token: the per-token limit (tests/organisations/test_account_security.py)
    # is not what is fuzzed here.
    app = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url, "API_RATE_LIMIT": "1000000 per minute"})
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        app.config["FUZZ_TOKENS"] = {
            role: services.create_api_token(
                db.session.scalar(db.select(User).filter_by(email=f"{role}@example.org")), "fuzz"
            )[1]
            for role in ROLES
        }
        db.session.commit()
    DEMO_APP.current = app
    yield app
    DEMO_APP.current = None
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    drop()


ROLE_TOKEN: dict[str, str] = {}


@schema.auth(refresh_interval=None)
class RoleToken:
    """The token of the role under test, set as schemathesis' own auth: so a request it generated without
    the Authorization header (a negative case) is known to get it back, not taken for one accepted without."""

    def get(self, case, ctx):
        return ROLE_TOKEN["token"]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# The access rule of each operation, by the "METHOD /path" of the test's name.
_RULE_OF_OPERATION = {endpoint.replace(".", "_"): rule for endpoint, rule in RULES.items()}  # kernel.api's operationId
ACCESS_RULES = {
    f"{method.upper()} {path}": _RULE_OF_OPERATION[operation["operationId"]]
    for path, operations in DOCUMENT["paths"].items()
    for method, operation in operations.items()
}


def refused_whatever_it_sends(test_name: str, role: str) -> bool:
    """The role may not use the operation at all (403 for every organisation's object): the access matrix proves
    that refusal, and fuzzing it would send ten requests for the same 403. A third of the pairs are such."""
    rule = ACCESS_RULES[re.match(r"test_api\[(\w+ [^\]]+)\]", test_name).group(1)]
    return all(side[role] == FORBIDDEN for side in (rule.ours, rule.theirs or rule.ours, rule.sibling or rule.ours))


@pytest.fixture
def role_token(demo_app, role, request):
    """Before any case is generated: the auth above reads it as each case is made."""
    if refused_whatever_it_sends(request.node.name, role):
        pytest.skip("the role may not use this operation: tests/test_access_matrix.py checks the 403")
    ROLE_TOKEN["token"] = demo_app.config["FUZZ_TOKENS"][role]
    yield
    ROLE_TOKEN.pop("token")


def error_format(ctx, response, case):
    """Every error body is {"error": {"code", "message", "fields"}} and nothing else."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"the error body is not JSON: {response.text[:200]!r}") from None
    assert isinstance(body, dict) and list(body) == ["error"], f"not the error format: {body!r}"
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, f"not code, message and fields: {error!r}"
    assert isinstance(error.get("code"), str) and error["code"], f"no code in {error!r}"
    assert isinstance(error.get("message"), str) and error["message"], f"no message in {error!r}"
    fields = error["fields"]
    assert isinstance(fields, dict) and all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(m, str) for m in v) for k, v in fields.items()
    ), f"fields are not name -> [message]: {fields!r}"
    return None


@schema.parametrize()
@pytest.mark.parametrize("role", ROLES)  # per test, not a module fixture: each database's demo is built once
@settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=PHASES,
)
def test_api(case, role_token):
    case.call_and_validate(additional_checks=[error_format])
