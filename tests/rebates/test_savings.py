"""Savings reports add the rebates shared back, without counting a credited share twice."""

from kernel.clock import uk_today
from kernel.extensions import db
from rebates import cli, services
from rebates.models import ShareRoute
from reports import savings
from tests.factories import api_token, sign_in
from tests.rebates.conftest import agreement, invoiced_order, tomorrow


def _shared(world, route, received_pence):
    made = agreement(world, share_route=route, name=f"Rebate by {route.value}")
    cli.claim_due(tomorrow())
    services.record_received(world.secretary, made, received_pence, uk_today(), "BACS")
    services.share(world.secretary, made)
    db.session.commit()


def test_realised_rebates_show_beside_the_saving(client, world):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 10)])
    scope = savings.scope_for(world.admin, "member", world.member.id)
    before = savings.savings_report(scope).totals
    _shared(world, ShareRoute.CREDIT_NOTE, 300)
    _shared(world, ShareRoute.PAYMENT, 200)
    report = savings.savings_report(scope)
    assert (report.rebates.credited_pence, report.rebates.paid_pence) == (300, 200)
    # The credited share is off the spend already (units as invoiced); the paid one is only in the rebates line.
    assert report.totals.spend_pence == before.spend_pence - 300
    assert (report.totals.units, report.totals.list_value_pence) == (before.units, before.list_value_pence)
    sign_in(client, world.member_user)
    page = client.get(f"/reports/member/{world.member.id}").get_data(as_text=True)
    assert "Realised rebates" in page and "£5.00 shared back" in page
    body = client.get(
        f"/api/v1/reports/savings?scope=member&id={world.member.id}", headers=api_token(world.member_user)
    )
    assert body.get_json()["rebates"] == {"credited_pence": 300, "paid_pence": 200, "realised_pence": 500}


def test_another_consortiums_rebates_stay_out_of_a_report(world):
    invoiced_order(world, world.supplier, world.consortium, [(world.member, 10)])
    _shared(world, ShareRoute.PAYMENT, 200)
    theirs = savings.savings_report(savings.scope_for(world.admin, "consortium", world.other_consortium.id))
    ours = savings.savings_report(savings.scope_for(world.admin, "consortium", world.consortium.id))
    assert (theirs.rebates.realised_pence, ours.rebates.realised_pence) == (0, 200)
