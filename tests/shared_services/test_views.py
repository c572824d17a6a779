"""Shared-service pages: a secretary runs a pool through two periods in the browser and the command."""

from datetime import timedelta

from billing.models import Invoice
from kernel.extensions import db
from shared_services import periods, services
from shared_services.models import AllocationKey, Participation, ServicePool, ServicePoolStatus
from tests.factories import field_error, sign_in
from tests.shared_services.conftest import make_pool, month_text, next_month


def _form(offer, consortium, **overrides) -> dict:
    return {
        "offer_id": offer.id,
        "consortium_ids": [consortium.id],
        "cost_per_period": "1000.01",
        "period": "month",
        "term_periods": "12",
        "start_date": next_month().isoformat(),
        "minimum_participants": "2",
        "allocation_key": "headcount",
        "notice_periods": "1",
        "note": "Our PR agency on a retainer.",
    } | overrides


def test_a_secretary_runs_a_pool_through_two_periods_and_the_invoices_sum_to_the_cost(
    app, world, offer, members, runner
):
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    response = secretary.post("/shared-services/new", data=_form(offer, world.consortium))
    assert response.status_code == 302
    pool = db.session.scalar(db.select(ServicePool))
    assert secretary.post(f"/shared-services/{pool.id}/open").status_code == 302

    for member, user in members:
        client = app.test_client()
        sign_in(client, user)
        response = client.post(f"/shared-services/{pool.id}/join", data={"member_id": member.id})
        assert response.status_code == 302, response.get_data(as_text=True)

    member_client = app.test_client()
    sign_in(member_client, world.member_user)
    page = member_client.get(f"/shared-services/{pool.id}").get_data(as_text=True)
    assert "£1,000.01" in page and "£500.01" in page  # headcount 10 of 20 takes half, and the odd penny
    assert "3 members share period 1" in page and "Taybank Community Cafe" not in page  # others' shares stay theirs

    for month in (pool.start_date, periods.add_months(pool.start_date, 1)):
        result = runner.invoke(args=["bill-shared-services", "--period", month_text(month)])
        assert result.exit_code == 0, result.output

    for period in (1, 2):
        what = f"{pool.offer.name}, {services.period_label(pool, period)}"
        nets = db.session.scalars(db.select(Invoice.net_pence).where(Invoice.reference == what)).all()
        assert len(nets) == 3 and sum(nets) == 100_001

    page = secretary.get(f"/shared-services/{pool.id}").get_data(as_text=True)
    assert "Periods billed" in page and "TAY-" not in page  # a count per period, not every member's invoice
    assert page.count("one to each of the 3 members") == 2
    calendar = secretary.get(f"/consortia/{world.consortium.id}/shared-services/calendar").get_data(as_text=True)
    assert calendar.count("<strong>Billed</strong>") == 2 and calendar.count("To come") == 10
    mine = member_client.get(f"/shared-services/{pool.id}").get_data(as_text=True)
    own = db.session.scalars(db.select(Invoice.number).where(Invoice.member_id == world.member.id)).all()
    assert all(number in mine for number in own) and mine.count("TAY-") == 2  # only its own invoices are links


def test_the_create_form_shows_errors_next_to_the_fields(client, world, offer):
    sign_in(client, world.secretary)
    start = (next_month() + timedelta(days=4)).isoformat()
    response = client.post(
        "/shared-services/new", data=_form(offer, world.consortium, start_date=start, term_periods="0")
    )
    assert response.status_code == 422
    assert field_error(response, "term_periods")
    response = client.post("/shared-services/new", data=_form(offer, world.consortium, start_date=start))
    assert response.status_code == 422
    assert "first of a month" in field_error(response, "start_date")
    assert db.session.scalar(db.select(db.func.count()).select_from(ServicePool)) == 0


def test_joining_a_units_pool_needs_units_and_says_so_next_to_the_field(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], allocation_key=AllocationKey.UNITS)
    sign_in(client, world.member_user)
    response = client.post(f"/shared-services/{pool.id}/join", data={"member_id": world.member.id})
    assert response.status_code == 422
    assert "whole number" in field_error(response, "units")
    response = client.post(f"/shared-services/{pool.id}/join", data={"member_id": world.member.id, "units": "4"})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Participation.units)) == 4


def test_leaving_too_soon_after_the_start_is_refused_next_to_the_field(client, world, pool, members):
    for _, user in members:
        services.join(user, pool.id)
    db.session.commit()
    services.start_pool(pool.id, pool.start_date)
    services.bill_period(None, pool.id, 1, pool.start_date)
    db.session.commit()
    sign_in(client, world.member_user)
    response = client.post(
        f"/shared-services/{pool.id}/leave", data={"member_id": world.member.id, "after_period": "0"}
    )
    assert response.status_code == 422
    assert "notice" in field_error(response, "after_period")
    response = client.post(f"/shared-services/{pool.id}/leave", data={"member_id": world.member.id})
    assert response.status_code == 302
    assert db.session.scalar(db.select(Participation.left_after).where(Participation.member_id == world.member.id)) >= 1


def test_cancelling_needs_a_reason_and_shows_it_to_members(app, client, world, pool):
    sign_in(client, world.secretary)
    response = client.post(f"/shared-services/{pool.id}/cancel", data={"confirmed": "yes", "reason": ""})
    assert response.status_code == 422 and field_error(response, "reason")
    response = client.post(
        f"/shared-services/{pool.id}/cancel", data={"confirmed": "yes", "reason": "The agency closed."}
    )
    assert response.status_code == 302
    member = app.test_client()
    sign_in(member, world.member_user)
    assert "The agency closed." in member.get(f"/shared-services/{pool.id}").get_data(as_text=True)
    assert db.session.get(ServicePool, pool.id).status is ServicePoolStatus.CANCELLED


def test_members_see_their_consortium_pools_only_and_the_dashboard_links_them(app, world, offer, pool):
    theirs = make_pool(world.admin, offer, [world.other_consortium])
    client = app.test_client()
    sign_in(client, world.member_user)
    listing = client.get("/shared-services/").get_data(as_text=True)
    assert f'/shared-services/{pool.id}"' in listing and f'/shared-services/{theirs.id}"' not in listing
    assert client.get(f"/shared-services/{theirs.id}").status_code == 404
    assert "/shared-services/" in client.get("/").get_data(as_text=True)
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    dashboard = secretary.get("/").get_data(as_text=True)
    assert f"/consortia/{world.consortium.id}/shared-services/calendar" in dashboard


def test_the_secretary_button_starts_the_pool_and_bills_nothing_before_its_start(client, world, pool, members):
    sign_in(client, world.secretary)
    response = client.post(f"/shared-services/{pool.id}/bill", follow_redirects=True)
    assert response.status_code == 200 and "Nothing is due" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0


def test_the_billing_calendar_shows_a_page_of_pools_at_a_time(client, world, offer, monkeypatch):
    monkeypatch.setattr(services, "CALENDAR_POOLS_PER_PAGE", 2)
    pools = [make_pool(world.secretary, offer, [world.consortium], start_date=next_month()) for _ in range(3)]
    sign_in(client, world.secretary)
    url = f"/consortia/{world.consortium.id}/shared-services/calendar"
    first = client.get(url).get_data(as_text=True)
    assert first.count('<section aria-labelledby="pool-') == 2 and "Page 1 of 2" in first
    second = client.get(f"{url}?page=2").get_data(as_text=True)
    assert f'id="pool-{pools[2].id}"' in second and second.count('<section aria-labelledby="pool-') == 1
    assert "Page 2 of 2" in second and "Previous" in second
