"""The savings and sales reports agree with the invoices and credit notes to the penny, at every level."""

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import literal, select

from billing.models import CreditNote, Invoice, LineKind
from kernel.extensions import db
from kernel.money import line_pence
from kernel.sql_figures import line_pence_sql
from organisations.models import Consortium, Member, Network
from reports import savings
from reports.figures import Figures, total


def _supplier_part(lines) -> int:
    return sum(line.net_pence for line in lines if line.kind in (LineKind.GOODS, LineKind.DELIVERY))


def _expected_facts() -> list[dict]:
    """Each invoice worked out by hand from its lines, its credit notes and its order."""
    facts = []
    for invoice in db.session.scalars(select(Invoice)):
        notes = db.session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id)).all()
        order = invoice.purchase_order
        goods = sum(line.quantity for line in invoice.lines if line.kind is LineKind.GOODS)
        credited = sum(line.quantity for note in notes for line in note.lines if line.kind is LineKind.GOODS)
        units = goods - credited
        spend = invoice.net_pence - sum(note.net_pence for note in notes)
        facts.append(
            {
                "member": invoice.member_id,
                "network": invoice.member.network_id,
                "consortium": invoice.consortium_id,
                "category": str(order.pool.offer.category_id),
                "supplier": order.supplier_id,
                "month": invoice.issue_date.strftime("%Y-%m"),
                "figures": Figures(
                    1, units, line_pence(units, order.list_price), spend, spend if order.supplier.buy_social else 0
                ),
                "supplier_pence": _supplier_part(invoice.lines) - sum(_supplier_part(note.lines) for note in notes),
            }
        )
    return facts


def _grouped(facts: list[dict], key: str) -> dict[str, Figures]:
    sums = defaultdict(Figures)
    for fact in facts:
        sums[str(fact[key])] += fact["figures"]
    return dict(sums)


def _scopes(world) -> list[savings.Scope]:
    admin = world.admin
    scopes = [savings.scope_for(admin, "platform")]
    scopes += [savings.scope_for(admin, "consortium", c.id) for c in db.session.scalars(select(Consortium))]
    scopes += [savings.scope_for(admin, "network", n.id) for n in db.session.scalars(select(Network))]
    scopes += [savings.scope_for(admin, "member", m.id) for m in db.session.scalars(select(Member))]
    return scopes


def test_every_level_agrees_with_the_invoices_to_the_penny(trading):
    world = trading.world
    facts = _expected_facts()
    assert len(facts) == 7 and any(f["figures"].units < 60 for f in facts)
    platform = savings.savings_report(savings.scope_for(world.admin, "platform"))
    invoiced = db.session.scalar(select(db.func.sum(Invoice.net_pence)))
    credited = db.session.scalar(select(db.func.sum(CreditNote.net_pence)))
    assert platform.totals.spend_pence == invoiced - credited
    assert platform.totals.saving_pence > 0

    for scope in _scopes(world):
        mine = [f for f in facts if scope.kind == "platform" or f[scope.kind] == scope.id]
        report = savings.savings_report(scope)
        assert report.totals == total(f["figures"] for f in mine), scope
        assert savings.savings_totals(scope) == report.totals, scope  # the impact report's figures
        assert {r.key: r.figures for r in report.by_category} == _grouped(mine, "category")
        assert {r.key: r.figures for r in report.by_month if r.figures.invoices} == _grouped(mine, "month")
        assert {r.key: r.figures for r in report.by_supplier} == _grouped(mine, "supplier")
        if scope.child_kind:
            assert {r.key: r.figures for r in report.by_child} == _grouped(mine, scope.child_kind)
        else:
            assert report.by_child == []


def test_the_report_shows_what_each_level_saved(trading):
    world = trading.world
    member = savings.savings_report(savings.scope_for(world.member_user, "member", world.member.id))
    # 55 reams (60, 5 credited) at £4.20 list plus 30 seat-months at £32.00 list
    assert member.totals.list_value_pence == 55 * 420 + 30 * 3200
    assert [r.label for r in member.by_category] == ["Stationery", "IT services"]
    assert [r.key for r in member.by_month] == ["2026-02", "2026-03", "2026-04"]
    assert member.by_month[1].figures == Figures()
    assert member.pools_joined == 2
    consortium = savings.savings_report(savings.scope_for(world.secretary, "consortium", world.consortium.id))
    assert [r.label for r in consortium.by_child] == ["Angus Network", "Dundee Network"]
    assert consortium.pools_joined == 3
    social = next(r for r in consortium.by_supplier if r.buy_social)
    assert consortium.totals.buy_social_pence == social.figures.spend_pence
    assert Decimal(0) < consortium.totals.buy_social_percent < Decimal(100)
    # their member's invoice was credited in full: it counts, with nothing spent and nothing saved
    theirs = savings.savings_report(savings.scope_for(world.admin, "member", world.other_member.id))
    assert theirs.totals == Figures(invoices=1)


def test_the_supplier_report_agrees_with_the_invoices(trading):
    world = trading.world
    facts = [f for f in _expected_facts() if f["supplier"] == world.supplier.id]
    report = savings.supplier_report(world.supplier)
    assert report.totals.spend_pence == sum(f["supplier_pence"] for f in facts)
    assert report.totals.units == sum(f["figures"].units for f in facts)
    assert [r.label for r in report.by_consortium] == ["Tayside"]
    assert sum(r.figures.spend_pence for r in report.by_month) == report.totals.spend_pence
    assert {r.label: r.figures.units for r in report.by_offer} == {
        "Copier paper (per ream)": 125,
        "Envelopes (per envelope)": 5334,
    }
    commercial = savings.supplier_report(trading.commercial)
    assert [r.label for r in commercial.by_consortium] == ["Lothians", "Tayside"]
    assert next(r for r in commercial.by_consortium if r.label == "Lothians").figures.spend_pence == 0


@pytest.mark.parametrize(
    "units, price",
    [
        (0, "4.2000"),
        (1, "0.0001"),
        (3, "0.0050"),
        (7, "0.2175"),
        (5334, "0.0960"),
        (123_457, "0.2450"),
        (99_999_999, "9999.9999"),
    ],
)
def test_list_value_in_sql_is_line_pence(app, units, price):
    assert db.session.scalar(
        select(line_pence_sql(literal(units), literal(Decimal(price), db.Numeric(12, 4))))
    ) == line_pence(units, Decimal(price))


# the app fixture is shared between examples: harmless, the test only reads
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**6), st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4))
def test_list_value_in_sql_rounds_half_up_like_the_invoices(app, units, price):
    assert db.session.scalar(select(line_pence_sql(literal(units), literal(price, db.Numeric(12, 4))))) == line_pence(
        units, price
    )
