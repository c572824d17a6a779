"""Peppol IDs: a scheme from Peppol's list and an identifier of the scheme's shape, on every organisation form."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from kernel.errors import ValidationFailed
from kernel.extensions import db
from organisations import services
from organisations.models import Consortium, Member, Supplier
from organisations.peppol import GLN, Participant, gs1_check_digit, participant, vat_participant
from tests.factories import api_token, field_error, organisation_form, sign_in


def refused(scheme: str | None, identifier: str | None) -> dict[str, list[str]]:
    with pytest.raises(ValidationFailed) as error:
        participant(scheme, identifier)
    return error.value.fields


def test_identifiers_are_tidied_and_uk_vat_numbers_carry_gb():
    assert participant("9932", " gb 301 2345 67 ") == Participant("9932", "GB301234567")
    assert participant("9932", "301234567") == Participant("9932", "GB301234567")
    assert participant("0088", "5060123450002") == Participant("0088", "5060123450002")
    assert participant("0060", "123456789") == Participant("0060", "123456789")
    assert participant("0199", "5493001kjtiigc8y1r12") == Participant("0199", "5493001KJTIIGC8Y1R12")
    assert participant("0204", "991-12345-67") == Participant("0204", "991-12345-67")
    assert participant("", "  ") is None and participant(None, None) is None


@pytest.mark.parametrize(
    ("scheme", "identifier", "fields"),
    [
        ("EM", "shed@example.org", {"peppol_scheme": ["Choose a scheme from Peppol's list."]}),
        ("", "5060123450002", {"peppol_scheme": ["Choose the Peppol ID's scheme, e.g. 9932 for a UK VAT number."]}),
        ("0088", "", {"peppol_id": ["Enter the Peppol ID, or choose no scheme."]}),
        ("9932", "GB12", {"peppol_id": ["A 9932 Peppol ID is a UK VAT number, e.g. GB123456789."]}),
        ("9932", "DE123456789", {"peppol_id": ["A 9932 Peppol ID is a UK VAT number, e.g. GB123456789."]}),
        ("0088", "5060123450003", {"peppol_id": ["A GLN has 13 digits, the last a check digit: check the number."]}),
        ("0088", "506012345000", {"peppol_id": ["A GLN has 13 digits, the last a check digit: check the number."]}),
        ("0060", "12345678", {"peppol_id": ["A D-U-N-S number has 9 digits."]}),
        (
            "0199",
            "5493001KJTIIGC8Y1R13",
            {"peppol_id": ["An LEI has 20 letters and digits, the last two check digits: check the code."]},
        ),
        ("0204", "x" * 51, {"peppol_id": ["Use at most 50 letters, digits and the signs - . _ : /"]}),
        ("0204", "a<b>", {"peppol_id": ["Use at most 50 letters, digits and the signs - . _ : /"]}),
    ],
)
def test_a_scheme_outside_the_list_or_an_identifier_of_the_wrong_shape_is_refused(scheme, identifier, fields):
    assert refused(scheme, identifier) == fields


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 11), st.integers(1, 9))
def test_a_gln_with_any_one_digit_mistyped_is_refused(body, position, change):
    """GS1's check digit catches every single-digit error, so a typo never addresses someone else."""
    gln = body + gs1_check_digit(body)
    assert participant(GLN, gln) == Participant(GLN, gln)
    typo = gln[:position] + str((int(gln[position]) + change) % 10) + gln[position + 1 :]
    assert "peppol_id" in refused(GLN, typo)


def test_a_vat_number_is_a_9932_address_only_when_it_is_a_uk_one():
    assert vat_participant("GB 284 7193 65") == Participant("9932", "GB284719365")
    assert vat_participant(None) is None and vat_participant("IE1234567T") is None


def test_a_member_adds_its_peppol_id_on_its_profile(client, world):
    sign_in(client, world.member_user)
    page = client.get(f"/members/{world.member.id}/profile").get_data(as_text=True)
    assert "Peppol ID" in page and '<option value="9932">9932 United Kingdom VAT number</option>' in page

    response = client.post(
        f"/members/{world.member.id}/profile",
        data=organisation_form(world.member.name, peppol_scheme="0060", peppol_id=" 123 456 789 ", billing_email=""),
    )

    assert response.status_code == 302
    organisation = db.session.get(Member, world.member.id).organisation
    assert (organisation.peppol_scheme, organisation.peppol_id) == ("0060", "123456789")


def test_a_wrong_peppol_id_is_refused_next_to_the_field_and_nothing_saved(client, world):
    sign_in(client, world.member_user)
    before = world.member.organisation.peppol_id

    wrong_gln = client.post(
        f"/members/{world.member.id}/profile",
        data=organisation_form(world.member.name, peppol_scheme="0088", peppol_id="5060123450003", billing_email=""),
    )
    e_mail = client.post(
        f"/members/{world.member.id}/profile",
        data=organisation_form(world.member.name, peppol_scheme="EM", peppol_id="a@example.org", billing_email=""),
    )

    assert wrong_gln.status_code == 422
    assert field_error(wrong_gln, "peppol_id") == "A GLN has 13 digits, the last a check digit: check the number."
    assert e_mail.status_code == 422 and field_error(e_mail, "peppol_scheme") == "Not a valid choice."
    db.session.expire_all()
    assert db.session.get(Member, world.member.id).organisation.peppol_id == before


def consortium_form(**overrides) -> dict:
    return (
        organisation_form("Fife Social Enterprise Consortium", city="Kirkcaldy", postcode="KY1 1XX")
        | {"name": "Fife", "code": "FIF", "peppol_scheme": "", "peppol_id": ""}
        | overrides
    )


def test_a_consortium_without_a_vat_number_must_have_a_peppol_id(client, world):
    sign_in(client, world.admin)

    without = client.post("/admin/consortia/new", data=consortium_form())
    with_gln = client.post(
        "/admin/consortia/new", data=consortium_form(peppol_scheme="0088", peppol_id="5060123450002")
    )

    assert without.status_code == 422
    assert field_error(without, "peppol_id") == services.SELLER_NEEDS_AN_IDENTIFIER
    assert with_gln.status_code == 302
    fife = db.session.scalar(select(Consortium).where(Consortium.code == "FIF"))
    assert fife.organisation.peppol_participant == Participant("0088", "5060123450002")


def test_a_consortium_with_a_vat_number_is_addressed_by_it(client, world):
    sign_in(client, world.admin)

    response = client.post("/admin/consortia/new", data=consortium_form(vat_number="GB 123 4567 89"))

    assert response.status_code == 302
    fife = db.session.scalar(select(Consortium).where(Consortium.code == "FIF"))
    assert fife.organisation.peppol_id is None
    assert fife.organisation.peppol_participant == Participant("9932", "GB123456789")


def test_the_services_refuse_what_the_forms_refuse(world):
    """The rule lives in the services, so the CLI and any API keep it too."""
    with pytest.raises(ValidationFailed) as error:
        services.save_consortium(consortium_form(vat_number=None, peppol_scheme=None, peppol_id=None))
    assert error.value.fields == {"peppol_id": [services.SELLER_NEEDS_AN_IDENTIFIER]}
    db.session.rollback()
    with pytest.raises(ValidationFailed) as error:
        services.update_member_profile(world.member_user, world.member, {"peppol_scheme": "EM", "peppol_id": "x"})
    assert error.value.fields == {"peppol_scheme": ["Choose a scheme from Peppol's list."]}


def test_the_admin_gives_a_supplier_and_a_member_their_peppol_ids(client, world):
    sign_in(client, world.admin)
    supplier = organisation_form(world.supplier.name, peppol_scheme="0088", peppol_id="5030000000019")
    member = organisation_form(world.member.name, peppol_scheme="9932", peppol_id="GB302345678") | {
        "network_id": world.network.id,
        "headcount": "10",
        "turnover_band": world.member.turnover_band.value,
        "billing_email": "",
    }

    assert client.post(f"/admin/suppliers/{world.supplier.id}", data=supplier).status_code == 302
    assert client.post(f"/admin/members/{world.member.id}", data=member).status_code == 302
    db.session.expire_all()
    assert db.session.get(Supplier, world.supplier.id).organisation.peppol_id == "5030000000019"
    assert db.session.get(Member, world.member.id).organisation.peppol_id == "GB302345678"
    edit = client.get(f"/admin/members/{world.member.id}").get_data(as_text=True)
    assert '<option selected value="9932">' in edit and 'value="GB302345678"' in edit


def test_the_api_shows_and_changes_a_members_peppol_id(client, world):
    headers = api_token(world.member_user)
    url = f"/api/v1/members/{world.member.id}/profile"

    before = client.get(url, headers=headers)
    changed = client.patch(url, headers=headers, json={"peppol_scheme": "9932", "peppol_id": "gb301 2345 67"})

    assert before.status_code == 200 and before.json["peppol_scheme"] == "0088"
    assert before.json["legal_name"] == world.member.name and before.json["billing_email"] is None
    assert changed.status_code == 200
    assert (changed.json["peppol_scheme"], changed.json["peppol_id"]) == ("9932", "GB301234567")
    assert changed.json["legal_name"] == world.member.name and changed.json["postcode"] == "DD1 1AA"
    cleared = client.patch(url, headers=headers, json={"peppol_scheme": None, "peppol_id": None})
    assert (cleared.json["peppol_scheme"], cleared.json["peppol_id"]) == (None, None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"peppol_scheme": "EM", "peppol_id": "a@example.org"}, "peppol_scheme", "Choose a scheme from Peppol's list."),
        (
            {"peppol_scheme": "0088", "peppol_id": "5060123450003"},
            "peppol_id",
            "A GLN has 13 digits, the last a check digit: check the number.",
        ),
        (
            {"peppol_id": "5060123450002"},
            "peppol_scheme",
            "Choose the Peppol ID's scheme, e.g. 9932 for a UK VAT number.",
        ),
        ({"peppol_scheme": "0088"}, "peppol_id", "Enter the Peppol ID, or choose no scheme."),
        ({"postcode": "nowhere"}, "postcode", "Enter a UK postcode, e.g. DD1 4HN."),
        ({"legal_name": "  "}, "legal_name", "Missing data for required field."),
    ],
)
def test_the_api_refuses_a_wrong_peppol_id_with_a_field_error(client, world, body, field, message):
    response = client.patch(
        f"/api/v1/members/{world.member.id}/profile", headers=api_token(world.member_user), json=body
    )

    assert response.status_code == 422
    assert response.json["error"]["fields"] == {field: [message]}
    db.session.expire_all()
    assert db.session.get(Member, world.member.id).organisation.peppol_scheme == "0088"
