"""The figures an invoice keeps for the reports (units, the supplier's part, what credit notes took) always equal
its lines and its credit notes' lines summed, whatever was issued and credited, in whatever order."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billing import services as billing
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind
from catalogue.models import VatRate
from kernel.errors import Conflict, ValidationFailed
from kernel.extensions import db
from kernel.money import line_pence
from tests import factories
from tests.reports.conftest import deliver_pool

# The rule the reports summed the lines by before the invoice kept these figures (reports.facts, correlated
# subqueries on each invoice), written again here against the lines the database holds.
UNIT_KINDS = (LineKind.GOODS, LineKind.SERVICE)
SUPPLIER_KINDS = (LineKind.GOODS, LineKind.DELIVERY, LineKind.SERVICE)


def _lines(value, kinds=None):
    where = [InvoiceLine.invoice_id == Invoice.id] + ([InvoiceLine.kind.in_(kinds)] if kinds else [])
    return select(func.coalesce(func.sum(value), 0)).where(*where).scalar_subquery()


def _credited(value, kinds=None):
    where = [CreditNote.invoice_id == Invoice.id, CreditNoteLine.credit_note_id == CreditNote.id]
    where += [CreditNoteLine.kind.in_(kinds)] if kinds else []
    return select(func.coalesce(func.sum(value), 0)).where(*where).scalar_subquery()


def summed_from_lines() -> dict[int, tuple[int, ...]]:
    rows = db.session.execute(
        select(
            Invoice.id,
            _lines(InvoiceLine.quantity, UNIT_KINDS),
            _lines(InvoiceLine.net_pence, SUPPLIER_KINDS),
            _credited(CreditNoteLine.quantity, UNIT_KINDS),
            _credited(CreditNoteLine.net_pence),
            _credited(CreditNoteLine.net_pence, SUPPLIER_KINDS),
        )
    )
    return {row[0]: tuple(int(v) for v in row[1:]) for row in rows}


def kept() -> dict[int, tuple[int, ...]]:
    rows = db.session.execute(
        select(
            Invoice.id,
            Invoice.units,
            Invoice.supplier_pence,
            Invoice.credited_units,
            Invoice.credited_net_pence,
            Invoice.credited_supplier_pence,
        )
    )
    return {row[0]: tuple(row[1:]) for row in rows}


prices = st.integers(1, 9_999_999).map(lambda n: Decimal(n).scaleb(-4))  # £0.0001 to £999.9999
lines = st.lists(
    st.tuples(st.sampled_from(list(LineKind)), st.integers(1, 500), prices, st.sampled_from(list(VatRate))),
    min_size=1,
    max_size=4,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("part"), st.integers(0, 3), st.integers(1, 500)),  # some of a line (of what is left)
        st.tuples(st.just("rest"), st.just(0), st.just(0)),  # what is left of every line
        st.tuples(st.just("price"), st.integers(1, 50_000), st.just(0)),  # a price reduction, no units back
    ),
    max_size=5,
)


# the world fixture is shared between examples: each example issues an invoice of its own and checks them all
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=lines, steps=steps)
def test_kept_figures_are_the_lines_summed_after_any_credits(world, lines, steps):
    invoice = billing.issue_invoice(
        world.admin,
        world.consortium,
        world.member.id,
        [
            billing.LineIn(kind, f"{kind.value} line", quantity, price, rate, line_pence(quantity, price))
            for kind, quantity, price, rate in lines
        ],
        "A test of kept figures",
        date(2026, 3, 1),
    )
    db.session.commit()
    assert kept() == summed_from_lines()
    for step, which, amount in steps:
        try:
            with db.session.begin_nested():
                if step == "part":
                    line = invoice.lines[which % len(invoice.lines)]
                    left = line.quantity - sum(
                        credited.quantity
                        for note in db.session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id))
                        for credited in note.lines
                        if credited.invoice_line_id == line.id
                    )
                    items = [billing.CreditItem(line.id, min(amount, left))] if left else []
                    billing.issue_credit_note(world.admin, invoice, items, "Part returned")
                elif step == "rest":
                    billing.issue_credit_note(world.admin, invoice, billing.full_credit(invoice), "Cancelled")
                else:
                    billing.issue_price_credit(world.admin, invoice, amount, VatRate.STANDARD, "Rebate", "Rebate")
        except (Conflict, ValidationFailed):
            pass  # nothing left to credit: nothing changes
        db.session.commit()
        assert kept() == summed_from_lines()


def test_invoices_of_an_order_keep_their_figures_with_delivery_and_fees(world):
    """Issued in bulk from a purchase order: goods, the delivery charge, the handling fee and solidarity lines."""
    world.consortium.handling_fee_percent = Decimal("2.50")
    offer = factories.offer(world.supplier, name="Copier paper", list_price="4.2000", actor=world.admin)
    db.session.commit()
    invoices = deliver_pool(
        world.admin,
        offer,
        [world.consortium],
        [(world.member, 60), (factories.member(world.network), 7)],
        date(2026, 2, 10),
        delivery_pence=1999,
    )
    kinds = {line.kind for invoice in invoices for line in invoice.lines}
    assert kinds >= {LineKind.GOODS, LineKind.DELIVERY, LineKind.HANDLING_FEE}
    billing.issue_credit_note(world.admin, invoices[0], billing.full_credit(invoices[0]), "Cancelled")
    db.session.commit()
    assert kept() == summed_from_lines()
    assert any(v[0] for v in kept().values()) and any(v[3] for v in kept().values())
