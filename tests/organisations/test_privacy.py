"""A person's own data as a download, and an admin erasing a person without breaking invoices."""

import json

import pytest

from joining import services as joining
from joining.models import JoinApplication
from kernel.errors import Conflict, Forbidden
from kernel.extensions import db
from organisations import privacy, services
from organisations.models import Role
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, application_data, sign_in


def test_a_person_downloads_the_data_held_about_them(client, world):
    services.create_api_token(world.member_user, "finance sheet")
    joining.invite(world.admin, world.member_user.email, "Morag Member", Role.MEMBER, world.other_member.id)
    db.session.commit()
    sign_in(client, world.member_user)
    response = client.get("/account/my-data")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "private, no-store"
    data = json.loads(response.data)
    assert data["account"]["email"] == "member@example.org" and data["account"]["name"] == "Morag Member"
    assert [r["organisation"] for r in data["roles"]] == [f"member of {world.member.name}"]
    assert [t["name"] for t in data["api_tokens"]] == ["finance sheet"]
    assert [i["email"] for i in data["joining"]["invitations"]] == ["member@example.org"]
    assert "admin@example.org" not in response.get_data(as_text=True)
    api = client.get("/api/v1/me/data", headers=api_token(world.member_user)).json
    assert api["account"]["email"] == "member@example.org"


def test_an_admin_erases_a_person_and_their_organisations_invoice_still_renders(app, client, world):
    invoice = issued_invoice(world.member)
    headers = api_token(world.member_user)
    member_browser = app.test_client()
    sign_in(member_browser, world.member_user)
    assert member_browser.get("/").status_code == 200

    sign_in(client, world.admin)
    assert client.post(f"/admin/users/{world.member_user.id}/erase", data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(world.member_user)
    erased = world.member_user
    assert erased.name == "Erased person" and erased.email == f"erased-{erased.id}@erased.invalid"
    assert erased.grants == [] and not erased.active
    assert member_browser.get("/").status_code == 302, "the erased person's session has ended"
    assert client.get("/api/v1/me", headers=headers).status_code == 401, "and their API tokens"
    assert "Morag" not in client.get(f"/admin/users/{erased.id}").get_data(as_text=True)

    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    page = secretary.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200 and world.member.name in page.get_data(as_text=True)
    pdf = secretary.get(f"/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert db.session.get(type(invoice), invoice.id).buyer_name == world.member.name


def test_erasing_is_an_admins_and_never_of_oneself_nor_twice(client, world):
    with pytest.raises(Forbidden):
        privacy.erase(world.secretary, world.member_user)
    with pytest.raises(Conflict):
        privacy.erase(world.admin, world.admin)
    privacy.erase(world.admin, world.member_user)
    with pytest.raises(Conflict):
        privacy.erase(world.admin, world.member_user)
    response = client.post(f"/api/v1/users/{world.supplier_user.id}/erase", headers=api_token(world.admin))
    assert response.status_code == 200 and response.json["name"] == "Erased person"
    assert response.json["active"] is False


def test_an_erased_applicants_application_keeps_the_organisation_not_the_person(world):
    application = joining.submit_application(application_data(world.network, person_email="applicant@example.org"))
    user = services.save_user({"email": "applicant@example.org", "name": "Ann Applicant", "password": "x" * 12})
    privacy.erase(world.admin, user)
    db.session.refresh(application)
    assert (application.person_name, application.person_email) == ("Erased person", user.email)
    assert application.legal_name == "Tay Valley Bikes CIC"
    assert db.session.get(JoinApplication, application.id).contact_email.startswith("hello@")
