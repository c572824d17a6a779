"""A member's billing profile: its own users keep it up to date, nobody else sees it."""

from kernel.extensions import db
from organisations.models import Member
from tests.factories import field_error, organisation_form, sign_in


def profile_form(**overrides) -> dict:
    return (
        organisation_form(
            "Re-Tweed Dundee CIC Ltd",
            address_line1="2 Mill Lane",
            city="Dundee",
            postcode="dd2 5ab",
            vat_number="gb 301 2345 67",
        )
        | {"billing_email": "accounts@retweed.example.org"}
        | overrides
    )


def reload(member: Member) -> Member:
    db.session.expire_all()
    return db.session.get(Member, member.id)


def test_a_members_user_edits_the_billing_details(client, world):
    sign_in(client, world.member_user)
    page = client.get(f"/members/{world.member.id}/profile")
    assert page.status_code == 200
    assert 'value="Re-Tweed Dundee CIC"' in page.get_data(as_text=True)

    response = client.post(f"/members/{world.member.id}/profile", data=profile_form())
    assert response.status_code == 302
    assert "Billing details saved." in client.get(response.location).get_data(as_text=True)
    member = reload(world.member)
    assert member.billing_email == "accounts@retweed.example.org"
    assert member.organisation.legal_name == "Re-Tweed Dundee CIC Ltd"
    assert member.organisation.address_line1 == "2 Mill Lane"
    assert member.organisation.postcode == "DD2 5AB"
    assert member.organisation.vat_number == "GB301234567"


def test_the_profile_leaves_network_and_size_to_the_admin(client, world):
    sign_in(client, world.member_user)
    client.post(
        f"/members/{world.member.id}/profile", data=profile_form(network_id=world.other_network.id, headcount="999")
    )
    member = reload(world.member)
    assert (member.network_id, member.headcount) == (world.network.id, 10)


def test_bad_input_is_refused_with_field_errors_and_nothing_saved(client, world):
    sign_in(client, world.member_user)
    response = client.post(
        f"/members/{world.member.id}/profile",
        data=profile_form(legal_name="", postcode="nowhere", vat_number="123", billing_email="accounts"),
    )
    assert response.status_code == 422
    assert field_error(response, "legal_name") == "This field is required."
    assert field_error(response, "postcode") == "Enter a UK postcode, e.g. DD1 4HN."
    assert field_error(response, "vat_number") == "Enter a UK VAT number, e.g. GB123456789."
    assert field_error(response, "billing_email") == "Invalid email address."
    member = reload(world.member)
    assert member.organisation.legal_name == "Re-Tweed Dundee CIC"
    assert member.organisation.postcode == "DD1 1AA"
    assert member.billing_email is None


def test_another_members_profile_is_not_found(client, world):
    sign_in(client, world.member_user)
    assert client.get(f"/members/{world.other_member.id}/profile").status_code == 404
    response = client.post(f"/members/{world.other_member.id}/profile", data=profile_form())
    assert response.status_code == 404
    assert reload(world.other_member).organisation.legal_name == "Leith Community Crops"
    assert client.get("/members/999999/profile").status_code == 404


def test_secretaries_and_suppliers_do_not_edit_member_profiles(client, world):
    for user in (world.secretary, world.supplier_user):
        sign_in(client, user)
        assert client.post(f"/members/{world.member.id}/profile", data=profile_form()).status_code == 404
        client.post("/sign-out")
    assert reload(world.member).organisation.legal_name == "Re-Tweed Dundee CIC"


def test_an_admin_edits_any_members_profile(client, world):
    sign_in(client, world.admin)
    response = client.post(
        f"/members/{world.other_member.id}/profile", data=profile_form(legal_name="Leith Community Crops SCIO")
    )
    assert response.status_code == 302
    assert reload(world.other_member).organisation.legal_name == "Leith Community Crops SCIO"


def test_the_dashboard_links_a_member_to_its_profile(client, world):
    sign_in(client, world.member_user)
    assert f'href="/members/{world.member.id}/profile"' in client.get("/").get_data(as_text=True)
