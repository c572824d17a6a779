"""One clock: every document of a day carries the UK date, also between midnight and 1 am in summer.

At 23:30 UTC on 1 July 2026 it is 00:30 BST on 2 July in the UK: an invoice from a purchase order and
a shared-service invoice issued then are both dated 2 July 2026, through the services and the pages.
"""

from datetime import UTC, date, datetime

from billing import services as billing
from billing.models import Invoice
from kernel.clock import uk_date, uk_today, utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as pools
from orders.models import PurchaseOrder
from organisations.models import Role
from shared_services import services as shared
from shared_services.models import ServicePool, SharedServiceCharge
from tests import factories
from tests.conftest import FrozenClock
from tests.factories import World, sign_in
from tests.orders.conftest import make_offer, make_pool
from tests.shared_services.conftest import make_pool as make_service_pool

BEFORE = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
HALF_PAST_MIDNIGHT_BST = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
SECOND_OF_JULY = date(2026, 7, 2)


def test_the_clock_gives_the_uk_date_of_an_instant(frozen_clock: FrozenClock) -> None:
    frozen_clock.set(HALF_PAST_MIDNIGHT_BST)
    assert utcnow() == HALF_PAST_MIDNIGHT_BST and HALF_PAST_MIDNIGHT_BST.date() == date(2026, 7, 1)
    assert uk_today() == uk_date(HALF_PAST_MIDNIGHT_BST) == SECOND_OF_JULY
    assert uk_date(datetime(2026, 12, 31, 23, 30)) == date(2026, 12, 31)  # naive is UTC; GMT in winter


def _delivered_order(world: World) -> PurchaseOrder:
    offer = make_offer(world.supplier, tiers=(("10", "2.00"),))
    pool = make_pool(world.secretary, offer, [world.consortium])
    pools.pledge(world.admin, pool.id, 12, member_id=world.member.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    return order


def _service_pool(world: World) -> ServicePool:
    """A shared service starting on 1 July, two members in it."""
    offer = factories.offer(world.supplier, name="Bookkeeping", list_price="40.00", tiers=((1, "40.00"),), unit="hour")
    other = factories.member(world.network, "Taybank Community Cafe", headcount=3)
    other_user = factories.user(None, (Role.MEMBER, other.id), name="Taybank manager")
    db.session.commit()
    pool = make_service_pool(world.secretary, offer, [world.consortium], start_date=date(2026, 7, 1))
    for user in (world.member_user, other_user):
        shared.join(user, pool.id)
    db.session.commit()
    return pool


def _service_invoices(pool_id: int) -> list[Invoice]:
    return list(
        db.session.scalars(
            db.select(Invoice)
            .join(SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id)
            .where(SharedServiceCharge.service_pool_id == pool_id)
        )
    )


def test_at_half_past_midnight_bst_both_kinds_of_invoice_carry_the_uk_date(world: World, frozen_clock: FrozenClock):
    frozen_clock.set(BEFORE)
    order, service_pool = _delivered_order(world), _service_pool(world)

    frozen_clock.set(HALF_PAST_MIDNIGHT_BST)
    purchase_orders.record_delivery(world.secretary, order, {})
    db.session.commit()
    from_order = billing.issue_invoices(world.secretary, order.id)
    shared.start_pool(service_pool.id)
    billed = shared.bill_period(world.secretary, service_pool.id, 1)
    db.session.commit()

    assert billed is not None
    from_service = _service_invoices(service_pool.id)
    assert len(from_order) == 1 and len(from_service) == 2
    for invoice in [*from_order, *from_service]:
        assert invoice.issue_date == SECOND_OF_JULY, invoice.number
        assert invoice.number.startswith(f"{world.consortium.code}-2026-")
    # delivered at 00:30 BST on 2 July: the time of supply is that UK date too
    assert from_order[0].supply_date == SECOND_OF_JULY


def test_at_half_past_midnight_bst_the_pages_issue_both_kinds_dated_the_uk_date(
    client, world: World, frozen_clock: FrozenClock
):
    frozen_clock.set(BEFORE)
    order, service_pool = _delivered_order(world), _service_pool(world)

    frozen_clock.set(HALF_PAST_MIDNIGHT_BST)
    purchase_orders.record_delivery(world.secretary, order, {})
    db.session.commit()
    sign_in(client, world.secretary)
    assert client.post(f"/purchase-orders/{order.id}/invoices").status_code == 302
    assert client.post(f"/shared-services/{service_pool.id}/bill").status_code == 302

    db.session.expire_all()
    invoices = db.session.scalars(db.select(Invoice).order_by(Invoice.id)).all()
    assert [i.purchase_order_id is not None for i in invoices] == [True, False, False]
    assert {i.issue_date for i in invoices} == {SECOND_OF_JULY}
    page = client.get(f"/invoices/{invoices[0].id}").get_data(as_text=True)
    assert "2 Jul 2026" in page and "1 Jul 2026" not in page


def test_at_half_past_midnight_bst_the_api_issues_invoices_dated_the_uk_date(
    client, world: World, frozen_clock: FrozenClock
):
    frozen_clock.set(BEFORE)
    order = _delivered_order(world)
    frozen_clock.set(HALF_PAST_MIDNIGHT_BST)
    purchase_orders.record_delivery(world.secretary, order, {})
    db.session.commit()

    response = client.post(f"/api/v1/purchase-orders/{order.id}/invoices", headers=factories.api_token(world.secretary))
    assert response.status_code == 201, response.get_json()
    [invoice] = response.get_json()
    assert (invoice["issue_date"], invoice["supply_date"]) == ("2026-07-02", "2026-07-02")
