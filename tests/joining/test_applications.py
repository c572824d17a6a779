"""Applying to join a network from the public page, and the secretary's decision."""

import pytest
from sqlalchemy import func, select

from joining import services
from joining.models import ApplicationStatus, JoinApplication
from kernel.errors import Conflict
from kernel.extensions import db
from organisations.audit import AuditEntry
from organisations.models import Member, OutboxMessage, Role, TurnoverBand
from tests import factories
from tests.factories import api_token, application_data, field_error, invitation_link, sign_in


def _form(world, **overrides) -> dict:
    data = application_data(world.network) | {"turnover_band": "under_100k", "website": ""}
    return {k: ("" if v is None else v) for k, v in data.items()} | overrides


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(JoinApplication))


def test_a_social_enterprise_applies_and_its_networks_secretary_sees_it(client, world):
    page = client.get("/join").get_data(as_text=True)
    assert "Dundee Network (Tayside)" in page and "Edinburgh Network (Lothians)" in page
    response = client.post("/join", data=_form(world))
    assert response.status_code == 200 and "your application is sent" in response.get_data(as_text=True)
    application = db.session.scalar(select(JoinApplication))
    assert (application.legal_name, application.status, application.turnover_band) == (
        "Tay Valley Bikes CIC",
        ApplicationStatus.PENDING,
        TurnoverBand.UNDER_100K,
    )
    sign_in(client, world.secretary)
    assert "1 application to decide." in client.get("/").get_data(as_text=True)
    assert "Tay Valley Bikes CIC" in client.get("/applications").get_data(as_text=True)
    other = client.application.test_client()

    their_secretary = factories.user(None, (Role.SECRETARY, world.other_consortium.id))
    db.session.commit()
    sign_in(other, their_secretary)
    assert "Tay Valley Bikes CIC" not in other.get("/applications").get_data(as_text=True)
    assert other.get(f"/applications/{application.id}").status_code == 404


def test_the_same_email_or_company_number_twice_is_refused_with_a_clear_message(client, world):
    first = _form(world)
    assert client.post("/join", data=first).status_code == 200
    again = client.post("/join", data=first | {"legal_name": "Another Name"})
    assert again.status_code == 422
    assert "already exists" in field_error(again, "contact_email")
    assert "already exists" in field_error(again, "company_number")
    number_only = client.post(
        "/join",
        data=first | {"contact_email": "new@x.example.org", "person_email": "new-person@x.example.org"},
    )
    assert number_only.status_code == 422 and field_error(number_only, "contact_email") is None
    assert "company number" in field_error(number_only, "company_number")
    members_email = client.post(
        "/join",
        data=_form(
            world,
            contact_email=world.member.organisation.contact_email.upper(),
            person_email="p@y.example.org",
            company_number="SC999999",
        ),
    )
    assert members_email.status_code == 422 and "already exists" in field_error(members_email, "contact_email")
    assert _count() == 1


def test_a_robot_that_fills_the_hidden_field_is_thanked_and_nothing_is_kept(client, world):
    response = client.post("/join", data=_form(world, website="http://spam.example"))
    assert response.status_code == 200 and "your application is sent" in response.get_data(as_text=True)
    assert _count() == 0


@pytest.mark.app_config({"JOIN_LIMIT": "2 per hour"})
def test_applications_are_rate_limited(client, world):
    for n in range(2):
        client.post(
            "/join",
            data=_form(
                world,
                contact_email=f"a{n}@x.example.org",
                person_email=f"p{n}@x.example.org",
                company_number=f"SC10000{n}",
            ),
        )
    assert _count() == 2
    refused = client.post(
        "/join",
        data=_form(world, contact_email="a9@x.example.org", person_email="p9@x.example.org", company_number="SC100009"),
    )
    assert refused.status_code == 429 and _count() == 2


def test_approving_makes_the_member_and_invites_its_first_user(app, client, world):
    application = services.submit_application(application_data(world.network))
    db.session.commit()
    sign_in(client, world.secretary)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "iona@tay-valley-bikes-cic.example.org" in page
    assert client.post(f"/applications/{application.id}/approve").status_code == 302
    member = db.session.scalar(select(Member).join(Member.organisation).where(Member.id == application.member_id))
    assert (member.name, member.network_id, member.headcount) == ("Tay Valley Bikes CIC", world.network.id, 4)
    assert member.organisation.company_number == application.company_number
    assert application.status is ApplicationStatus.APPROVED and application.decided_at is not None
    assert application.decided_by_id == world.secretary.id
    link = invitation_link("iona@tay-valley-bikes-cic.example.org")
    newcomer = app.test_client()
    newcomer.post(link, data={"password": "bikes-and-more", "confirm": "bikes-and-more"})
    assert "Tay Valley Bikes CIC" in newcomer.get("/").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"application_approved", "invitation_sent", "invitation_accepted"} <= actions
    with pytest.raises(Conflict):
        services.approve(world.secretary, application)


def test_declining_needs_a_reason_and_emails_it_to_the_applicant(client, world):
    application = services.submit_application(application_data(world.network))
    db.session.commit()
    sign_in(client, world.secretary)
    empty = client.post(f"/applications/{application.id}/decline", data={"reason": " "})
    assert empty.status_code == 422 and field_error(empty, "reason")
    response = client.post(f"/applications/{application.id}/decline", data={"reason": "We only take Tayside members."})
    assert response.status_code == 302
    db.session.refresh(application)
    assert application.status is ApplicationStatus.DECLINED and application.member_id is None
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "application_declined"))
    assert message.to_email == "iona@tay-valley-bikes-cic.example.org"
    assert "We only take Tayside members." in message.body_text
    assert "0 applications" not in client.get("/").get_data(as_text=True)
    assert "No applications to decide." in client.get("/").get_data(as_text=True)


def test_the_api_takes_applications_without_a_token_and_secretaries_decide_them(client, world):
    body = application_data(world.network) | {"turnover_band": "under_100k"}
    assert client.post("/api/v1/applications", json=body).status_code == 201
    duplicate = client.post("/api/v1/applications", json=body)
    assert duplicate.status_code == 422 and "contact_email" in duplicate.json["error"]["fields"]
    listed = client.get("/api/v1/applications", headers=api_token(world.secretary)).json
    assert listed["total"] == 1
    application_id = listed["items"][0]["id"]
    declined = client.post(
        f"/api/v1/applications/{application_id}/decline", headers=api_token(world.secretary), json={"reason": "Full"}
    )
    assert declined.status_code == 200 and declined.json["status"] == "declined"
    again = client.post(f"/api/v1/applications/{application_id}/approve", headers=api_token(world.secretary))
    assert again.status_code == 409
