"""A year of past trading for the demo, so the savings reports have twelve months to show.

Each month from thirteen months ago to two months ago, one consortium (or both, nationally) ran a
pool through the same services as a live one: pledges, closing, sending, confirming, delivery,
invoicing (dated in that month), and here and there a credit note nine days later. The timestamps
are then set back to when it would have happened, so pool and order pages read as history.
`history()` yields each step's day, so the full demo can interleave it with the others'
(kernel.demo.run_in_date_order) and number every invoice in date order.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update

from billing import payments
from billing import services as billing
from billing.models import Invoice, LineKind
from catalogue.models import Offer
from kernel.clock import uk_today, utcnow
from kernel.demo import run_in_date_order
from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders.models import Pledge, PledgeChange, Pool
from organisations.models import Consortium, Member, User

NOTE = "A past pool: delivered and invoiced."
PAPER = "A4 copier paper 80gsm, box of 5 reams"

# months ago (2 to 13), offer, consortia codes, delivery charge (pence), pledges (member, units),
# credit (member, units, reason)
HISTORY = [
    (
        13,
        PAPER,
        ["TAY"],
        3000,
        [
            ("Re-Tweed Dundee CIC", 40),
            ("Taybank Community Cafe", 60),
            ("Hilltown Print Collective", 120),
            ("Eat Well Dundee", 45),
        ],
        None,
    ),
    (
        12,
        "PR and media relations retainer",
        ["LOT"],
        0,
        [("Grassmarket Enterprises", 6), ("Edinburgh Remakery", 3), ("Leith Community Crops", 3)],
        None,
    ),
    (
        11,
        "Managed IT support",
        ["TAY"],
        0,
        [("Kinross Community Transport", 25), ("Fair City Laundry", 30), ("Kirriemuir Care Cooperative", 60)],
        None,
    ),
    (
        10,
        "HR advice line",
        ["TAY", "LOT"],
        0,
        [
            ("Re-Tweed Dundee CIC", 8),
            ("Eat Well Dundee", 22),
            ("Kirriemuir Care Cooperative", 60),
            ("Grassmarket Enterprises", 40),
            ("Bonnyrigg Care at Home", 85),
        ],
        None,
    ),
    (
        9,
        "Bookkeeping",
        ["LOT"],
        0,
        [("Canongate Youth Cafe", 40), ("Gorgie City Farm Trading", 60), ("Livingston Cycle Hub", 30)],
        None,
    ),
    (
        8,
        "Toner cartridge, HP 26A compatible (remanufactured)",
        ["TAY"],
        900,
        [
            ("Re-Tweed Dundee CIC", 4),
            ("Hilltown Print Collective", 12),
            ("Law Hill Youth Trust", 3),
            ("Dundee Bike Works", 2),
        ],
        ("Hilltown Print Collective", 1, "One cartridge leaked in transit."),
    ),
    (
        7,
        "A5 leaflets, design and print",
        ["TAY"],
        0,
        [
            ("Taybank Community Cafe", 3),
            ("Montrose Basin Tours", 2),
            ("Tay Valley Gardens", 2),
            ("Arbroath Harbour Crafts", 1),
        ],
        None,
    ),
    (
        6,
        "Renewable electricity, business tariff",
        ["LOT"],
        0,
        [("Grassmarket Enterprises", 88000), ("Edinburgh Remakery", 24000), ("Bonnyrigg Care at Home", 71000)],
        None,
    ),
    (
        5,
        "Microsoft 365 Business Standard licence",
        ["TAY"],
        0,
        [
            ("Re-Tweed Dundee CIC", 8),
            ("Perth Furniture Reuse", 18),
            ("Forfar Community Energy", 7),
            ("Cupar Wood Recycling", 15),
            ("Kinross Community Transport", 25),
        ],
        None,
    ),
    (
        4,
        "Payroll bureau",
        ["TAY"],
        0,
        [
            ("Kinross Community Transport", 75),
            ("Crieff Heritage Skills", 27),
            ("Brechin Digital Inclusion", 36),
            ("Fair City Laundry", 90),
        ],
        None,
    ),
    (
        3,
        PAPER,
        ["LOT"],
        2500,
        [("Leith Community Crops", 25), ("Grassmarket Enterprises", 150), ("Canongate Youth Cafe", 30)],
        ("Grassmarket Enterprises", 5, "Five reams were damp."),
    ),
    (
        2,
        "Employee handbook and policy pack",
        ["TAY", "LOT"],
        0,
        [
            ("Re-Tweed Dundee CIC", 1),
            ("Dundee Bike Works", 1),
            ("Edinburgh Remakery", 1),
            ("Dalkeith Repair Cafe", 1),
            ("Fair City Laundry", 1),
        ],
        None,
    ),
]


# Members pay the past pools' invoices three weeks after them, all but one in UNPAID_EVERY: a few stay overdue
# for the secretary to chase, without the billing page opening on a wall of them.
PAID_AFTER_DAYS = 21
UNPAID_EVERY = 10


def months_before(today: date, months: int, day: int = 12) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, day)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def seed() -> None:
    """Idempotent: does nothing once the past pools exist. Needs the people, catalogue and admin of the demo."""
    run_in_date_order(history())


def history() -> Iterator[date]:
    """The past pools, one step a day: each pool on its invoice day, its credit note on its own."""
    if db.session.scalar(select(Pool.id).where(Pool.note == NOTE).limit(1)) is not None:
        return
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    if admin is None:
        return
    consortia = {c.code: c for c in db.session.scalars(select(Consortium))}
    members = {m.name: m for m in db.session.scalars(select(Member))}
    today = uk_today()
    for months, offer_name, codes, delivery, pledges, credit in HISTORY:
        offer = db.session.scalar(select(Offer).where(Offer.name == offer_name))
        if offer is None or not all(name in members for name, _ in pledges):
            continue
        invoiced_on = months_before(today, months)
        yield invoiced_on
        invoices = _past_pool(
            admin, offer, [consortia[code] for code in codes], delivery, pledges, members, invoiced_on
        )
        if credit is not None:
            yield invoiced_on + timedelta(days=9)
            name, units, reason = credit
            invoice = next(i for i in invoices if i.member_id == members[name].id)
            goods = next(line for line in invoice.lines if line.kind is LineKind.GOODS)
            billing.issue_credit_note(
                admin, invoice, [billing.CreditItem(goods.id, units)], reason, today=invoiced_on + timedelta(days=9)
            )
        paid_on = invoiced_on + timedelta(days=PAID_AFTER_DAYS)
        if paid_on < today:
            yield paid_on
            for position, invoice in enumerate(invoices, start=months):
                if position % UNPAID_EVERY and invoice.due_pence > 0:
                    payments.record_payment(admin, invoice, invoice.due_pence, paid_on, f"BACS {invoice.number}")


def _past_pool(
    admin: User, offer: Offer, consortia: list[Consortium], delivery: int, pledges, members, invoiced_on: date
) -> list[Invoice]:
    terms = services.PoolTerms(deadline=utcnow() + timedelta(days=1), delivery_charge_pence=delivery, note=NOTE)
    pool = services.create_pool(admin, offer, consortia, terms)
    services.open_pool(admin, pool)
    for name, units in pledges:
        services.pledge(admin, pool.id, units, member_id=members[name].id)
    orders = closing.close_pool(admin, pool.id, now=_closed_at(invoiced_on)).purchase_orders
    for order in orders:
        purchase_orders.send(admin, order)
        purchase_orders.confirm(admin, order)
        purchase_orders.record_delivery(admin, order)
    _set_back(pool, orders, invoiced_on)
    return [invoice for order in orders for invoice in billing.issue_invoices(admin, order.id, today=invoiced_on)]


def _closed_at(invoiced_on: date) -> datetime:
    """The deadline a past pool closed at: its orders are numbered in that year."""
    return _at(invoiced_on - timedelta(days=19), 17)


def _set_back(pool: Pool, orders, invoiced_on: date) -> None:
    """Dates the pool, its pledges and orders to the weeks before `invoiced_on`, delivery first."""
    opened, deadline = _at(invoiced_on - timedelta(days=40)), _closed_at(invoiced_on)
    pool.created_at = pool.opened_at = opened
    pool.deadline = pool.closed_at = deadline
    pledged = _at(invoiced_on - timedelta(days=30))
    db.session.execute(update(Pledge).where(Pledge.pool_id == pool.id).values(created_at=pledged, updated_at=pledged))
    db.session.execute(
        update(PledgeChange)
        .where(PledgeChange.pledge_id.in_(select(Pledge.id).where(Pledge.pool_id == pool.id)))
        .values(changed_at=pledged)
    )
    for order in orders:
        order.created_at = deadline
        order.sent_at = deadline + timedelta(hours=1)
        order.confirmed_at = deadline + timedelta(days=1)
        order.delivered_at = _at(invoiced_on - timedelta(days=6), 14)
    db.session.flush()
