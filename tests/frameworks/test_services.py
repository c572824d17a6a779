"""Frameworks and call-offs through their services, on SQLite and PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing.models import Invoice
from catalogue.models import VatRate
from frameworks import services
from frameworks.models import CallOffStatus, FrameworkStatus, Route
from frameworks.terms import LotTerms
from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from organisations.models import OutboxEvent, Role
from tests import factories
from tests.frameworks.conftest import HOURS, call_off, make_framework


def test_a_secretary_makes_a_framework_for_their_consortium_only(world):
    framework = make_framework(world, live=False)
    assert framework.status is FrameworkStatus.DRAFT
    assert framework.reference == "FW-TAY-0001"
    assert [lot.rate_card for lot in framework.lots] == [HOURS.tiers]
    with pytest.raises(Forbidden):
        make_framework(world, consortium_ids=[world.other_consortium.id])
    with pytest.raises(Forbidden, match="Only an admin"):
        make_framework(world, consortium_ids=[])
    national = make_framework(world, actor=world.admin, consortium_ids=[], reference="FW-TAY-0002")
    assert national.is_national and national.reference == "FW-TAY-0002"
    assert make_framework(world, live=False).reference == "FW-TAY-0003"  # the next number not taken


def test_bad_terms_are_refused_field_by_field(world):
    with pytest.raises(ValidationFailed) as refused:
        make_framework(
            world,
            ends_on=uk_today() - timedelta(days=60),
            fee_percent=Decimal("101"),
            lots=[LotTerms("Design", "hour", "", [(5, Decimal("40"))])],
        )
    assert set(refused.value.fields) == {"ends_on", "fee_percent", "lots.0.unit_plural", "lots.0.tiers"}
    assert db.session.scalar(select(func.count()).select_from(services.Framework)) == 0


def test_a_call_off_is_priced_by_its_own_quantity_with_the_fee(world, framework):
    small = call_off(world, framework, 3)
    large = call_off(world, framework, 20)
    assert (small.unit_price, small.net_pence, small.fee_pence) == (Decimal("65.00"), 19_500, 488)
    assert (large.unit_price, large.net_pence, large.fee_pence) == (Decimal("58.50"), 117_000, 2925)
    assert (small.number, large.number) == ("FW-TAY-0001-0001", "FW-TAY-0001-0002")
    db.session.refresh(framework)
    assert framework.consumed_pence == 136_500


def test_who_may_call_off_for_which_member(world, framework):
    neighbour = factories.member(world.network, "Taybank Community Cafe")
    db.session.commit()
    with pytest.raises(ValidationFailed, match="cannot call off for that member"):
        call_off(world, framework, 1, member_id=neighbour.id)
    on_behalf = call_off(world, framework, 1, actor=world.secretary, member_id=neighbour.id)
    assert on_behalf.member_id == neighbour.id and on_behalf.consortium_id == world.consortium.id
    with pytest.raises(ValidationFailed):
        call_off(world, framework, 1, member_id=world.other_member.id, actor=world.admin)


def test_past_the_ceiling_with_its_allowance_a_call_off_is_refused(world, framework):
    # Limit £11,000: 169 hours at £58.50 = £9,886.50 fits; 20 more (£1,170) would make £11,056.50.
    call_off(world, framework, 169)
    with pytest.raises(Conflict, match=r"past its ceiling with the allowance: £1,113\.50 is left"):
        call_off(world, framework, 20)
    db.session.rollback()
    assert call_off(world, framework, 17).net_pence == 110_500  # 17 hours at £65.00 fit
    db.session.refresh(framework)
    assert framework.consumed_pence == 1_099_150


def test_secretaries_are_told_at_75_and_90_percent_once_each(world, framework):
    call_off(world, framework, 120)  # £7,020: 70%
    assert factories.outbox_messages(services.CEILING_KIND) == []
    call_off(world, framework, 10)  # £7,670: 76.7%
    call_off(world, framework, 1)
    told = factories.outbox_messages(services.CEILING_KIND)
    assert [(m.to_email, m.subject) for m in told] == [
        ("secretary@example.org", "FW-TAY-0001: 75% of the framework's ceiling is called off")
    ]
    assert "£7,735.00 is called off" in told[0].body_text and "refused past £11,000.00" in told[0].body_text
    call_off(world, framework, 30)  # 94%
    assert [m.subject for m in factories.outbox_messages(services.CEILING_KIND)][1:] == [
        "FW-TAY-0001: 90% of the framework's ceiling is called off"
    ]
    assert db.session.scalar(select(func.count()).select_from(OutboxEvent)) == 2


def test_no_call_off_after_the_end_date_or_on_a_draft(world, framework):
    with pytest.raises(Conflict, match="takes no more call-offs"):
        services.place_call_off(
            world.member_user,
            framework_id=framework.id,
            lot_id=framework.lots[0].id,
            member_id=None,
            quantity=1,
            today=framework.ends_on + timedelta(days=1),
        )
    draft = make_framework(world, live=False, reference="DRAFT-1")
    with pytest.raises(Conflict, match="Only a live framework"):
        call_off(world, draft, 1)


def test_expiring_is_safe_to_repeat_and_an_expired_framework_stays_so(world, framework, runner):
    framework.ends_on = uk_today() - timedelta(days=1)
    framework.extensions_allowed, framework.extension_months = 1, 12
    other = make_framework(world, reference="STILL-LIVE")
    db.session.commit()
    result = runner.invoke(args=["expire-frameworks"])
    assert result.exit_code == 0 and "1 expired" in result.output
    assert runner.invoke(args=["expire-frameworks"]).output.startswith("0 expired")
    db.session.expire_all()
    assert framework.status is FrameworkStatus.EXPIRED and other.status is FrameworkStatus.LIVE
    assert [c.to_state for c in services.history(framework)] == ["live", "expired"]
    with pytest.raises(Conflict, match="Only a draft or live"):
        services.extend(world.secretary, framework.id)


def test_an_extension_moves_the_end_date_and_is_used_once(world):
    framework = make_framework(world, extensions_allowed=1, extension_months=6)
    before = framework.ends_on
    record = services.extend(world.secretary, framework.id)
    db.session.commit()
    assert record.from_ends_on == before and framework.ends_on == record.to_ends_on > before
    assert services.extensions(framework) == [record] and record.extended_by_id == world.secretary.id
    with pytest.raises(Conflict, match="Every extension option"):
        services.extend(world.secretary, framework.id)


def test_from_order_to_invoice_through_billing(world, framework):
    world.consortium.organisation.vat_number = "GB284719365"
    made = call_off(world, framework, 20)
    with pytest.raises(Forbidden):
        services.confirm(world.member_user, made.id)
    db.session.rollback()
    services.confirm(world.supplier_user, made.id)
    services.deliver(world.supplier_user, made.id)
    with pytest.raises(Forbidden):
        services.invoice(world.supplier_user, made.id)
    invoice = services.invoice(world.secretary, made.id)
    db.session.commit()
    assert made.status is CallOffStatus.INVOICED and made.invoice_id == invoice.id
    # The consortium is VAT-registered: standard rate on £1,170.00.
    assert (invoice.net_pence, invoice.vat_pence, invoice.total_pence) == (117_000, 23_400, 140_400)
    assert invoice.member_id == world.member.id and invoice.reference == made.number
    assert [(line.quantity, line.unit_price, line.vat_rate) for line in invoice.lines] == [
        (20, Decimal("58.50"), VatRate.STANDARD)
    ]
    assert invoice.lines[0].description == "Marketing and PR support: 20 hours (FW-TAY-0001-0001)"
    with pytest.raises(Conflict):
        services.invoice(world.secretary, made.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 1


def test_an_unregistered_consortium_charges_no_vat(world, framework):
    assert world.consortium.organisation.vat_number is None
    made = call_off(world, framework, 2)
    services.deliver(world.supplier_user, made.id)
    invoice = services.invoice(world.secretary, made.id)
    assert (invoice.net_pence, invoice.vat_pence) == (13_000, 0)
    assert invoice.lines[0].vat_rate is VatRate.EXEMPT


def test_cancelling_frees_the_value_and_consumption_adds_up(world, framework):
    neighbour = factories.member(world.network, "Taybank Community Cafe")
    db.session.commit()
    first = call_off(world, framework, 10)
    second = call_off(world, framework, 20, actor=world.secretary, member_id=neighbour.id)
    cancelled = call_off(world, framework, 5)
    services.cancel(world.member_user, cancelled.id, "Ordered twice")
    services.deliver(world.supplier_user, second.id)
    services.deliver(world.supplier_user, first.id)
    services.invoice(world.secretary, first.id)
    db.session.commit()
    assert framework.consumed_pence == 65_000 + 117_000
    (lot,) = services.consumption_by_lot(framework)
    assert (lot.units, lot.ordered_pence, lot.delivered_pence, lot.invoiced_pence) == (30, 182_000, 182_000, 65_000)
    rows = db.session.execute(services.consumption_by_member(framework)).all()
    assert [tuple(r) for r in rows] == [
        (world.member.id, "Re-Tweed Dundee CIC", 10, 65_000, 65_000, 65_000),
        (neighbour.id, "Taybank Community Cafe", 20, 117_000, 117_000, 0),
    ]
    mine = services.consumption_scope(world.member_user, framework)
    assert [r[0] for r in db.session.execute(services.consumption_by_member(framework, mine))] == [world.member.id]
    with pytest.raises(Conflict):
        services.cancel(world.member_user, first.id, "Too late")


def test_who_sees_which_frameworks(world, framework):
    draft = make_framework(world, live=False, reference="DRAFT-1")
    theirs = make_framework(
        world, actor=world.admin, consortium_ids=[world.other_consortium.id], supplier_ids=[world.other_supplier.id]
    )

    def seen(user):
        return {f.reference for f in db.session.scalars(services.visible_frameworks(user))}

    assert seen(world.admin) == {framework.reference, draft.reference, theirs.reference}
    assert seen(world.secretary) == {framework.reference, draft.reference}
    assert seen(world.member_user) == {framework.reference}
    assert seen(world.supplier_user) == {framework.reference}
    assert seen(world.stranger) == set()
    other_supplier_user = factories.user(None, (Role.SUPPLIER, world.other_supplier.id))
    assert seen(other_supplier_user) == {theirs.reference}


def test_mini_competition_prices_apply_to_their_call_off(world):
    second = factories.supplier("Tay Design Co-op")
    framework = make_framework(world, supplier_ids=[world.supplier.id, second.id], route=Route.MINI_COMPETITION)
    with pytest.raises(Conflict, match="mini-competition"):
        call_off(world, framework, 5, supplier_id=second.id)
    db.session.rollback()
    won = call_off(world, framework, 5, supplier_id=second.id, unit_prices=[(1, Decimal("49.99"))])
    assert (won.supplier_id, won.unit_price, won.net_pence) == (second.id, Decimal("49.99"), 24_995)


def test_a_lot_naming_its_supplier_is_called_off_from_that_supplier_alone(world):

    rival = factories.supplier("Angus Print Ltd")
    leaflets = LotTerms("Leaflets", "box", "boxes", [(1, Decimal("40"))], rival.id)
    with pytest.raises(ValidationFailed) as refused:
        make_framework(world, lots=[HOURS, leaflets])
    assert refused.value.fields == {
        "lots.1.supplier_id": ["Choose one of the framework's suppliers for the lot, or none."]
    }
    framework = make_framework(world, supplier_ids=[world.supplier.id, rival.id], lots=[HOURS, leaflets])
    lot = framework.lots[1]
    with pytest.raises(ValidationFailed) as wrong:
        services.place_call_off(
            world.member_user,
            framework_id=framework.id,
            lot_id=lot.id,
            member_id=None,
            quantity=2,
            supplier_id=world.supplier.id,
        )
    assert wrong.value.fields == {"supplier_id": ["Leaflets is called off from Angus Print Ltd alone."]}
    placed = services.place_call_off(
        world.member_user, framework_id=framework.id, lot_id=lot.id, member_id=None, quantity=2
    )
    assert (placed.supplier_id, placed.net_pence) == (rival.id, 8000)
