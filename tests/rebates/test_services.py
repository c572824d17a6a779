"""Rebates against the database: what is eligible, the claim run, receiving and sharing to the penny."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest

from billing import services as billing
from billing.models import CreditNote, Invoice
from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from rebates import cli, services
from rebates.calculation import Basis, Method, Tier
from rebates.models import RebateAgreement, RebateShare, RebateStatus, ShareRoute
from tests import factories
from tests.rebates.conftest import agreement, invoiced_order, second_member, tomorrow


def _shares(agreement_id):
    return {
        s.member_id: s
        for s in db.session.scalars(db.select(RebateShare).where(RebateShare.rebate_agreement_id == agreement_id))
    }


def test_the_claim_counts_only_the_suppliers_goods_to_the_scopes_members_net_of_credit_notes(world):
    neighbour = second_member(world)
    _, invoices = invoiced_order(world, world.supplier, world.consortium, [(world.member, 70), (neighbour, 30)])
    invoiced_order(world, world.other_supplier, world.consortium, [(world.member, 50)], name="Toner")
    invoiced_order(world, world.supplier, world.other_consortium, [(world.other_member, 40)], name="Envelopes")
    # Ten reams of the neighbour's thirty go back: £100 of goods credited.
    theirs = next(i for i in invoices if i.member_id == neighbour.id)
    goods = next(line for line in theirs.lines if line.kind.value == "goods")
    billing.issue_credit_note(world.secretary, theirs, [billing.CreditItem(goods.id, 10)], "Ten reams damaged")
    db.session.commit()
    made = agreement(world)
    assert cli.claim_due(uk_today()).claimed == []  # the period has not ended
    assert cli.claim_due(tomorrow()).claimed == [made.id]
    db.session.expire_all()
    claimed = db.session.get(RebateAgreement, made.id)
    assert claimed.status is RebateStatus.CLAIMED
    # £700 + £200 = £900 of goods reaches the £1,000 tier? No: the 2% tier, on all of it.
    assert (claimed.spend_pence, claimed.units) == (90_000, 90)
    assert claimed.tier_threshold == 0 and claimed.rebate_pence == 1_800
    shares = _shares(made.id)
    assert {m: (s.spend_pence, s.units) for m, s in shares.items()} == {
        world.member.id: (70_000, 70),
        neighbour.id: (20_000, 20),
    }
    assert cli.claim_due(tomorrow()).claimed == []  # a second run claims nothing
    assert len(_shares(made.id)) == 2


def test_a_network_agreement_leaves_out_members_of_other_networks(world):
    elsewhere = factories.member(factories.network(world.consortium, "Angus"), "Angus Print CIC")
    db.session.commit()
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 20), (elsewhere, 50)])
    made = agreement(world, network_id=world.network.id, basis=Basis.UNITS, tiers=[Tier(10, Decimal("25"))])
    cli.claim_due(tomorrow())
    db.session.expire_all()
    assert list(_shares(made.id)) == [world.member.id]
    assert db.session.get(RebateAgreement, made.id).rebate_pence == 500  # 20 units at 25p


def test_graduated_claims_less_than_retrospective_on_the_same_invoices(world):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 150)])
    retro = agreement(world)
    graduated = agreement(world, method=Method.GRADUATED)
    cli.claim_due(tomorrow())
    db.session.expire_all()
    # £1,500: retrospective 5% of all = £75; graduated 2% of £1,000 + 5% of £500 = £45.
    assert db.session.get(RebateAgreement, retro.id).rebate_pence == 7_500
    assert db.session.get(RebateAgreement, graduated.id).rebate_pence == 4_500


def test_received_rebate_is_shared_by_credit_note_to_the_penny_after_retention(world):
    neighbour = second_member(world)
    third = second_member(world, "Tay Tools CIC")
    world.consortium.organisation.vat_number = "GB284719365"  # so its invoices charge VAT
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 10), (neighbour, 10), (third, 10)])
    made = agreement(world, retention_percent=Decimal("10"), retention_note="Agreed at the AGM, 3 Mar 2026")
    cli.claim_due(tomorrow())
    services.record_received(world.secretary, made, 1_001, uk_today(), "BACS 1234")
    db.session.commit()
    services.share(world.secretary, made)
    db.session.commit()
    db.session.expire_all()
    shared = db.session.get(RebateAgreement, made.id)
    assert shared.status is RebateStatus.SHARED and shared.retained_pence == 100
    shares = _shares(made.id)
    assert sorted(s.share_pence for s in shares.values()) == [300, 300, 301]
    assert {s.route for s in shares.values()} == {ShareRoute.CREDIT_NOTE}
    notes = {n.member_id: n for n in db.session.scalars(db.select(CreditNote))}
    for member_id, row in shares.items():
        note = notes[member_id]
        assert note.id == row.credit_note_id and note.net_pence == row.share_pence
        assert note.vat_pence == (row.share_pence * 20 + 50) // 100  # the goods' standard rate
        assert db.session.get(Invoice, note.invoice_id).credited_pence == note.total_pence
    with pytest.raises(Conflict):
        services.share(world.secretary, shared)


def test_a_payment_route_records_payments_and_issues_no_credit_note(world):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 10)])
    made = agreement(world, share_route=ShareRoute.PAYMENT)
    cli.claim_due(tomorrow())
    services.record_received(world.secretary, made, 2_000, uk_today(), "BACS 99")
    services.share(world.secretary, made)
    db.session.commit()
    row = _shares(made.id)[world.member.id]
    assert (row.share_pence, row.route, row.credit_note_id) == (2_000, ShareRoute.PAYMENT, None)
    assert row.paid_reference.startswith("Rebate Paper rebate")
    assert db.session.scalar(db.select(db.func.count()).select_from(CreditNote)) == 0


def test_a_share_larger_than_any_invoice_is_paid_instead(world):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 1)], price="1.00")
    made = agreement(world)
    cli.claim_due(tomorrow())
    services.record_received(world.secretary, made, 500, uk_today(), "Goodwill")  # £5 on a £1.20 invoice
    services.share(world.secretary, made)
    db.session.commit()
    assert _shares(made.id)[world.member.id].route is ShareRoute.PAYMENT


def test_terms_are_checked_field_by_field(world):
    with pytest.raises(ValidationFailed) as bad:
        agreement(world, tiers=[Tier(0, Decimal("5")), Tier(10, Decimal("2"))])
    assert bad.value.fields == {"tiers": ["A higher tier never pays a lower rate."]}
    with pytest.raises(ValidationFailed) as bad:
        agreement(world, retention_percent=Decimal("5"))
    assert "retention_note" in bad.value.fields
    with pytest.raises(ValidationFailed) as bad:
        agreement(world, period_end=uk_today() - timedelta(days=31))
    assert "period_end" in bad.value.fields
    with pytest.raises(Forbidden):
        agreement(world, consortium_id=None)  # national is the admin's
    with pytest.raises(Forbidden):
        agreement(world, consortium_id=world.other_consortium.id)
    assert agreement(world, actor=world.admin, consortium_id=None).is_national


def test_only_a_claimed_rebate_is_received_and_the_retention_records_who_set_it(world):
    made = agreement(world)
    with pytest.raises(Conflict):
        services.record_received(world.secretary, made, 100, uk_today(), "Early")
    services.set_retention(world.secretary, made, Decimal("12.5"), "Members' vote, 1 Dec 2026")
    db.session.commit()
    assert (made.retention_percent, made.retention_set_by_id) == (Decimal("12.5"), world.secretary.id)


def test_two_claim_runs_at_once_claim_once(app, world, postgresql_only):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 10)])
    made = agreement(world)
    runs = 3
    barrier = Barrier(runs)

    def run(_):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                return cli.claim_due(tomorrow()).claimed
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=runs) as executor:
        results = list(executor.map(run, range(runs)))
    assert sorted(len(r) for r in results) == [0, 0, 1]
    db.session.expire_all()
    assert len(_shares(made.id)) == 1


def test_sharing_tells_each_members_people_their_share_through_one_outbox_event(world, client):
    from organisations.models import OutboxEvent, Role

    neighbour = second_member(world)
    finance = factories.user("finance@example.org", (Role.MEMBER, world.member.id), name="Fin Ance")
    neighbour_user = factories.user("neighbour@example.org", (Role.MEMBER, neighbour.id), name="Nia Neighbour")
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 30), (neighbour, 10)])
    made = agreement(world, share_route=ShareRoute.PAYMENT)
    cli.claim_due(tomorrow())
    services.record_received(world.secretary, made, 1_001, uk_today(), "BACS 77")
    db.session.commit()
    assert factories.outbox_messages("rebate_shared") == []
    services.share(world.secretary, made)
    db.session.commit()
    events = db.session.scalars(db.select(OutboxEvent).where(OutboxEvent.kind == "rebate_shared")).all()
    assert [e.subject_id for e in events] == [made.id]

    messages = factories.outbox_messages("rebate_shared")
    shares = _shares(made.id)
    assert sorted(m.to_email for m in messages) == [finance.email, "member@example.org", neighbour_user.email]
    ours = next(m for m in messages if m.to_email == finance.email)
    share = shares[world.member.id].share_pence
    assert share == 751 and shares[neighbour.id].share_pence == 250
    assert ours.subject == f"{world.supplier.name} rebate: £7.51 for {world.member.name}"
    assert "its share is £7.51, paid to you" in ours.body_text
    assert "http://127.0.0.1:5000/rebates/shares" in ours.body_text
    theirs = next(m for m in messages if m.to_email == neighbour_user.email)
    assert "£2.50" in theirs.body_text and "£7.51" not in theirs.body_text
    assert len(factories.outbox_messages("rebate_shared")) == 3  # expanded once

    factories.sign_in(client, finance)
    page = client.get("/rebates/shares").get_data(as_text=True)
    assert "£7.51" in page and "£2.50" not in page
