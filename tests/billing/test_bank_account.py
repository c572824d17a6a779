"""The consortium's bank account is copied onto each invoice and credit note when issued, and shown to members."""

from billing import services
from kernel.extensions import db
from tests.billing.test_invoicing import delivered_order
from tests.factories import sign_in


def give_bank_account(consortium) -> None:
    consortium.bank_account_name = "Tayside Social Enterprise Consortium CIC"
    consortium.bank_sort_code = "834491"
    consortium.bank_account_number = "10234567"


def test_invoices_and_credit_notes_keep_the_account_they_were_issued_with(world):
    give_bank_account(world.consortium)
    order = delivered_order(world)
    invoices = services.issue_invoices(world.secretary, order.id)
    db.session.commit()

    assert {(i.seller_bank_account_name, i.seller_sort_code, i.seller_account_number) for i in invoices} == {
        ("Tayside Social Enterprise Consortium CIC", "834491", "10234567")
    }
    world.consortium.bank_account_name = "Tayside Consortium (new bank)"
    world.consortium.bank_sort_code, world.consortium.bank_account_number = "401276", "87654321"
    db.session.commit()
    invoice = invoices[0]
    note = services.issue_credit_note(world.secretary, invoice, services.full_credit(invoice), "Cancelled")
    db.session.commit()
    db.session.expire_all()

    assert (invoice.seller_sort_code, invoice.seller_account_number) == ("834491", "10234567")
    assert (note.seller_bank_account_name, note.seller_sort_code, note.seller_account_number) == (
        "Tayside Social Enterprise Consortium CIC",
        "834491",
        "10234567",
    )


def test_a_consortium_without_an_account_issues_invoices_without_one(world):
    invoice = services.issue_invoices(world.secretary, delivered_order(world, quantities=(7,)).id)[0]

    assert (invoice.seller_bank_account_name, invoice.seller_sort_code, invoice.seller_account_number) == (
        None,
        None,
        None,
    )


def test_the_invoice_page_says_which_account_to_pay_into(client, world):
    give_bank_account(world.consortium)
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)

    assert (
        f"Pay by bank transfer to Tayside Social Enterprise Consortium CIC, sort code 83-44-91, "
        f"account 10234567, quoting <strong>{invoice.number}</strong>."
    ) in page


def test_without_an_account_the_page_asks_only_for_the_reference(client, world):
    order = delivered_order(world)
    invoice = next(i for i in services.issue_invoices(world.secretary, order.id) if i.member_id == world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)

    assert f"Pay by bank transfer quoting <strong>{invoice.number}</strong>." in page
    assert "sort code" not in page
