"""The pool page: the tier ladder and what the next step saves, how demand grew, the outcome of a closed or
cancelled pool, the secretary's list of pledges, a true cancellation reason, capacity checked at the estimate."""

from datetime import timedelta

from billing import services as billing_services
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.formatting import uk_date
from orders import closing, purchase_orders, services
from orders.models import Pool
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_pool


def page(client, user, pool_id: int) -> str:
    sign_in(client, user)
    response = client.get(f"/pools/{pool_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_open_pool_shows_its_ladder_the_next_steps_saving_and_how_demand_grew(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    db.session.commit()

    html = page(client, world.member_user, pool.id)

    ladder = html[html.index('class="list-group list-group-numbered tier-ladder"') : html.index("</ol>")]
    assert all(
        step in ladder for step in ("£25.00 a box (list price)", "£22.00 a box from 10", "£18.50 a box from 200")
    )
    assert "The pool is here: 12" in ladder and "Next: 38 more" in ladder
    assert "takes £2.00 off every box" in html and "would save £24.00 on its 12" in html
    growth = html[html.index('class="table table-sm growth"') :]
    assert f'<td>{uk_date(utcnow())}</td><td class="num">12</td>' in growth
    assert f"/pools/{pool.id}/demand.svg" in html
    chart = client.get(f"/pools/{pool.id}/demand.svg")
    assert chart.status_code == 200 and chart.mimetype == "image/svg+xml" and b"Pledged so far" in chart.data


def test_a_cancelled_pool_shows_why_and_never_a_tier_to_reach(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=100)
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    result = closing.close_pool(world.secretary, pool.id)
    db.session.commit()
    assert result.cancelled

    html = page(client, world.member_user, pool.id)

    assert "This pool was cancelled on" in html and "Nothing was ordered" in html
    # closed by the secretary two days early: the reason does not pretend the deadline came
    assert "12 of the 100 boxes needed were pledged when it was closed, before its deadline." in html
    assert "by the deadline" not in html
    assert "best tier reached" not in html and "more to go" not in html and "tier-ladder" not in html


def test_a_pool_cancelled_at_its_deadline_says_so(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=100)
    result = closing.close_pool(None, pool.id, now=pool.deadline + timedelta(minutes=1))
    assert result.plan.cancel_reason.endswith("were pledged by the deadline.")


def test_a_closed_pool_shows_its_outcome_orders_and_invoices(app, client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    purchase_orders.record_delivery(world.secretary, order)
    invoice = billing_services.issue_invoices(world.secretary, order.id)[0]
    db.session.commit()

    html = page(client, world.member_user, pool.id)

    assert "This pool closed on" in html and "at £22.00 a box" in html and "12 box pledged by 1 member" in html
    assert f'href="/invoices/{invoice.id}">Invoice {invoice.number}' in html
    assert "more to go" not in html and "best tier reached" not in html and "tier-ladder" not in html
    secretary = page(app.test_client(), world.secretary, pool.id)
    assert f"/purchase-orders/{order.id}" in secretary and f"/billing/{world.consortium.id}" in secretary


def test_the_secretary_sees_the_pledges_paged_and_a_member_does_not(app, client, world, offer, monkeypatch):
    pool = make_pool(world.secretary, offer, [world.consortium])
    second = factories.member(world.network, "Abbey Bakery CIC")
    services.pledge(world.admin, pool.id, 7, member_id=second.id)
    services.pledge(world.admin, pool.id, 5, member_id=world.member.id)
    db.session.commit()
    monkeypatch.setattr("orders.views.PLEDGES_PER_PAGE", 1)

    first = page(client, world.secretary, pool.id)
    assert "Pledges (2)" in first and "Abbey Bakery CIC" in first and world.member.name not in first
    second_page = client.get(f"/pools/{pool.id}?pledges_page=2").get_data(as_text=True)
    assert world.member.name in second_page and "Abbey Bakery CIC" not in second_page
    assert "pool-pledges" not in page(app.test_client(), world.member_user, pool.id)


def test_a_pledge_over_the_capacity_left_is_refused_at_the_estimate(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=1, capacity=20)
    services.pledge(world.admin, pool.id, 15, member_id=factories.member(world.network).id)
    db.session.commit()
    sign_in(client, world.member_user)

    refused = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "6", "action": "preview"}
    )

    text = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Only 5 units are left in this pool&#39;s capacity." in text
    assert "Estimated cost of" not in text and "Confirm pledge" not in text
    fits = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "5", "action": "preview"}
    )
    assert fits.status_code == 200 and "Estimated cost of 5 box" in fits.get_data(as_text=True)
    assert db.session.get(Pool, pool.id).pledged_quantity == 15
