"""The audit log: what is recorded, who searches it, and that nobody edits it."""

from datetime import date

import pytest
from sqlalchemy import select

from billing import payments
from billing import services as billing_services
from kernel.errors import Conflict
from kernel.extensions import db
from orders import closing
from orders import services as orders_services
from organisations import audit
from organisations.audit import AuditEntry
from organisations.models import Role
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, organisation_form, sign_in
from tests.orders.conftest import make_offer, make_pool


def _entries() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_money_and_pool_actions_are_recorded_with_who_and_where(client, world):
    invoice = issued_invoice(world.member)
    sign_in(client, world.secretary)
    response = client.post(
        f"/invoices/{invoice.id}/payments",
        data={"amount": "50.00", "received_on": "2026-03-10", "reference": "BACS 1"},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.status_code == 302
    payments.record_refund(world.secretary, invoice, 1_000, date(2026, 3, 11), "Refund 1")
    billing_services.issue_credit_note(world.secretary, invoice, billing_services.full_credit(invoice)[:1], "Damaged")
    pool = make_pool(world.secretary, make_offer(world.supplier), [world.consortium])
    orders_services.cancel_pool(world.secretary, pool, "Not enough interest")
    db.session.commit()
    entries = _entries()
    assert [(e.action, e.actor_id, e.origin) for e in entries] == [
        ("payment_recorded", world.secretary.id, "203.0.113.7"),
        ("refund_recorded", world.secretary.id, audit.COMMAND_LINE),
        ("credit_note_issued", world.secretary.id, audit.COMMAND_LINE),
        ("pool_cancelled", world.secretary.id, audit.COMMAND_LINE),
    ]
    assert (
        entries[0].subject == f"£50.00 on invoice {invoice.number}" and entries[0].consortium_id == world.consortium.id
    )
    assert entries[3].detail == "Not enough interest"


def test_roles_and_bank_details_changed_on_the_admin_pages_are_recorded(client, world):
    sign_in(client, world.admin)
    client.post(f"/admin/users/{world.stranger.id}/grants", data={"grant": f"secretary:{world.consortium.id}"})
    grant = next(g for g in world.stranger.grants if g.role is Role.SECRETARY)
    client.post(f"/admin/users/{world.stranger.id}/grants/{grant.id}/revoke", data={"confirmed": "yes"})
    form = organisation_form("Tayside") | {
        "name": "Tayside",
        "code": "TAY",
        "peppol_scheme": world.consortium.organisation.peppol_scheme,
        "peppol_id": world.consortium.organisation.peppol_id,
        "bank_account_name": "Tayside Consortium",
        "bank_sort_code": "12-34-56",
        "bank_account_number": "12345678",
        "handling_fee_percent": "0",
        "payment_terms_days": "30",
    }
    assert client.post(f"/admin/consortia/{world.consortium.id}", data=form).status_code == 302
    assert client.post(f"/admin/consortia/{world.consortium.id}", data=form).status_code == 302  # unchanged: no entry
    assert [(e.action, e.actor_id) for e in _entries()] == [
        ("role_granted", world.admin.id),
        ("role_revoked", world.admin.id),
        ("bank_details_changed", world.admin.id),
    ]


def test_nobody_edits_or_deletes_an_entry(world):
    entry = audit.record(world.admin, "person_erased", "User 99")
    db.session.commit()
    entry.subject = "User 1"
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).subject == "User 99"


def test_admins_search_the_log_on_its_page_and_through_the_api(client, world):
    audit.record(world.secretary, "payment_recorded", "£1.00 on invoice TAY-1", world.consortium.id)
    audit.record(world.admin, "person_erased", "User 12")
    audit.record(None, "payment_recorded", "£2.00 on invoice LOT-1", world.other_consortium.id)
    db.session.commit()
    sign_in(client, world.admin)
    page = client.get("/admin/audit?action=payment_recorded").get_data(as_text=True)
    assert "TAY-1" in page and "LOT-1" in page and "User 12" not in page and "2 entries" in page
    page = client.get(f"/admin/audit?q=sam&consortium_id={world.consortium.id}").get_data(as_text=True)
    assert "TAY-1" in page and "LOT-1" not in page
    assert client.get("/admin/audit?from_date=not-a-date").status_code == 422
    found = client.get("/api/v1/audit?q=user%2012", headers=api_token(world.admin)).json
    assert [e["subject"] for e in found["items"]] == ["User 12"] and found["total"] == 1
    assert client.get("/api/v1/audit", headers=api_token(world.secretary)).status_code == 403


def test_a_pool_that_closes_below_its_minimum_is_recorded_as_cancelled(world):
    pool = make_pool(world.secretary, make_offer(world.supplier), [world.consortium], minimum=100)
    closing.close_pool(None, pool.id)
    db.session.commit()
    [entry] = _entries()
    assert (entry.action, entry.actor_id, entry.consortium_id) == ("pool_cancelled", None, world.consortium.id)
    assert entry.subject.startswith(f"Pool {pool.id}: ") and entry.detail
