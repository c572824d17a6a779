"""Demo pools in every state so far, several open with members' pledges, so the marketplace looks alive."""

from collections.abc import Iterator
from datetime import date, timedelta

from sqlalchemy import select

from catalogue.models import Offer
from kernel.clock import uk_today, utcnow
from kernel.demo import run_in_date_order
from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders.models import Pool
from organisations.demo import manager_of
from organisations.models import Consortium, Member, Network, User

# offer name, consortia codes, days to deadline, capacity, delivery charge (pence), state,
# pledges (member, qty, flexible)
POOLS = [
    (
        "A4 copier paper 80gsm, box of 5 reams",
        ["TAY"],
        9,
        2500,
        4500,
        "open",
        [
            ("Taybank Community Cafe", 40, 5),
            ("Hilltown Print Collective", 120, 0),
            ("Eat Well Dundee", 60, 5),
            ("Perth Furniture Reuse", 25, 0),
            ("Kinross Community Transport", 90, 10),
            ("Fair City Laundry", 35, 0),
            ("Forfar Community Energy", 15, 5),
            ("Cupar Wood Recycling", 20, 0),
        ],
    ),
    (
        "Renewable electricity, business tariff",
        ["TAY", "LOT"],
        21,
        None,
        0,
        "open",
        [
            ("Re-Tweed Dundee CIC", 18000, 0),
            ("Kinross Community Transport", 64000, 0),
            ("Fair City Laundry", 52000, 0),
            ("Grassmarket Enterprises", 88000, 0),
            ("Edinburgh Remakery", 24000, 0),
            ("Bonnyrigg Care at Home", 71000, 0),
        ],
    ),
    (
        "Toner cartridge, HP 26A compatible (remanufactured)",
        ["TAY"],
        2,
        80,
        1200,
        "open",
        [
            ("Re-Tweed Dundee CIC", 3, 1),
            ("Dundee Bike Works", 2, 0),
            ("Law Hill Youth Trust", 4, 0),
            ("Crieff Heritage Skills", 6, 2),
            ("Brechin Digital Inclusion", 5, 0),
        ],
    ),
    (
        "A5 leaflets, design and print",
        ["TAY"],
        14,
        None,
        0,
        "open",
        [("Taybank Community Cafe", 2, 0), ("Tay Valley Gardens", 1, 0), ("Montrose Basin Tours", 3, 0)],
    ),
    (
        "A4 copier paper 80gsm, box of 5 reams",
        ["LOT"],
        12,
        None,
        3500,
        "open",
        [
            ("Leith Community Crops", 30, 0),
            ("Grassmarket Enterprises", 200, 20),
            ("Canongate Youth Cafe", 45, 5),
            ("Livingston Cycle Hub", 20, 0),
            ("Musselburgh Reuse Hub", 50, 0),
        ],
    ),
    ("Pull-up banner, printed", ["TAY"], 30, None, 1500, "draft", []),
    ("Green gas, business tariff", ["TAY"], 5, None, 0, "cancelled", [("Fair City Laundry", 12000, 0)]),
    # closed pools, their orders at each step from draft to delivered
    (
        "A4 copier paper 80gsm, box of 5 reams",
        ["TAY"],
        1,
        None,
        3000,
        "ordered:draft",
        [
            ("Re-Tweed Dundee CIC", 12, 3),
            ("Eat Well Dundee", 40, 0),
            ("Perth Furniture Reuse", 23, 2),
            ("Forfar Community Energy", 18, 0),
        ],
    ),
    (
        "Toner cartridge, HP 26A compatible (remanufactured)",
        ["TAY"],
        1,
        None,
        900,
        "ordered:sent",
        [
            ("Re-Tweed Dundee CIC", 2, 0),
            ("Hilltown Print Collective", 9, 0),
            ("Fair City Laundry", 4, 0),
            ("Kirriemuir Care Cooperative", 8, 0),
        ],
    ),
    (
        "C4 recycled envelopes, box of 250",
        ["TAY", "LOT"],
        1,
        None,
        1800,
        "ordered:confirmed",
        [
            ("Re-Tweed Dundee CIC", 500, 250),
            ("Kinross Community Transport", 2000, 0),
            ("Eat Well Dundee", 1200, 100),
            ("Grassmarket Enterprises", 4000, 0),
            ("Edinburgh Remakery", 900, 200),
        ],
    ),
    (
        "A4 copier paper 80gsm, box of 5 reams",
        ["LOT"],
        1,
        None,
        2500,
        "ordered:delivered",
        [("Leith Community Crops", 25, 0), ("Gorgie City Farm Trading", 60, 5), ("Dunbar Coastal Trust", 15, 0)],
    ),
    (
        "Pull-up banner, printed",
        ["LOT"],
        1,
        None,
        0,
        "ordered:cancelled",
        [("Canongate Youth Cafe", 2, 0), ("Musselburgh Reuse Hub", 1, 0)],
    ),
    (
        "Toner cartridge, HP 26A compatible (remanufactured)",
        ["TAY"],
        1,
        None,
        600,
        "ordered:short",
        [("Re-Tweed Dundee CIC", 3, 0), ("Taybank Community Cafe", 5, 0), ("Kinross Community Transport", 12, 0)],
    ),
]
CANCEL_REASON = "The supplier could not hold its tier prices past the end of the quarter; a new pool will follow."
ORDER_CANCEL_REASON = "The printer's machine broke down before the job started; the order will be placed again."


ORDERING_DAYS_AGO = 41
"""The day the full demo takes this step: after the past pools' orders, before the billing demo invoices these."""


def seed() -> None:
    run_in_date_order(history())


def history() -> Iterator[date]:
    """Idempotent: does nothing once any pool exists. One step (see kernel.demo.run_in_date_order)."""
    if db.session.scalar(select(Pool.id).limit(1)) is not None:
        return
    yield uk_today() - timedelta(days=ORDERING_DAYS_AGO)
    admin = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
    consortia = {c.code: c for c in db.session.scalars(select(Consortium))}
    members = {m.name: m for m in db.session.scalars(select(Member).join(Network))}
    for offer_name, codes, days, capacity, delivery, state, pledges in POOLS:
        offer = db.session.execute(select(Offer).where(Offer.name == offer_name).limit(1)).scalar_one()
        terms = services.PoolTerms(
            deadline=utcnow() + timedelta(days=days, hours=3),
            capacity=capacity,
            delivery_charge_pence=delivery,
            note="Delivered to each member's address on the delivery date." if delivery else None,
        )
        pool = services.create_pool(admin, offer, [consortia[code] for code in codes], terms)
        if state == "draft":
            continue
        services.open_pool(admin, pool)
        for member_name, quantity, flexible in pledges:
            member = members[member_name]
            services.pledge(manager_of(member), pool.id, quantity, flexible, member.id)
        if state == "cancelled":
            services.cancel_pool(admin, pool, CANCEL_REASON)
        if state.startswith("ordered:"):
            _close_and_progress(admin, pool, state.partition(":")[2])


def _close_and_progress(admin: User, pool: Pool, step: str) -> None:
    """Closes the pool and takes each of its orders to `step`; "short" delivers one member less,
    "cancelled" sends the order and then cancels it."""
    for order in closing.close_pool(admin, pool.id).purchase_orders:
        if step == "draft":
            continue
        purchase_orders.send(admin, order)
        if step == "sent":
            continue
        if step == "cancelled":
            purchase_orders.cancel(admin, order, ORDER_CANCEL_REASON)
            continue
        purchase_orders.confirm(admin, order)
        if step == "confirmed":
            continue
        first = order.allocations[0]
        short = {first.member_id: first.units - 1} if step == "short" and first.units else {}
        purchase_orders.record_delivery(admin, order, short)
