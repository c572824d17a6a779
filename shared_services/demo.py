"""Demo shared services: a PR retainer and an HR advice line running for a year, billed every month
and paid by bank transfer but for the last month or two, and an IT support pool open for members to join.

Everything goes through the services, with the day each step happened passed in, so the
invoices carry the dates they would have had; `history()` yields each step's day, so the full
demo interleaves it with the other histories (kernel.demo.run_in_date_order) and every
consortium's invoices are numbered in date order.
"""

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from billing import payments
from catalogue.models import Offer
from kernel.clock import uk_today
from kernel.demo import run_in_date_order
from kernel.extensions import db
from organisations.demo import manager_of
from organisations.models import Consortium, Member, User
from shared_services import periods, services
from shared_services.models import AllocationKey, PeriodLength, ServicePool

PR_MEMBERS = [
    "Re-Tweed Dundee CIC",
    "Taybank Community Cafe",
    "Hilltown Print Collective",
    "Eat Well Dundee",
    "Perth Furniture Reuse",
    "Kinross Community Transport",
]
HR_SEATS = [
    ("Re-Tweed Dundee CIC", 8),
    ("Eat Well Dundee", 14),
    ("Kinross Community Transport", 22),
    ("Law Hill Youth Trust", 6),
    ("Crieff Heritage Skills", 5),
    ("Grassmarket Enterprises", 30),
    ("Edinburgh Remakery", 12),
]
# Brightside's retainer shared: £2,400 a month split by headcount, where each member alone would pay
# the offer's list price of £750 a month; the largest share (Fair City Laundry's, once Perth leaves) is £654.55.
PR_COST_PENCE = 240_000
IT_SEATS = [("Re-Tweed Dundee CIC", 6), ("Dundee Bike Works", 4)]
# period during which it happens -> (pool, member, action, units)
EVENTS: dict[int, list[tuple[str, str, str, int | None]]] = {
    3: [("pr", "Fair City Laundry", "join", None)],
    5: [("hr", "Bonnyrigg Care at Home", "join", 18)],
    7: [("pr", "Perth Furniture Reuse", "leave", None)],
    9: [("hr", "Crieff Heritage Skills", "leave", None)],
}


def seed() -> None:
    """Idempotent: does nothing once any shared-service pool exists."""
    run_in_date_order(history())


def history() -> Iterator[date]:
    """The pools opened, started and billed month by month, each step on its day."""
    if db.session.scalar(select(ServicePool.id).limit(1)) is not None:
        return
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    secretary = db.session.scalar(select(User).where(User.email == "secretary@example.org"))
    consortia = {c.code: c for c in db.session.scalars(select(Consortium))}
    offers = {o.name: o for o in db.session.scalars(select(Offer))}
    members = {m.name: m for m in db.session.scalars(select(Member))}
    if admin is None or secretary is None or "TAY" not in consortia or "HR advice line" not in offers:
        return
    today = uk_today()
    this_month = date(today.year, today.month, 1)
    start = periods.add_months(this_month, -12)
    before = start - timedelta(days=20)

    yield before
    pr = services.create_pool(
        secretary,
        offers["PR and media relations retainer"],
        [consortia["TAY"]],
        services.PoolTerms(
            cost_per_period_pence=PR_COST_PENCE,
            period=PeriodLength.MONTH,
            term_periods=24,
            start_date=start,
            minimum_participants=4,
            allocation_key=AllocationKey.HEADCOUNT,
            notice_periods=1,
            note="Brightside's PR team on a retainer: press releases, media lists and a monthly campaign, "
            "called on by any member taking part.",
        ),
        today=before,
    )
    hr = services.create_pool(
        admin,
        offers["HR advice line"],
        [consortia["TAY"], consortia["LOT"]],
        services.PoolTerms(
            cost_per_period_pence=42_000,
            period=PeriodLength.MONTH,
            term_periods=24,
            start_date=start,
            minimum_participants=5,
            allocation_key=AllocationKey.UNITS,
            notice_periods=2,
            note="Unlimited calls to People First's HR advisers; pledge the seats (employees) you want covered.",
        ),
        today=before,
    )
    pools = {"pr": pr, "hr": hr}
    services.open_pool(secretary, pr, today=before)
    services.open_pool(admin, hr, today=before)
    for name in PR_MEMBERS:
        services.join(manager_of(members[name]), pr.id, None, members[name].id, today=before)
    for name, seats in HR_SEATS:
        services.join(manager_of(members[name]), hr.id, seats, members[name].id, today=before)
    yield start
    for pool in pools.values():
        services.start_pool(pool.id, today=start)

    last = services.current_period(pr, this_month)
    for period in range(1, last + 1):
        starts_on = periods.period_start(start, 1, period)
        if period > 1:
            yield starts_on
        billed = [services.bill_period(None, pool.id, period, today=starts_on) for pool in pools.values()]
        during, paid_on = starts_on + timedelta(days=10), starts_on + timedelta(days=16)
        if period in EVENTS:
            yield during
        for key, name, action, units in EVENTS.get(period, []):
            member = members[name]
            if action == "join":
                services.join(manager_of(member), pools[key].id, units, member.id, today=during)
            else:
                services.leave(manager_of(member), pools[key].id, member.id, today=during)
        if paid_on < today - timedelta(days=7):
            yield paid_on
            # bill_period bills nothing (None) for a period billed already.
            charges = (
                charge for period_billed in billed if period_billed is not None for charge in period_billed.charges
            )
            for charge in charges:
                payments.record_payment(
                    admin, charge.invoice, charge.invoice.total_pence, paid_on, f"BACS {charge.invoice.number}"
                )

    yield today
    it = services.create_pool(
        secretary,
        offers["Managed IT support"],
        [consortia["TAY"]],
        services.PoolTerms(
            cost_per_period_pence=28_000,
            period=PeriodLength.MONTH,
            term_periods=24,
            start_date=periods.add_months(this_month, 1),
            minimum_participants=3,
            allocation_key=AllocationKey.UNITS,
            notice_periods=1,
            note="Forth IT's helpdesk, patching and backups, shared by the seats each member pledges: "
            "£28 a seat-month at ten seats against £32 bought alone, and less as more join.",
        ),
        today=today,
    )
    services.open_pool(secretary, it, today=today)
    for name, seats in IT_SEATS:
        services.join(manager_of(members[name]), it.id, seats, members[name].id, today=today)
