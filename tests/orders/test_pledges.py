"""Pledging, editing and withdrawing, in the browser and through the services."""

from datetime import timedelta
from decimal import Decimal

import pytest

from kernel.clock import utcnow
from kernel.errors import Conflict, NotFound, ValidationFailed
from kernel.extensions import db
from orders import services
from orders.models import Pledge, PledgeChange, Pool
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import breakdown, make_pool


def test_member_previews_then_confirms_a_pledge_and_sees_the_price_move(client, world, pool):
    world.consortium.organisation.vat_number = "GB284719365"
    world.consortium.handling_fee_percent = Decimal("2.5")
    other = factories.member(world.network, "Taybank Community Cafe")
    services.pledge(world.admin, pool.id, 45, member_id=other.id)
    db.session.commit()
    sign_in(client, world.member_user)
    before = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "£22.00" in before and "5 more to go" in before

    preview = client.post(
        f"/pools/{pool.id}/pledge",
        data={"member_id": world.member.id, "quantity": "10", "flexible_extra": "2", "action": "preview"},
    )
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Estimated cost of 10 box" in text
    assert breakdown(text, after='class="estimate"') == {
        "Unit price the pool would reach": "£20.00",
        "Goods": "£200.00",  # 10 x £20.00: this pledge takes the pool to the 50 tier
        "Share of delivery": "£2.73",  # £15.00 x 200/1,100 of the goods, the larger remainder
        "Handling fee": "£5.00",  # 2.5% of the goods
        "Solidarity": "£0.00",
        "VAT": "£41.55",  # 20% of £207.73
        "Total to pay": "£249.28",
    }
    assert "The unit price can only fall as more members pledge." in text
    assert "the total can still move either way until the pool closes" in text
    assert db.session.scalar(db.select(Pledge).where(Pledge.member_id == world.member.id)) is None

    confirm = client.post(
        f"/pools/{pool.id}/pledge",
        data={"member_id": world.member.id, "quantity": "10", "flexible_extra": "2", "action": "confirm"},
    )
    assert confirm.status_code == 302
    after = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "Your pledge of 10 box" in after
    assert "55 box" in after and "£20.00" in after and "145 more to go" in after
    db.session.refresh(pool)
    assert (pool.pledged_quantity, pool.pledged_flexible, pool.member_count) == (55, 2, 2)


def test_editing_and_withdrawing_keeps_every_change(client, world, pool):
    sign_in(client, world.member_user)
    for quantity in ("10", "25"):
        client.post(
            f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": quantity, "action": "confirm"}
        )
    assert (
        client.post(
            f"/pools/{pool.id}/pledge/withdraw", data={"member_id": world.member.id, "confirmed": "yes"}
        ).status_code
        == 302
    )
    changes = db.session.scalars(db.select(PledgeChange).order_by(PledgeChange.id)).all()
    assert [(c.old_quantity, c.new_quantity) for c in changes] == [(0, 10), (10, 25), (25, 0)]
    assert all(c.changed_by_id == world.member_user.id for c in changes)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "withdrawn" in page and "25 → 0" in page and "Morag Member" in page
    db.session.refresh(pool)
    assert (pool.pledged_quantity, pool.member_count) == (0, 0)
    pledges_page = client.get("/pledges").get_data(as_text=True)
    assert "withdrawn" in pledges_page and "A4 copier paper" in pledges_page


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("0", "Number must be between 1 and 10000000."),
        ("-4", "Number must be between 1 and 10000000."),
        ("2.5", "Not a valid integer value."),
        ("99999999999", "Number must be between 1 and 10000000."),
        ("", "Enter a whole number of units."),
    ],
)
def test_bad_quantities_are_refused_next_to_the_field(client, world, pool, quantity, message):
    sign_in(client, world.member_user)
    response = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": quantity, "action": "confirm"}
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Pledge)) == 0


def test_capacity_is_never_exceeded(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], capacity=30)
    other = factories.member(world.network)
    services.pledge(world.admin, pool.id, 25, member_id=other.id)
    db.session.commit()
    sign_in(client, world.member_user)
    response = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "6", "action": "confirm"}
    )
    assert response.status_code == 422
    assert "Only 5 units are left" in response.get_data(as_text=True)
    assert (
        client.post(
            f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "5", "action": "confirm"}
        ).status_code
        == 302
    )
    db.session.refresh(pool)
    assert pool.pledged_quantity == 30


def test_raising_your_own_pledge_counts_only_the_difference_against_capacity(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], capacity=30)
    services.pledge(world.member_user, pool.id, 20, member_id=world.member.id)
    services.pledge(world.member_user, pool.id, 30, member_id=world.member.id)
    with pytest.raises(ValidationFailed):
        services.pledge(world.member_user, pool.id, 31, member_id=world.member.id)


@pytest.mark.parametrize("state", ["draft", "cancelled", "past_deadline"])
def test_pools_not_open_refuse_pledges_with_409(client, world, offer, state):
    pool = make_pool(world.secretary, offer, [world.consortium], open_=state != "draft")
    if state == "cancelled":
        services.cancel_pool(world.secretary, pool, "Supplier withdrew")
    if state == "past_deadline":
        pool.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict):
        services.pledge(world.member_user, pool.id, 5, member_id=world.member.id)
    db.session.rollback()
    sign_in(client, world.member_user)
    response = client.post(
        f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "5", "action": "confirm"}
    )
    if state == "draft":  # members do not see a draft at all (tests/orders/test_draft_visibility.py)
        assert response.status_code == 404
        return
    assert response.status_code == 409
    assert "pledges are taken only while it is open" in response.get_data(
        as_text=True
    ) or "deadline has passed" in response.get_data(as_text=True)


def test_a_member_cannot_pledge_into_another_consortiums_pool(client, world, offer):
    theirs = make_pool(world.admin, offer, [world.other_consortium])
    with pytest.raises(NotFound):
        services.pledge(world.member_user, theirs.id, 5, member_id=world.member.id)
    db.session.rollback()
    sign_in(client, world.member_user)
    assert (
        client.post(
            f"/pools/{theirs.id}/pledge", data={"member_id": world.member.id, "quantity": "5", "action": "confirm"}
        ).status_code
        == 404
    )


def test_withdrawing_without_a_pledge_is_404(world, pool):
    with pytest.raises(NotFound):
        services.withdraw_pledge(world.member_user, pool.id, world.member.id)


def test_running_totals_match_the_pledges(world, pool):
    members = [world.member] + [factories.member(world.network) for _ in range(4)]
    for n, member in enumerate(members):
        services.pledge(world.admin, pool.id, 3 + n, n, member_id=member.id)
    services.pledge(world.admin, pool.id, 40, 1, member_id=members[1].id)
    services.withdraw_pledge(world.admin, pool.id, members[2].id)
    db.session.commit()
    totals = db.session.execute(
        db.select(
            db.func.sum(Pledge.quantity),
            db.func.sum(Pledge.flexible_extra),
            db.func.count().filter(Pledge.quantity > 0),
        )
    ).one()
    pool = db.session.get(Pool, pool.id)
    assert (pool.pledged_quantity, pool.pledged_flexible, pool.member_count) == tuple(totals)


def test_a_pool_and_pledge_already_loaded_show_a_new_change_without_a_refresh(world, pool):
    """The pledge path writes with plain SQL, so it brings the session's own copies up to date."""
    services.pledge(world.member_user, pool.id, 10, 2, member_id=world.member.id)
    loaded = db.session.scalar(db.select(Pledge).where(Pledge.pool_id == pool.id))
    assert (pool.pledged_quantity, loaded.quantity, len(loaded.changes)) == (10, 10, 1)

    services.pledge(world.member_user, pool.id, 12, 0, member_id=world.member.id)

    assert (pool.pledged_quantity, pool.pledged_flexible, pool.member_count) == (12, 0, 1)
    assert (loaded.quantity, loaded.flexible_extra) == (12, 0)
    assert [(c.old_quantity, c.new_quantity) for c in loaded.changes] == [(0, 10), (10, 12)]
