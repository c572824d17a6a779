"""Issued invoices and credit notes never change and are never deleted; only payments and credits move them."""

import pytest

from billing.models import CreditNote, Invoice, InvoiceStatus, IssuedDocumentChanged
from billing.payments import record_payment
from billing.services import full_credit, issue_credit_note
from kernel.errors import Conflict
from kernel.extensions import db


@pytest.fixture
def note(world, invoice):
    note = issue_credit_note(world.secretary, invoice, full_credit(invoice)[:1], "Short delivery")
    db.session.commit()
    return note


@pytest.mark.parametrize(
    "change",
    [
        lambda invoice: setattr(invoice, "net_pence", invoice.net_pence + 1),
        lambda invoice: setattr(invoice, "number", "TAY-2026-999999"),
        lambda invoice: setattr(invoice, "due_date", invoice.due_date.replace(year=2099)),
        lambda invoice: setattr(invoice, "buyer_name", "Someone Else Ltd"),
        lambda invoice: setattr(invoice.lines[0], "description", "Something else"),
        lambda invoice: setattr(invoice.lines[0], "net_pence", 1),
        lambda invoice: setattr(invoice.vat_lines[0], "vat_pence", 0),
    ],
)
def test_an_issued_invoice_cannot_be_edited(invoice, change):
    change(invoice)
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()
    stored = db.session.get(Invoice, invoice.id)
    assert (stored.net_pence, stored.lines[0].description) == (10_000, "Copier paper, ream")


def test_an_issued_invoice_or_credit_note_cannot_be_deleted(invoice, note):
    for document in (note, note.lines[0], invoice, invoice.lines[0]):
        db.session.delete(document)
        with pytest.raises(IssuedDocumentChanged):
            db.session.flush()
        db.session.rollback()
    assert db.session.get(Invoice, invoice.id) and db.session.get(CreditNote, note.id)


def test_a_credit_note_cannot_be_edited(note):
    note.reason = "Something nicer"
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()


def test_payments_and_credit_notes_still_move_the_invoice(world, invoice):
    record_payment(world.secretary, invoice, 5_000, invoice.issue_date, "BACS 1")
    db.session.commit()
    assert (invoice.status, invoice.paid_pence) == (InvoiceStatus.PART_PAID, 5_000)
    note = issue_credit_note(world.secretary, invoice, full_credit(invoice), "Returned")
    db.session.commit()
    db.session.refresh(invoice)
    assert (invoice.status, invoice.credited_pence) == (InvoiceStatus.CREDITED, note.total_pence)


def test_crediting_more_than_is_left_says_what_is_left_in_pounds(world, invoice, note):
    with pytest.raises(Conflict, match=r"Only £0\.00 is left to credit on invoice TEST-"):
        issue_credit_note(world.secretary, invoice, full_credit(invoice), "Again")
