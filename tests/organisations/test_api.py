"""The API base: bearer tokens, the error format, /me and the OpenAPI document."""

import re

from openapi_spec_validator import validate

from kernel.api import PREFIX
from kernel.extensions import db
from organisations import services
from tests.factories import api_token, sign_in


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The design's error format: {"error": {"code", "message", "fields"}}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"]
    assert isinstance(body["error"]["code"], str) and body["error"]["code"]
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)
    if code is not None:
        assert body["error"]["code"] == code
    return body["error"]


def assert_unauthorised(response) -> None:
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_lists_each_roles_user_and_organisations(client, world):
    expected = {
        "admin": [{"role": "admin", "organisation_type": None, "organisation_id": None, "organisation_name": None}],
        "secretary": [
            {
                "role": "secretary",
                "organisation_type": "consortium",
                "organisation_id": world.consortium.id,
                "organisation_name": "Tayside",
            }
        ],
        "member": [
            {
                "role": "member",
                "organisation_type": "member",
                "organisation_id": world.member.id,
                "organisation_name": "Re-Tweed Dundee CIC",
            }
        ],
        "supplier": [
            {
                "role": "supplier",
                "organisation_type": "supplier",
                "organisation_id": world.supplier.id,
                "organisation_name": "Caledonian Office Supplies Ltd",
            }
        ],
        "no_role": [],
    }
    for role, roles in expected.items():
        user = world.user_for(role)
        response = client.get(f"{PREFIX}/me", headers=api_token(user))
        assert response.status_code == 200, role
        body = response.get_json()
        token = body.pop("token")
        assert body == {"id": user.id, "email": user.email, "name": user.name, "roles": roles}
        assert token["name"] == "tests" and token["read_only"] is False


def test_no_token_or_a_malformed_header_is_401(client, world):
    valid = api_token(world.member_user)["Authorization"].split()[1]
    assert_unauthorised(client.get(f"{PREFIX}/me"))
    for header in [
        "Bearer",
        "Bearer ",
        f"Basic {valid}",
        f"Token {valid}",
        f"Bearer{valid}",
        "Bearer cm_not-a-token",
        f"Bearer {valid}x",
        valid,
    ]:
        assert_unauthorised(client.get(f"{PREFIX}/me", headers={"Authorization": header}))
    assert client.get(f"{PREFIX}/me", headers={"Authorization": f"bearer {valid}"}).status_code == 200


def test_a_revoked_token_is_401(client, world):
    token, plain = services.create_api_token(world.member_user, "script")
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get(f"{PREFIX}/me", headers=headers).status_code == 200
    services.revoke_api_token(world.member_user, token.id)
    db.session.commit()
    assert_unauthorised(client.get(f"{PREFIX}/me", headers=headers))


def test_a_deactivated_users_token_is_401(client, world):
    headers = api_token(world.member_user)
    world.member_user.active = False
    db.session.commit()
    assert_unauthorised(client.get(f"{PREFIX}/me", headers=headers))


def test_a_session_cookie_alone_does_not_authenticate_the_api(client, world):
    assert sign_in(client, world.admin).status_code == 302
    assert client.get("/").status_code == 200
    assert_unauthorised(client.get(f"{PREFIX}/me"))


def test_unknown_routes_answer_json_404_even_without_a_token(client, world):
    for path in [f"{PREFIX}/nothing-here", f"{PREFIX}/me/extra", PREFIX, f"{PREFIX}/"]:
        assert_error(client.get(path), 404, "not_found")
    assert_error(client.get(f"{PREFIX}/nothing-here", headers=api_token(world.admin)), 404, "not_found")


def test_a_wrong_method_answers_json_405(client, world):
    headers = api_token(world.member_user)
    assert_error(client.post(f"{PREFIX}/me", headers=headers, json={}), 405, "method_not_allowed")
    assert_error(client.delete(f"{PREFIX}/openapi.json"), 405, "method_not_allowed")


def test_the_openapi_document_is_public_valid_and_covers_every_api_route(app, client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.")

    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in document["paths"].get(path, {}):
                missing.append(f"{method} {path} ({rule.endpoint})")
    assert not missing, "routes missing from the OpenAPI document:\n" + "\n".join(missing)


def test_protected_operations_declare_the_bearer_scheme_and_401(client):
    document = client.get(f"{PREFIX}/openapi.json").get_json()
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    me = document["paths"][f"{PREFIX}/me"]["get"]
    assert me["security"] == [{"bearer": []}]
    assert "401" in me["responses"]
    assert document["paths"][f"{PREFIX}/openapi.json"]["get"]["security"] == []
