"""What pools and purchase orders ask of each role today: the dashboard's to-do sections.

Each section is a count and its first few rows (`first_few`: two statements, whatever the
data), so the dashboard costs the same with ten pools or ten thousand. Pools about to tip are
priced from their held tiers, loaded with the pools in one more statement.
"""

from datetime import timedelta
from decimal import Decimal

from flask import url_for
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, lazyload

from catalogue import pricing
from catalogue.models import Offer
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.formatting import pounds, uk_date
from kernel.navigation import Entry, Todo, first_few
from kernel.words import counted, per_unit, quantity
from orders import closing, services
from orders.demand import about_to_tip_sql, within_reach
from orders.models import Pledge, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus, pool_consortium
from orders.prices import pool_list_price, pool_tiers, with_standing
from organisations.models import Consortium, Member, Network, Organisation, User

CLOSING_SOON = timedelta(days=7)
"""A pool closing within this is "closing soon"; one near its minimum this close to its deadline may miss it."""
FORECAST_WEEKS = 6
"""The supplier's forecast looks this many weeks ahead."""


def _with_prices(query: Select) -> Select:
    """The pools with the tiers that price them, joined in the same statement: a to-do list loads at most a few
    pools, and a statement that runs whether or not the list is empty keeps the page's count the same."""
    return query.options(
        joinedload(Pool.offer).options(lazyload(Offer.category), lazyload(Offer.supplier), joinedload(Offer.tiers)),
        joinedload(Pool.held_tiers),
    )


def _standing(pool: Pool) -> pricing.Standing[Decimal]:
    return pricing.standing(pool_tiers(pool), pool.pledged_quantity, pool_list_price(pool))


def tipping(pool: Pool) -> str | None:
    """What an open pool is about to reach (its next tier or its minimum), or None when neither is near."""
    if within_reach(pool.pledged_quantity, pool.minimum_quantity):
        return f"{quantity(pool.minimum_quantity - pool.pledged_quantity, pool.offer)} short of its minimum"
    next_tier = _standing(pool).next_tier
    if next_tier is not None and within_reach(pool.pledged_quantity, next_tier.min_quantity):
        to_go = quantity(next_tier.min_quantity - pool.pledged_quantity, pool.offer)
        return f"{to_go} from {per_unit(next_tier.unit_price, pool.offer)}"
    return None


def _pool_link(pool: Pool, detail: str, tone: str = "neutral") -> Entry:
    return Entry(pool.offer.name, url_for("orders.pool_page", pool_id=pool.id), detail, tone)


def _about_to_tip(role: str, open_pools: Select, order: int) -> Todo:
    """Open pools within 10% of their next tier or minimum: every open pool is priced and counted in SQL
    (`demand.about_to_tip_sql`), and only the first few are loaded, to say what each is about to reach."""
    standing = with_standing(open_pools.with_only_columns(Pool.id, Pool.deadline, Pool.minimum_quantity)).subquery()
    count, first = first_few(
        select(standing.c.id)
        .where(about_to_tip_sql(standing.c.standing_units, standing.c.minimum_quantity, standing.c.next_min))
        .order_by(standing.c.deadline, standing.c.id)
    )
    pools = db.session.scalars(_with_prices(select(Pool).where(Pool.id.in_(first)).order_by(Pool.deadline, Pool.id)))
    tips = [(pool, note) for pool in pools.unique() if (note := tipping(pool)) is not None]
    return Todo(
        f"{role}.pools_about_to_tip",
        role,
        "Pools about to tip",
        count,
        url_for("orders.list_pools"),
        "See the open pools",
        [_pool_link(pool, note, "success") for pool, note in tips],
        text="A few more units would bring these pools a lower price or their minimum.",
        tone="success",
        order=order,
    )


# The member


def member_todos(user: User) -> list[Todo]:
    if not user.member_ids:
        return []
    now = utcnow()
    ours = select(Pledge.id).where(
        Pledge.pool_id == Pool.id, Pledge.member_id.in_(user.member_ids), Pledge.quantity > 0
    )
    closing = (
        services.visible_pools(user)
        .where(Pool.status == PoolStatus.OPEN, Pool.deadline > now, Pool.deadline <= now + CLOSING_SOON, ~exists(ours))
        .order_by(Pool.deadline, Pool.id)
    )
    closing_count, closing_pools = first_few(_with_prices(closing))
    pledges = (
        select(Pledge)
        .join(Pool, Pool.id == Pledge.pool_id)
        .where(Pledge.member_id.in_(user.member_ids), Pledge.quantity > 0, Pool.status == PoolStatus.OPEN)
        .options(
            joinedload(Pledge.pool).options(
                joinedload(Pool.offer).options(lazyload(Offer.category), lazyload(Offer.supplier)),
                joinedload(Pool.held_tiers),
            ),
            # what the bill is worked out on: the member's band, its consortium's fee and VAT registration
            joinedload(Pledge.member)
            .joinedload(Member.network)
            .joinedload(Network.consortium)
            .joinedload(Consortium.organisation),
        )
        .order_by(Pool.deadline, Pledge.id)
    )
    pledge_count, open_pledges = first_few(pledges)
    return [
        Todo(
            "member.pools_closing_soon",
            "member",
            "Pools closing soon you have not pledged to",
            closing_count,
            url_for("orders.list_pools", sort="deadline"),
            "See the open pools",
            [
                _pool_link(p, f"closes {uk_date(p.deadline)}, {per_unit(_standing(p).unit_price, p.offer)} now")
                for p in closing_pools
            ],
            text="Pledge before the deadline to share the lower price.",
            tone="warning" if closing_count else "info",
            order=10,
        ),
        Todo(
            "member.pledges",
            "member",
            "Your pledges in open pools",
            pledge_count,
            url_for("orders.my_pledges"),
            "See all your pledges",
            [_pledge_entry(p) for p in open_pledges],
            text="What each pledge would cost if its pool closed now, as its invoice would bill it; "
            "the price can only fall as more members pledge.",
            order=11,
        ),
    ]


def _pledge_entry(pledge: Pledge) -> Entry:
    """The pledge's cost as the pool page gives it: the invoice's calculation run as if the pool closed now."""
    pool = pledge.pool
    bill = closing.members_costs(pool, {pledge.member_id: pledge})[pledge.member_id]
    detail = (
        f"{quantity(pledge.quantity, pool.offer)} at {per_unit(bill.unit_price, pool.offer)}: "
        f"{pounds(bill.total_pence)} to pay with delivery, fees and VAT; closes {uk_date(pool.deadline)}"
    )
    return Entry(pool.offer.name, url_for("orders.pool_page", pool_id=pool.id), detail)


# The secretary


def _consortium_pools(consortium_id: int) -> Select:
    return select(Pool).where(
        Pool.id.in_(select(pool_consortium.c.pool_id).where(pool_consortium.c.consortium_id == consortium_id))
    )


def secretary_todos(user: User) -> list[Todo]:
    todos = []
    now = utcnow()
    for grant in user.grants:
        if grant.consortium is None:
            continue
        cid, name = grant.consortium.id, grant.consortium.name
        pools = _consortium_pools(cid)
        open_pools = pools.where(Pool.status == PoolStatus.OPEN)
        to_close_count, to_close = first_few(
            _with_prices(open_pools.where(Pool.deadline <= now).order_by(Pool.deadline, Pool.id))
        )
        missing_count, missing = first_few(
            _with_prices(
                open_pools.where(
                    Pool.deadline > now,
                    Pool.deadline <= now + CLOSING_SOON,
                    Pool.pledged_quantity < Pool.minimum_quantity,
                ).order_by(Pool.deadline, Pool.id)
            )
        )
        orders = select(PurchaseOrder).where(PurchaseOrder.consortium_id == cid).options(lazyload("*"))
        drafts_count, drafts = first_few(
            orders.where(PurchaseOrder.status == PurchaseOrderStatus.DRAFT).order_by(PurchaseOrder.created_at)
        )
        moving_count, moving = first_few(
            orders.where(PurchaseOrder.status.in_([PurchaseOrderStatus.SENT, PurchaseOrderStatus.CONFIRMED])).order_by(
                PurchaseOrder.created_at
            )
        )
        never_count, never = first_few(
            select(Member)
            .join(Network, Network.id == Member.network_id)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(Network.consortium_id == cid, Member.active, ~exists().where(Pledge.member_id == Member.id))
            .options(joinedload(Member.organisation), lazyload(Member.network))
            .order_by(Organisation.legal_name, Member.id)
        )
        tip = _about_to_tip("secretary", open_pools, order=24)
        tip.title = f"{name}: pools about to tip"
        todos += [
            Todo(
                "secretary.pools_to_close",
                "secretary",
                f"{name}: pools to close",
                to_close_count,
                url_for("orders.list_pools", status="open", sort="deadline"),
                "See the open pools",
                [_pool_link(p, f"deadline passed {uk_date(p.deadline)}", "danger") for p in to_close],
                text="Their deadline has passed: preview and close each one, or cancel it.",
                tone="danger" if to_close_count else "info",
                order=20,
            ),
            Todo(
                "secretary.orders_to_send",
                "secretary",
                f"{name}: draft purchase orders to send",
                drafts_count,
                url_for("orders.purchase_orders_list", status="draft"),
                "See the drafts",
                [_order_entry(o) for o in drafts],
                tone="warning" if drafts_count else "info",
                order=21,
            ),
            Todo(
                "secretary.orders_to_deliver",
                "secretary",
                f"{name}: orders to confirm or deliver",
                moving_count,
                url_for("orders.purchase_orders_list", status="sent"),
                "See the sent orders",
                [_order_entry(o) for o in moving],
                text="Sent to suppliers: record each delivery as it arrives.",
                order=22,
            ),
            Todo(
                "secretary.pools_missing_minimum",
                "secretary",
                f"{name}: pools short of their minimum near the deadline",
                missing_count,
                url_for("portal.consortium_dashboard", consortium_id=cid),
                "See the consortium's pools",
                [
                    _pool_link(
                        p,
                        f"{quantity(p.minimum_quantity - p.pledged_quantity, p.offer)} short, "
                        f"closes {uk_date(p.deadline)}",
                        "warning",
                    )
                    for p in missing
                ],
                text="Below the minimum at the deadline, a pool is cancelled: remind members or change plans.",
                tone="warning" if missing_count else "info",
                order=25,
            ),
            tip,
            Todo(
                "secretary.members_never_pledged",
                "secretary",
                f"{name}: members who never pledged",
                never_count,
                url_for("portal.consortium_dashboard", consortium_id=cid),
                "See them all",
                [
                    Entry(
                        m.organisation.legal_name,
                        url_for("portal.consortium_dashboard", consortium_id=cid, _anchor="never-pledged"),
                    )
                    for m in never
                ],
                order=28,
            ),
        ]
    return todos


def _order_entry(order: PurchaseOrder) -> Entry:
    return Entry(
        order.number,
        url_for("orders.purchase_order", order_id=order.id),
        f"{order.offer_name}, {quantity(order.units, order)}, {order.status.value}",
        "warning" if order.status is PurchaseOrderStatus.DRAFT else "info",
    )


# The supplier


def supplier_todos(user: User) -> list[Todo]:
    todos = []
    now = utcnow()
    for grant in user.grants:
        if grant.supplier is None:
            continue
        sid, name = grant.supplier.id, grant.supplier.name
        orders = select(PurchaseOrder).where(PurchaseOrder.supplier_id == sid).options(lazyload("*"))
        confirm_count, to_confirm = first_few(
            orders.where(PurchaseOrder.status == PurchaseOrderStatus.SENT).order_by(PurchaseOrder.sent_at)
        )
        deliver_count, to_deliver = first_few(
            orders.where(PurchaseOrder.status == PurchaseOrderStatus.CONFIRMED).order_by(PurchaseOrder.confirmed_at)
        )
        open_pools = (
            select(Pool)
            .join(Offer, Offer.id == Pool.offer_id)
            .where(Offer.supplier_id == sid, Pool.status == PoolStatus.OPEN)
        )
        horizon = now + timedelta(weeks=FORECAST_WEEKS)
        forecast = db.session.execute(
            select(
                Offer.id,
                Offer.name,
                Offer.unit,
                Offer.unit_plural,
                func.count(Pool.id),
                func.sum(Pool.pledged_quantity),
            )
            .join(Pool, Pool.offer_id == Offer.id)
            .where(Offer.supplier_id == sid, Pool.status == PoolStatus.OPEN, Pool.deadline <= horizon)
            .group_by(Offer.id, Offer.name, Offer.unit, Offer.unit_plural)
            .order_by(Offer.name, Offer.id)
        ).all()
        tip = _about_to_tip("supplier", open_pools, order=34)
        tip.title = f"{name}: pools about to tip"
        tip.url = url_for("portal.supplier_demand", supplier_id=sid)
        tip.action = "See the demand"
        todos += [
            Todo(
                "supplier.orders_to_confirm",
                "supplier",
                f"{name}: orders to confirm",
                confirm_count,
                url_for("orders.purchase_orders_list", status="sent"),
                "See the orders to confirm",
                [_order_entry(o) for o in to_confirm],
                tone="warning" if confirm_count else "info",
                order=30,
            ),
            Todo(
                "supplier.orders_to_deliver",
                "supplier",
                f"{name}: orders to deliver",
                deliver_count,
                url_for("orders.purchase_orders_list", status="confirmed"),
                "See the confirmed orders",
                [_order_entry(o) for o in to_deliver],
                order=31,
            ),
            Todo(
                "supplier.forecast",
                "supplier",
                f"{name}: pools closing in the next {FORECAST_WEEKS} weeks, by offer",
                sum(row[4] for row in forecast),
                url_for("portal.supplier_demand", supplier_id=sid),
                "See the forecast week by week",
                [
                    Entry(
                        offer_name,
                        url_for("portal.supplier_demand", supplier_id=sid, offer_id=offer_id),
                        f"{counted(int(units or 0), unit, unit_plural)} pledged in {counted(pools, 'open pool')}",
                    )
                    for offer_id, offer_name, unit, unit_plural, pools, units in forecast[:5]
                ],
                order=32,
            ),
            tip,
        ]
    return todos


def todos(user: User) -> list[Todo]:
    return member_todos(user) + secretary_todos(user) + supplier_todos(user)
