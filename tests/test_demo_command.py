"""The full `flask demo`: every consortium's orders, invoices and credit notes numbered in date order, one password
hash for every account, and a coherent story."""

import itertools
import re

from sqlalchemy import func, select

from billing.models import CreditNote, Invoice
from kernel.clock import uk_date, uk_today
from kernel.extensions import db
from kernel.money import line_pence
from orders.models import PurchaseOrder
from organisations.demo import DEMO_PASSWORD
from organisations.models import Consortium, Organisation, User
from organisations.services import authenticate
from shared_services.models import SharedServiceCharge

_set = User.set_password


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Invoice, CreditNote, SharedServiceCharge)
    )


def _in_date_order_without_gaps(model, dated, consortium: Consortium) -> None:
    rows = db.session.execute(
        select(model.number, dated.label("dated")).where(model.consortium_id == consortium.id)
    ).all()
    assert rows, (model.__name__, consortium.code)
    by_value = sorted(rows, key=lambda row: int(row.number.rsplit("-", 1)[1]))
    assert [int(row.number.rsplit("-", 1)[1]) for row in by_value] == list(range(1, len(rows) + 1)), consortium.code
    earlier = [
        (before.number, after.number) for before, after in itertools.pairwise(by_value) if after.dated < before.dated
    ]
    assert earlier == [], f"{consortium.code}: a later number has an earlier date"
    assert all(row.number.split("-")[-2] == str(row.dated.year) for row in rows)


def test_the_full_demo_numbers_every_consortiums_invoices_and_credit_notes_in_date_order(app, monkeypatch):
    hashed = []
    monkeypatch.setattr(User, "set_password", lambda user, password: hashed.append(password) or _set(user, password))

    result = app.test_cli_runner().invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    steps = [line for line in result.output.splitlines() if line.endswith("...")]
    assert steps[0].startswith("Loading the demo") and steps[-1].startswith("Policy templates") and len(steps) == 4
    consortia = db.session.scalars(select(Consortium)).all()
    assert {c.code for c in consortia} >= {"TAY", "LOT"}
    invoices, credit_notes, charged = _counts()
    assert charged >= 12 and credit_notes >= 3 and invoices > charged
    for consortium in consortia:
        _in_date_order_without_gaps(PurchaseOrder, PurchaseOrder.created_at, consortium)
        _in_date_order_without_gaps(Invoice, Invoice.issue_date, consortium)
        _in_date_order_without_gaps(CreditNote, CreditNote.issue_date, consortium)

    # sharing saves money: every share billed is less than the member would have paid alone at list price
    charges = db.session.scalars(select(SharedServiceCharge)).all()
    assert all(c.share_pence < line_pence(c.units, c.list_unit_price) for c in charges)

    # every account signs in with the demo password, hashed once for them all (running it again: tests/organisations)
    users = db.session.scalars(select(User)).all()
    assert len(users) > 30 and hashed == [DEMO_PASSWORD]
    assert all(authenticate(user.email, DEMO_PASSWORD) == user for user in users)
    assert authenticate(users[1].email, "not-the-password") is None


# Area letters of each demo town's postcodes (Royal Mail's postcode areas).
POSTCODE_AREAS = {
    "Dundee": "DD",
    "Forfar": "DD",
    "Perth": "PH",
    "Cupar": "KY",
    "Edinburgh": "EH",
    "Livingston": "EH",
    "Dalkeith": "EH",
    "Haddington": "EH",
}


def test_the_demo_tells_a_coherent_story(demo_app):
    """Invoices dated on or after the orders they bill, addresses whose postcodes match their towns, and a billing
    page that opens on a few overdue invoices, most of the rest paid or not yet due."""
    today = uk_today()

    billed = db.session.execute(select(Invoice, PurchaseOrder).join(Invoice.purchase_order)).all()
    assert billed
    before = [i.number for i, order in billed if i.issue_date < uk_date(order.delivered_at or order.created_at)]
    assert before == []

    organisations = db.session.scalars(select(Organisation)).all()
    towns = [(o.legal_name, o.city, o.postcode) for o in organisations if o.city in POSTCODE_AREAS]
    assert len(towns) >= 40
    wrong = [t for t in towns if re.match(r"[A-Z]+", t[2]).group() != POSTCODE_AREAS[t[1]]]
    assert wrong == []

    invoices = db.session.scalars(select(Invoice)).all()
    overdue = [i for i in invoices if i.due_pence > 0 and i.due_date < today]
    settled = [i for i in invoices if i.due_pence <= 0 or i.due_date >= today]
    assert 1 <= len(overdue) <= 12, len(overdue)
    assert len(settled) >= 4 * len(overdue)
