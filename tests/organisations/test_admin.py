"""The admin's pages: organisations, users and roles managed through the forms."""

import pytest
from sqlalchemy import func, select

from kernel.extensions import db
from kernel.text import CONTROL_MESSAGE
from organisations.models import (
    Consortium,
    Member,
    Network,
    Organisation,
    Role,
    RoleGrant,
    Supplier,
    TurnoverBand,
    User,
)
from tests import factories
from tests.factories import PASSWORD, field_error, organisation_form, sign_in


@pytest.fixture
def admin_client(client, world):
    sign_in(client, world.admin)
    return client


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def consortium_form(**overrides) -> dict:
    return (
        organisation_form("Fife Social Enterprise Consortium", city="Kirkcaldy", postcode="KY1 1XX")
        | {"name": "Fife", "code": "fif", "vat_number": "GB 123 4567 89"}
        | overrides
    )


def member_form(network: int, **overrides) -> dict:
    return (
        organisation_form("Dundee Bike Works")
        | {
            "network_id": network,
            "headcount": "6",
            "turnover_band": "under_100k",
            "billing_email": "accounts@bikeworks.example.org",
            "is_social_enterprise": "y",
        }
        | overrides
    )


def test_admin_creates_a_consortium(admin_client):
    response = admin_client.post("/admin/consortia/new", data=consortium_form())
    assert response.status_code == 302
    fife = db.session.scalar(select(Consortium).where(Consortium.name == "Fife"))
    assert fife.code == "FIF"
    assert fife.organisation.vat_number == "GB123456789"
    assert fife.organisation.postcode == "KY1 1XX"
    assert response.location == f"/admin/consortia/{fife.id}"
    assert "Consortium saved." in admin_client.get(response.location).get_data(as_text=True)
    assert "Fife" in admin_client.get("/admin/consortia").get_data(as_text=True)


BAD_CONSORTIUM_INPUT = [
    ({"code": "tay"}, "code", "Already in use."),
    ({"name": "Tayside"}, "name", "Already in use."),
    ({"postcode": "12345"}, "postcode", "Enter a UK postcode, e.g. DD1 4HN."),
    ({"vat_number": "GB12"}, "vat_number", "Enter a UK VAT number, e.g. GB123456789."),
    ({"legal_name": ""}, "legal_name", "This field is required."),
    ({"legal_name": "   "}, "legal_name", "This field is required."),
    ({"contact_email": "not-an-email"}, "contact_email", "Invalid email address."),
    ({"code": "T4Y"}, "code", "2 to 5 letters."),
    ({"legal_name": "Tayside\x01 CIC"}, "legal_name", CONTROL_MESSAGE),
    ({"address_line1": "1 High\x0bStreet"}, "address_line1", CONTROL_MESSAGE),
    ({"bank_account_name": "Tayside\x1f"}, "bank_account_name", CONTROL_MESSAGE),
]


def test_bad_consortium_input_is_refused_next_to_the_field(admin_client):
    before = count(Consortium)
    for overrides, field, message in BAD_CONSORTIUM_INPUT:
        response = admin_client.post("/admin/consortia/new", data=consortium_form(**overrides))
        assert response.status_code == 422, overrides
        assert field_error(response, field) == message, overrides
    assert count(Consortium) == before


def test_admin_edits_a_consortium_keeping_its_own_code(admin_client, world):
    data = consortium_form(name="Tayside and Fife", code="TAY", legal_name="Tayside & Fife SE Consortium CIC")
    response = admin_client.post(f"/admin/consortia/{world.consortium.id}", data=data)
    assert response.status_code == 302
    consortium = reload(world.consortium)
    assert (consortium.name, consortium.code) == ("Tayside and Fife", "TAY")
    assert consortium.organisation.legal_name == "Tayside & Fife SE Consortium CIC"


def test_editing_with_another_consortiums_code_saves_nothing(admin_client, world):
    response = admin_client.post(f"/admin/consortia/{world.consortium.id}", data=consortium_form(code="LOT"))
    assert response.status_code == 422
    assert field_error(response, "code") == "Already in use."
    assert reload(world.consortium).name == "Tayside"


def test_admin_creates_and_renames_a_network(admin_client, world):
    response = admin_client.post(
        "/admin/networks/new", data={"name": "Angus Network", "consortium_id": world.consortium.id}
    )
    assert response.status_code == 302
    network = db.session.scalar(select(Network).where(Network.name == "Angus Network"))
    assert network.consortium_id == world.consortium.id
    admin_client.post(
        f"/admin/networks/{network.id}", data={"name": "Angus SE Network", "consortium_id": world.consortium.id}
    )
    assert reload(network).name == "Angus SE Network"


def test_a_consortium_cannot_have_two_networks_of_one_name(admin_client, world):
    response = admin_client.post(
        "/admin/networks/new", data={"name": "dundee network", "consortium_id": world.consortium.id}
    )
    assert response.status_code == 422
    assert field_error(response, "name") == "This consortium already has a network of that name."
    same_name_elsewhere = admin_client.post(
        "/admin/networks/new", data={"name": "Dundee Network", "consortium_id": world.other_consortium.id}
    )
    assert same_name_elsewhere.status_code == 302


def test_admin_creates_and_edits_a_member(admin_client, world):
    response = admin_client.post("/admin/members/new", data=member_form(world.network.id))
    assert response.status_code == 302
    member = db.session.scalar(select(Member).join(Organisation).where(Organisation.legal_name == "Dundee Bike Works"))
    assert (member.network_id, member.headcount, member.turnover_band) == (world.network.id, 6, TurnoverBand.UNDER_100K)
    assert member.billing_email == "accounts@bikeworks.example.org"
    assert member.organisation.is_social_enterprise

    edit = admin_client.post(
        f"/admin/members/{member.id}",
        data=member_form(world.other_network.id, headcount="9", turnover_band="100k_500k", vat_number="GB987654321"),
    )
    assert edit.status_code == 302
    member = reload(member)
    assert (member.network_id, member.headcount, member.turnover_band) == (
        world.other_network.id,
        9,
        TurnoverBand.FROM_100K_TO_500K,
    )
    assert member.organisation.vat_number == "GB987654321"


BAD_MEMBER_INPUT = [
    ({"headcount": "-1"}, "headcount", "Number must be between 0 and 100000."),
    ({"headcount": "many"}, "headcount", "Not a valid integer value."),
    ({"turnover_band": "billions"}, "turnover_band", "Invalid Choice: could not coerce."),
    ({"network_id": "999999"}, "network_id", "Not a valid choice."),
    ({"billing_email": "accounts"}, "billing_email", "Invalid email address."),
]


def test_bad_member_input_is_refused(admin_client, world):
    before = count(Member)
    for overrides, field, message in BAD_MEMBER_INPUT:
        response = admin_client.post("/admin/members/new", data=member_form(world.network.id, **overrides))
        assert response.status_code == 422, overrides
        assert message in field_error(response, field), overrides
    assert count(Member) == before


def test_admin_creates_and_edits_a_supplier(admin_client):
    data = organisation_form("Brightside Print & Design CIC") | {
        "description": "Design and print.",
        "is_social_enterprise": "y",
    }
    assert admin_client.post("/admin/suppliers/new", data=data).status_code == 302
    supplier = db.session.scalar(select(Supplier).order_by(Supplier.id.desc()))
    assert supplier.name == "Brightside Print & Design CIC"
    assert supplier.buy_social
    assert supplier.description == "Design and print."

    edit = admin_client.post(
        f"/admin/suppliers/{supplier.id}",
        data=data | {"description": "Design, print and social media.", "is_social_enterprise": ""},
    )
    assert edit.status_code == 302
    supplier = reload(supplier)
    assert supplier.description == "Design, print and social media."
    assert not supplier.buy_social


def test_admin_creates_a_user_who_can_then_sign_in(admin_client, app):
    data = {"email": "New.Person@Example.org", "name": "New Person", "password": "a-long-password"}
    assert admin_client.post("/admin/users/new", data=data).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.check_password("a-long-password")
    fresh = app.test_client()
    assert (
        fresh.post("/sign-in", data={"email": "new.person@example.org", "password": "a-long-password"}).status_code
        == 302
    )


BAD_USER_INPUT = [
    ({"email": "member@example.org", "name": "Again", "password": "a-long-password"}, "email", "Already in use."),
    ({"email": "x@example.org", "name": "X", "password": ""}, "password", "A new user needs a password."),
    (
        {"email": "x@example.org", "name": "X", "password": "short"},
        "password",
        "Field must be between 10 and 200 characters long.",
    ),
    ({"email": "x@example.org", "name": "", "password": "a-long-password"}, "name", "This field is required."),
]


def test_bad_user_input_is_refused(admin_client):
    before = count(User)
    for data, field, message in BAD_USER_INPUT:
        response = admin_client.post("/admin/users/new", data=data)
        assert response.status_code == 422, data
        assert field_error(response, field) == message, data
    assert count(User) == before


def test_editing_a_user_without_a_password_keeps_the_old_one(admin_client, world):
    response = admin_client.post(
        f"/admin/users/{world.member_user.id}", data={"email": "morag@example.org", "name": "Morag M", "password": ""}
    )
    assert response.status_code == 302
    user = reload(world.member_user)
    assert (user.email, user.name) == ("morag@example.org", "Morag M")
    assert user.check_password(PASSWORD)


def test_admin_deactivates_and_reactivates_each_kind_of_record(admin_client, world):
    for section, record in [
        ("consortia", world.consortium),
        ("networks", world.network),
        ("members", world.member),
        ("suppliers", world.supplier),
        ("users", world.member_user),
    ]:
        response = admin_client.post(f"/admin/{section}/{record.id}/active", data={"active": "0", "confirmed": "yes"})
        assert response.status_code == 302
        assert reload(record).active is False, section
        assert "deactivated" in admin_client.get(response.location).get_data(as_text=True)
        admin_client.post(f"/admin/{section}/{record.id}/active", data={"active": "1"})
        assert reload(record).active is True, section


def test_admin_cannot_deactivate_themselves(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.admin.id}/active", data={"active": "0", "confirmed": "yes"})
    assert response.status_code == 409
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert reload(world.admin).active is True


def test_admin_grants_and_removes_each_role(admin_client, world):
    for choice, role, scope_id in [
        ("admin", Role.ADMIN, None),
        (f"member:{world.member.id}", Role.MEMBER, world.member.id),
        (f"secretary:{world.consortium.id}", Role.SECRETARY, world.consortium.id),
        (f"supplier:{world.supplier.id}", Role.SUPPLIER, world.supplier.id),
    ]:
        response = admin_client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": choice})
        assert response.status_code == 302, choice
        user = reload(world.stranger)
        assert [(g.role, g.scope_id) for g in user.grants] == [(role, scope_id)]
        assert "Role granted." in admin_client.get(response.location).get_data(as_text=True)

        again = admin_client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": choice})
        assert again.status_code == 302
        assert len(reload(world.stranger).grants) == 1, "granting twice keeps one grant"

        removed = admin_client.post(
            f"/admin/users/{world.stranger.id}/grants/{user.grants[0].id}/revoke", data={"confirmed": "yes"}
        )
        assert removed.status_code == 302
        assert reload(world.stranger).grants == []


def test_granting_an_unknown_choice_is_refused_and_the_user_form_keeps_its_values(admin_client, world):
    response = admin_client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": "member:999999"})
    assert response.status_code == 422
    assert field_error(response, "grant") == "Not a valid choice."
    assert 'value="nobody@example.org"' in response.get_data(as_text=True)
    assert reload(world.stranger).grants == []


def test_the_last_admin_cannot_lose_the_admin_role(admin_client, world):
    grant_id = world.admin.grants[0].id
    response = admin_client.post(f"/admin/users/{world.admin.id}/grants/{grant_id}/revoke", data={"confirmed": "yes"})
    assert response.status_code == 409
    assert "The last admin cannot lose the admin role." in response.get_data(as_text=True)
    assert reload(world.admin).is_admin


def test_an_admin_role_can_go_while_another_admin_remains(admin_client, world):
    admin_client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": "admin"})
    grant_id = world.admin.grants[0].id
    assert (
        admin_client.post(
            f"/admin/users/{world.admin.id}/grants/{grant_id}/revoke", data={"confirmed": "yes"}
        ).status_code
        == 302
    )
    assert not reload(world.admin).is_admin
    assert reload(world.stranger).is_admin


def test_removing_another_users_grant_through_the_wrong_user_is_404(admin_client, world):
    grant_id = world.member_user.grants[0].id
    response = admin_client.post(
        f"/admin/users/{world.stranger.id}/grants/{grant_id}/revoke", data={"confirmed": "yes"}
    )
    assert response.status_code == 404
    assert db.session.get(RoleGrant, grant_id) is not None


def test_a_member_registered_as_a_supplier_is_the_same_organisation(admin_client, world):
    response = admin_client.post(f"/admin/members/{world.member.id}/supplier")
    assert response.status_code == 302
    supplier = db.session.scalar(select(Supplier).where(Supplier.organisation_id == world.member.organisation_id))
    assert response.location == f"/admin/suppliers/{supplier.id}"
    assert supplier.name == "Re-Tweed Dundee CIC"
    before = count(Supplier)
    admin_client.post(f"/admin/members/{world.member.id}/supplier")
    assert count(Supplier) == before


def test_unknown_section_or_record_is_404(admin_client):
    assert admin_client.get("/admin/widgets").status_code == 404
    assert admin_client.get("/admin/members/999999").status_code == 404


def test_admin_lists_show_each_kind_of_record(admin_client, world):
    for section, text in [
        ("consortia", "Lothians"),
        ("networks", "Edinburgh Network"),
        ("members", "Leith Community Crops"),
        ("suppliers", "Forth IT Support Ltd"),
        ("users", "nobody@example.org"),
    ]:
        response = admin_client.get(f"/admin/{section}")
        assert response.status_code == 200
        assert text in response.get_data(as_text=True)


def test_non_admins_get_403_and_change_nothing(client, world):
    sign_in(client, world.secretary)
    assert client.get("/admin/").status_code == 403
    assert client.post("/admin/consortia/new", data=consortium_form()).status_code == 403
    assert client.post(f"/admin/users/{world.secretary.id}/grants", data={"grant": "admin"}).status_code == 403
    assert not reload(world.secretary).is_admin
    assert db.session.scalar(select(Consortium).where(Consortium.name == "Fife")) is None


def test_strangers_are_sent_to_sign_in(client, world):
    response = client.get("/admin/members")
    assert response.status_code == 302
    assert response.location.startswith("/sign-in?next=")
    assert (
        client.post(f"/admin/members/{world.member.id}/active", data={"active": "0", "confirmed": "yes"}).status_code
        == 302
    )
    assert reload(world.member).active is True


def test_the_choosers_of_a_big_platform_show_a_few_options_and_find_the_rest(admin_client, world, monkeypatch):
    monkeypatch.setattr("kernel.web.PICK_LIMIT", 1)
    last = factories.member(world.other_network, "Zebra Print Coop")
    for _ in range(2):
        factories.network(world.other_consortium)
    db.session.commit()

    member_form = admin_client.get(f"/admin/members/{world.member.id}").get_data(as_text=True)
    assert "Find the network" in member_form and "The list shows the first 2 networks" in member_form
    assert f'selected value="{world.network.id}"' in member_form, "the member's own network stays in the list"

    grant_form = admin_client.get(f"/admin/users/{world.stranger.id}").get_data(as_text=True)
    assert "Find the organisation" in grant_form and "Zebra Print Coop" not in grant_form
    found = admin_client.get(f"/admin/users/{world.stranger.id}?grant_search=zebra").get_data(as_text=True)
    assert f'value="member:{last.id}"' in found and world.member.name not in found

    response = admin_client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": f"member:{last.id}"})
    assert response.status_code == 302, "an organisation left out of the first options can still be granted"
    assert [(g.role, g.scope_id) for g in reload(world.stranger).grants] == [(Role.MEMBER, last.id)]
