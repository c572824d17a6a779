"""API tokens page: a token is shown once, only its hash is kept, and revoking it ends it."""

import hashlib
import re

from sqlalchemy import select

from kernel.extensions import db
from organisations import services
from organisations.models import ApiToken
from tests.factories import field_error, sign_in


def create_token(client, name: str = "finance spreadsheet") -> tuple[str, object]:
    response = client.post("/account/tokens", data={"name": name})
    match = re.search(r'id="new-token-value" readonly value="([^"]+)"', response.get_data(as_text=True))
    return (match.group(1) if match else None), response


def everything_stored() -> str:
    """Every value of every row in the database, as one string."""
    with db.engine.connect() as connection:
        return "\n".join(
            str(value)
            for table in db.metadata.sorted_tables
            for row in connection.execute(table.select())
            for value in row
        )


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(client, world):
    sign_in(client, world.member_user)
    plain, response = create_token(client)
    assert response.status_code == 201
    assert plain.startswith("cm_") and len(plain) > 40
    assert "shown only this once" in response.get_data(as_text=True)

    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.member_user.id))
    assert token.name == "finance spreadsheet"
    assert token.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in everything_stored()

    reload = client.get("/account/tokens").get_data(as_text=True)
    assert plain not in reload
    assert "finance spreadsheet" in reload
    assert token.prefix in reload


def test_the_token_authenticates_the_api_until_revoked(client, world):
    sign_in(client, world.member_user)
    plain, _ = create_token(client)
    headers = {"Authorization": f"Bearer {plain}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["email"] == "member@example.org"

    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == world.member_user.id))
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"confirmed": "yes"})
    assert response.status_code == 302
    assert "revoked" in client.get(response.location).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_revoking_someone_elses_token_is_not_found(client, world):
    theirs, _ = services.create_api_token(world.admin, "admin's script")
    db.session.commit()
    sign_in(client, world.member_user)
    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/account/tokens/999999/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, theirs.id).revoked_at is None


def test_a_user_lists_only_their_own_tokens(client, world):
    services.create_api_token(world.admin, "admin's script")
    db.session.commit()
    sign_in(client, world.member_user)
    create_token(client, "my sheet")
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "my sheet" in page
    assert "admin&#39;s script" not in page and "admin's script" not in page


def test_a_token_needs_a_name(client, world):
    sign_in(client, world.member_user)
    for name in ("", "   "):
        plain, response = create_token(client, name)
        assert response.status_code == 422
        assert plain is None
        assert field_error(response, "name") == "This field is required."
    assert db.session.scalar(select(ApiToken)) is None
