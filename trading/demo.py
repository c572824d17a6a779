"""Demo trading in Tayside: Re-Tweed Dundee's meeting room and Dundee Bike Works' mechanic's hours, booked both
ways last month and cleared as Tayside's clearing 1; this month a booking each way invoiced and one request
waiting for Re-Tweed to answer.

Last month's steps are played on their own days: the clock is set to each day, as the tests' frozen clock does,
so every date, lapse and number comes from the services as it would have then.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select

from kernel import clock
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.demo import DEMO_MEMBER, manager_of
from organisations.models import Consortium, Member, User
from trading import services
from trading.models import HoursPeriod, Listing, ListingKind

ROOM = services.Offer(
    kind=ListingKind.ROOM,
    title="Meeting room for 8",
    description="A bright first-floor room at our Dundee workshop with a screen, a flipchart, tea and coffee.",
    member_price=Decimal("25.00"),
    public_price=Decimal("40.00"),
    free_cancel_days=2,
    cancel_fee_percent=50,
)
MECHANIC = services.Offer(
    kind=ListingKind.STAFF_TIME,
    title="Bike mechanic's hours",
    description="Our qualified mechanic services pool bikes and cargo bikes, at your site or ours.",
    member_price=Decimal("28.00"),
    skill="Bike maintenance",
    hours_available=10,
    hours_period=HoursPeriod.WEEK,
)


@contextmanager
def _on(day: date) -> Iterator[None]:
    """The services see `day`, mid-morning UK time, as today."""
    before = clock._now
    clock._now = lambda: datetime.combine(day, time(10, 0), tzinfo=UTC)
    try:
        yield
    finally:
        clock._now = before


def _slots(day: date, hours: tuple[int, ...]) -> list[tuple[datetime, datetime]]:
    return [(datetime.combine(day, time(h), tzinfo=UTC), datetime.combine(day, time(h + 2), tzinfo=UTC)) for h in hours]


def _delivered_and_invoiced(booking, seller: User, buyer: User):
    services.accept(seller, booking)
    services.confirm_delivery(buyer, booking)
    services.confirm_delivery(seller, booking)
    return services.issue_invoice(seller, booking)


def seed() -> None:
    """Idempotent: does nothing once any listing exists."""
    if db.session.scalar(select(Listing.id).limit(1)) is not None:
        return
    tayside = db.session.scalar(select(Consortium).where(Consortium.code == "TAY"))
    secretary = db.session.scalar(select(User).where(User.email == "secretary@example.org"))
    if tayside is None or secretary is None:
        return
    members = {m.name: m for m in db.session.scalars(select(Member)) if m.consortium_id == tayside.id}
    retweed, bikes, eat_well = members[DEMO_MEMBER], members["Dundee Bike Works"], members["Eat Well Dundee"]
    retweed_user, bikes_user, eat_well_user = manager_of(retweed), manager_of(bikes), manager_of(eat_well)
    services.save_terms(secretary, tayside.id, False, 90, 4, True, 50_000)
    today = uk_today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)

    with _on(last_month + timedelta(days=2)):
        room = services.create_listing(retweed_user, retweed.id, ROOM)
        past = services.add_slots(retweed_user, room, _slots(last_month + timedelta(days=11), (10, 14)))
        mechanic = services.create_listing(bikes_user, bikes.id, MECHANIC)
        room_booking = services.request_booking(bikes_user, services.Request(room.id, bikes.id, (past[0].id,)))
        hours_booking = services.request_booking(
            retweed_user,
            services.Request(mechanic.id, retweed.id, hours=6, starts_on=last_month + timedelta(days=14)),
        )
    with _on(last_month + timedelta(days=16)):
        _delivered_and_invoiced(room_booking, retweed_user, bikes_user)
        _delivered_and_invoiced(hours_booking, bikes_user, retweed_user)
    services.clear_month(secretary, tayside.id, last_month)

    services.renew_listing(retweed_user, room)
    services.renew_listing(bikes_user, mechanic)
    soon = [today + timedelta(days=days) for days in range(3, 9)]
    free = services.add_slots(retweed_user, room, [s for day in soon for s in _slots(day, (10,))])
    this_month = services.request_booking(
        retweed_user, services.Request(mechanic.id, retweed.id, hours=4, starts_on=today)
    )
    _delivered_and_invoiced(this_month, bikes_user, retweed_user)
    services.request_booking(
        eat_well_user, services.Request(room.id, eat_well.id, (free[-1].id,), note="For our trustees' meeting.")
    )
    db.session.flush()
