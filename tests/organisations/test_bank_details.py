"""The consortium's bank account, given by the admin: checked, stored as digits, shown as people write it."""

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import select

from kernel.errors import ValidationFailed
from kernel.extensions import db
from kernel.formatting import sort_code
from organisations import services
from organisations.bank import ACCOUNT_NUMBER_MESSAGE, SORT_CODE_MESSAGE, BankAccount, bank_account
from organisations.models import Consortium
from tests.factories import field_error, organisation_form, sign_in

NAME_MESSAGE = "Enter the name on the account, as the bank has it."


@pytest.fixture
def admin_client(client, world):
    sign_in(client, world.admin)
    return client


def reload(consortium: Consortium) -> Consortium:
    db.session.expire_all()
    return db.session.get(Consortium, consortium.id)


def tayside_form(**overrides) -> dict:
    return (
        organisation_form("Tayside Social Enterprise Consortium CIC")
        | {
            "name": "Tayside",
            "code": "TAY",
            "bank_account_name": "Tayside Social Enterprise Consortium CIC",
            "bank_sort_code": "83-44-91",
            "bank_account_number": "10234567",
        }
        | overrides
    )


def account_of(consortium: Consortium) -> tuple:
    consortium = reload(consortium)
    return consortium.bank_account_name, consortium.bank_sort_code, consortium.bank_account_number


@pytest.mark.parametrize("typed", ["83-44-91", "83 44 91", "834491", " 83-44-91 "])
def test_admin_gives_the_consortiums_bank_account(admin_client, world, typed):
    response = admin_client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form(bank_sort_code=typed))

    assert response.status_code == 302
    assert account_of(world.consortium) == ("Tayside Social Enterprise Consortium CIC", "834491", "10234567")
    page = admin_client.get(response.location).get_data(as_text=True)
    assert 'name="bank_sort_code" type="text" value="83-44-91"' in page
    assert 'name="bank_account_number" type="text" value="10234567"' in page


def test_a_new_consortium_can_be_given_its_account_when_created(admin_client):
    data = organisation_form("Fife Social Enterprise Consortium", city="Kirkcaldy", postcode="KY1 1XX") | {
        "vat_number": "GB123456789",
        "name": "Fife",
        "code": "FIF",
        "bank_account_name": "Fife SE Consortium",
        "bank_sort_code": "80 22 60",
        "bank_account_number": "20481357",
    }
    assert admin_client.post("/admin/consortia/new", data=data).status_code == 302

    fife = db.session.scalar(select(Consortium).where(Consortium.code == "FIF"))
    assert account_of(fife) == ("Fife SE Consortium", "802260", "20481357")


BAD_BANK_INPUT = [
    ({"bank_sort_code": "83-44-9"}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_sort_code": "8344911"}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_sort_code": "83/44/91"}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_sort_code": "83-44 91"}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_sort_code": "ab-cd-ef"}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_sort_code": ""}, "bank_sort_code", SORT_CODE_MESSAGE),
    ({"bank_account_number": "1023456"}, "bank_account_number", ACCOUNT_NUMBER_MESSAGE),
    ({"bank_account_number": "102345678"}, "bank_account_number", ACCOUNT_NUMBER_MESSAGE),
    ({"bank_account_number": "1023456x"}, "bank_account_number", ACCOUNT_NUMBER_MESSAGE),
    ({"bank_account_number": ""}, "bank_account_number", ACCOUNT_NUMBER_MESSAGE),
    ({"bank_account_name": ""}, "bank_account_name", NAME_MESSAGE),
    ({"bank_account_name": "   "}, "bank_account_name", NAME_MESSAGE),
    ({"bank_account_name": "x" * 101}, "bank_account_name", "At most 100 characters."),
]


def test_bad_bank_details_are_refused_next_to_the_field(admin_client, world):
    admin_client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form())
    for overrides, field, message in BAD_BANK_INPUT:
        response = admin_client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form(**overrides))
        assert response.status_code == 422, overrides
        assert field_error(response, field) == message, overrides
    assert account_of(world.consortium) == ("Tayside Social Enterprise Consortium CIC", "834491", "10234567")


def test_a_name_alone_is_not_an_account(admin_client, world):
    response = admin_client.post(
        f"/admin/consortia/{world.consortium.id}", data=tayside_form(bank_sort_code="", bank_account_number="")
    )

    assert response.status_code == 422
    assert field_error(response, "bank_sort_code") == SORT_CODE_MESSAGE
    assert field_error(response, "bank_account_number") == ACCOUNT_NUMBER_MESSAGE
    assert field_error(response, "bank_account_name") is None
    assert account_of(world.consortium) == (None, None, None)


def test_bank_mistakes_show_together_with_the_other_fields_mistakes(admin_client, world):
    response = admin_client.post(
        f"/admin/consortia/{world.consortium.id}",
        data=tayside_form(postcode="12345", bank_account_name="", bank_account_number="123"),
    )

    assert response.status_code == 422
    assert field_error(response, "postcode") == "Enter a UK postcode, e.g. DD1 4HN."
    assert field_error(response, "bank_account_name") == NAME_MESSAGE
    assert field_error(response, "bank_account_number") == ACCOUNT_NUMBER_MESSAGE
    assert field_error(response, "bank_sort_code") is None


def test_emptying_all_three_removes_the_account(admin_client, world):
    admin_client.post(f"/admin/consortia/{world.consortium.id}", data=tayside_form())
    response = admin_client.post(
        f"/admin/consortia/{world.consortium.id}",
        data=tayside_form(bank_account_name="", bank_sort_code="", bank_account_number=""),
    )

    assert response.status_code == 302
    assert account_of(world.consortium) == (None, None, None)


def test_the_service_checks_the_account_whoever_calls_it(world):
    data = organisation_form("Tayside Social Enterprise Consortium CIC") | {"name": "Tayside", "code": "TAY"}
    with pytest.raises(ValidationFailed) as refused:
        services.save_consortium(data | {"bank_sort_code": "83-44-91"}, world.consortium)
    assert refused.value.fields == {
        "bank_account_name": [NAME_MESSAGE],
        "bank_account_number": [ACCOUNT_NUMBER_MESSAGE],
    }
    db.session.rollback()

    services.save_consortium(tayside_form(bank_sort_code="83 44 91"), world.consortium)
    db.session.commit()
    services.save_consortium(data | {"legal_name": "Tayside SE Consortium CIC"}, world.consortium)
    db.session.commit()

    assert account_of(world.consortium) == ("Tayside Social Enterprise Consortium CIC", "834491", "10234567")


def test_the_demo_consortia_have_bank_accounts(demo_app):
    accounts = {
        c.code: (c.bank_account_name, c.bank_sort_code, c.bank_account_number)
        for c in db.session.scalars(select(Consortium))
    }
    assert accounts["TAY"] == ("Tayside Social Enterprise Consortium CIC", "834491", "10234567")
    assert all(len(sort) == 6 and len(number) == 8 for _, sort, number in accounts.values())


@given(
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["", "-", " "]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
)
def test_a_sort_code_however_written_is_stored_as_its_digits(digits, separator, number):
    typed = separator.join((digits[:2], digits[2:4], digits[4:]))

    account = bank_account("A Consortium", typed, number)

    assert account == BankAccount("A Consortium", digits, number)
    assert sort_code(account.sort_code) == f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"


@example("١٢-٣٤-٥٦")
@example("12-34-56-")
@given(st.text(alphabet=st.sampled_from("0123456789- x٣\n"), max_size=10) | st.text(max_size=10))
def test_a_sort_code_is_stored_as_six_plain_digits_or_refused(typed):
    try:
        account = bank_account("A Consortium", typed or "x", "12345678")
    except ValidationFailed as refused:
        assert refused.fields == {"bank_sort_code": [SORT_CODE_MESSAGE]}
    else:
        assert re.fullmatch("[0-9]{6}", account.sort_code)
        assert account.sort_code == "".join(typed.strip().replace("-", " ").split())


def test_nothing_given_is_no_account():
    assert bank_account(None, "", "  ") == BankAccount(None, None, None)
