"""What members and suppliers are told about pools and orders: each event leaves its messages in the outbox."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, notices, purchase_orders
from orders import services as pools
from orders.prices import pool_tiers
from organisations import notifications
from organisations.models import OutboxMessage, Role
from tests import factories
from tests.factories import sign_in
from tests.orders.conftest import make_offer, make_pool


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    return factories.outbox_messages(kind)


def recipients(kind: str) -> list[str]:
    return sorted(m.to_email for m in outbox(kind))


@pytest.fixture
def colleague(world):
    """A second member of our consortium, with its own user."""
    member = factories.member(world.network, "Dundee Bike Kitchen")
    user = factories.user("kitchen@example.org", (Role.MEMBER, member.id), name="Kit Chen")
    db.session.commit()
    return user, member


@pytest.fixture
def their_user(world):
    user = factories.user("leith@example.org", (Role.MEMBER, world.other_member.id), name="Leith User")
    db.session.commit()
    return user


def test_opening_a_pool_tells_every_member_of_its_consortium(world, offer, colleague, their_user):
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    assert outbox() == []
    pools.open_pool(world.secretary, pool)
    db.session.commit()

    assert recipients("pool_opened") == ["kitchen@example.org", "member@example.org"]
    message = next(m for m in outbox() if m.to_email == "member@example.org")
    assert message.subject.startswith("Tayside: pledge for A4 copier paper by ")
    assert message.consortium_id == world.consortium.id
    for body in (message.body_text, message.body_html):
        assert "Dear Morag Member" in body and "Tayside has opened a pool for" in body
        assert f"http://127.0.0.1:5000/pools/{pool.id}" in body and "£18.50" in body and "Tayside" in body


def test_a_national_pool_tells_each_member_in_the_name_of_its_own_consortium(world, offer, their_user):
    pool = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    by_email = {m.to_email: m for m in outbox("pool_opened")}
    assert set(by_email) == {"member@example.org", "leith@example.org"}
    assert by_email["member@example.org"].subject.startswith("Tayside:")
    assert by_email["leith@example.org"].subject.startswith("Lothians:")
    assert "Lothians has opened a national pool" in by_email["leith@example.org"].body_text
    assert pool.is_national


def test_opening_tells_nobody_who_switched_it_off_and_a_rolled_back_open_tells_nobody(world, offer, colleague):
    notifications.switch_off(world.member_user, "pool_opened")
    db.session.commit()
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    pools.open_pool(world.secretary, pool)
    db.session.rollback()
    assert outbox() == []
    pools.open_pool(world.secretary, pool)
    db.session.commit()
    assert recipients("pool_opened") == ["kitchen@example.org"]


def test_reaching_a_tier_tells_those_who_pledged_once_per_tier(world, pool, colleague, their_user):
    user, _member = colleague
    quiet = factories.member(world.network, "Not Pledging Ltd")
    factories.user("quiet@example.org", (Role.MEMBER, quiet.id))
    db.session.commit()

    pools.pledge(world.member_user, pool.id, 5)
    assert outbox("pool_tier_reached") == []
    pools.pledge(user, pool.id, 6)
    db.session.commit()
    assert recipients("pool_tier_reached") == ["kitchen@example.org", "member@example.org"]
    message = outbox("pool_tier_reached")[0]
    assert message.subject == "Tayside: A4 copier paper now costs £22.00 a box"
    assert "reached 11 boxes" in message.body_text and "At 50 boxes the price falls to £20.00" in message.body_text

    pools.pledge(user, pool.id, 8)
    pools.pledge(user, pool.id, 1)
    pools.pledge(user, pool.id, 9)
    db.session.commit()
    assert len(outbox("pool_tier_reached")) == 2, "falling below a tier and climbing back tells nobody again"

    pools.pledge(world.member_user, pool.id, 45)
    db.session.commit()
    assert [m.subject for m in outbox("pool_tier_reached")][2:] == [
        "Tayside: A4 copier paper now costs £20.00 a box"
    ] * 2


def test_a_deadline_reminder_goes_to_members_who_have_not_pledged(world, offer, colleague, runner):
    _user, _member = colleague
    soon = make_pool(world.secretary, offer, [world.consortium], deadline=utcnow() + timedelta(hours=30))
    later = make_pool(
        world.secretary,
        make_offer(world.supplier, name="Toner"),
        [world.consortium],
        deadline=utcnow() + timedelta(days=5),
    )
    pools.pledge(world.member_user, soon.id, 5)
    pools.pledge(world.member_user, later.id, 5)
    db.session.commit()

    result = runner.invoke(args=["send-deadline-reminders"])
    assert result.exit_code == 0 and "Reminders queued for 1 of 1 pools closing within 48 hours" in result.output
    [message] = outbox("pool_deadline_soon")
    assert message.to_email == "kitchen@example.org"
    assert message.subject.startswith("Tayside: A4 copier paper closes on ")
    assert "has not pledged yet" in message.body_text and f"/pools/{soon.id}" in message.body_text

    again = runner.invoke(args=["send-deadline-reminders"])
    assert "Reminders queued for 0 of 1 pools" in again.output
    assert len(outbox("pool_deadline_soon")) == 1


def test_closing_tells_each_pledging_member_its_allocation(world, offer, colleague):
    user, _member = colleague
    pool = make_pool(
        world.secretary,
        make_offer(world.supplier, pack_size=5, tiers=(("10", "20.00"),)),
        [world.consortium],
        minimum=10,
    )
    pools.pledge(world.member_user, pool.id, 7)
    pools.pledge(user, pool.id, 6, flexible_extra=2)
    closing.close_pool(world.secretary, pool.id)
    db.session.commit()

    by_email = {m.to_email: m for m in outbox("pool_closed")}
    assert set(by_email) == {"member@example.org", "kitchen@example.org"}
    ours = by_email["member@example.org"]
    assert ours.subject.startswith("Tayside: A4 copier paper pool closed, ")
    allocation = closing.member_allocations(pool, {world.member.id})[world.member.id]
    assert f"allocated   {allocation.units} boxes" in ours.body_text
    assert "pledged     7 boxes" in ours.body_text and allocation.reason in ours.body_text
    assert "(and up to 2 more if needed)" in by_email["kitchen@example.org"].body_text
    assert f"<td>{allocation.reason}</td>" in ours.body_html


def test_cancelling_tells_those_who_pledged_why(world, pool, colleague):
    pools.pledge(world.member_user, pool.id, 5)
    pools.cancel_pool(world.secretary, pool, "The supplier cannot deliver before March.")
    db.session.commit()
    [message] = outbox("pool_cancelled")
    assert message.to_email == "member@example.org"
    assert message.subject == "Tayside: A4 copier paper pool cancelled"
    assert "Why: The supplier cannot deliver before March." in message.body_text


def test_a_pool_below_its_minimum_at_close_is_cancelled_and_its_pledgers_told(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=100)
    pools.pledge(world.member_user, pool.id, 5)
    result = closing.close_pool(None, pool.id)
    db.session.commit()
    assert result.cancelled
    [message] = outbox("pool_cancelled")
    assert "The minimum was not met: 5 of the 100 boxes needed" in message.body_text


def closed_order(world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    pools.pledge(world.member_user, pool.id, 12)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    db.session.commit()
    return order


def test_sending_a_purchase_order_tells_the_suppliers_users(world, offer):
    factories.user("other-supplier@example.org", (Role.SUPPLIER, world.other_supplier.id))
    order = closed_order(world, offer)
    assert outbox("purchase_order_sent") == []
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    [message] = outbox("purchase_order_sent")
    assert message.to_email == "supplier@example.org"
    assert message.subject == f"Tayside: purchase order {order.number}"
    assert "12 boxes at £22.00 a box" in message.body_text and "Buyer: Tayside" in message.body_text
    assert f"http://127.0.0.1:5000/purchase-orders/{order.id}" in message.body_text


def test_an_order_sent_on_close_tells_the_supplier_too(world, offer):
    world.consortium.send_orders_on_close = True
    db.session.commit()
    order = closed_order(world, offer)
    [message] = outbox("purchase_order_sent")
    assert message.subject == f"Tayside: purchase order {order.number}"


def test_the_tier_check_on_the_pledge_path_is_a_comparison_and_a_crossing_one_insert(world, pool):
    """Under the pool's lock nothing is rendered or fanned out: no query unless a tier is crossed, then one."""
    tiers = pool_tiers(pool)
    statements = []

    def listener(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        notices.tier_reached(pool.id, tiers, 12, 14)
        notices.tier_reached(pool.id, tiers, 14, 3)
        assert statements == []
        notices.tier_reached(pool.id, tiers, 1, 5000)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 1 and statements[0].startswith("INSERT INTO outbox_event")
    assert db.session.scalar(select(OutboxMessage.id)) is None, "the messages wait for the sender"


def test_opening_through_the_page_commits_the_messages_with_the_pool(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], open_=False)
    sign_in(client, world.secretary)
    assert client.post(f"/pools/{pool.id}/open").status_code == 302
    db.session.expire_all()
    assert recipients("pool_opened") == ["member@example.org"]
