"""Signing in and forms with their CSRF token; the API takes a bearer token instead (every route: tests/test_security.py)."""

import re

import pytest

from kernel.api import PREFIX
from kernel.extensions import db
from organisations.models import ApiToken
from tests.factories import PASSWORD, api_token, authenticator_code, with_authenticator


@pytest.fixture
def client(app):
    """A browser on https: it sends the same-origin Referer that Flask-WTF's strict check wants."""
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def sign_in_with_token(client, email: str):
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    return client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token})


@pytest.mark.app_config({"WTF_CSRF_ENABLED": True})
def test_signing_in_needs_the_forms_token(client, world):
    with_authenticator(world.admin)
    refused = client.post("/sign-in", data={"email": world.admin.email, "password": PASSWORD})
    assert refused.status_code == 400
    assert client.get("/").status_code == 302
    assert sign_in_with_token(client, world.admin.email).status_code == 302
    code = {"code": authenticator_code(world.admin)}
    assert client.post("/sign-in/code", data=code).status_code == 400, "the code step needs the token too"
    token = csrf_token(client.get("/sign-in/code").get_data(as_text=True))
    assert client.post("/sign-in/code", data=code | {"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.app_config({"WTF_CSRF_ENABLED": True})
def test_a_form_posted_with_its_token_works(client, world):
    sign_in_with_token(client, world.member_user.email)
    page = client.get("/account/tokens").get_data(as_text=True)
    created = client.post("/account/tokens", data={"name": "sheet", "csrf_token": csrf_token(page)})
    assert created.status_code == 201
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 1


@pytest.mark.app_config({"WTF_CSRF_ENABLED": True})
def test_the_api_takes_a_bearer_token_instead(client, world):
    response = client.post(f"{PREFIX}/offers", headers=api_token(world.supplier_user), json={})
    assert response.status_code == 422
