"""Closing a pool: the plan (tier, packs, every member's allocation and invoice), then the orders.

The plan is computed the same way for the preview a secretary sees and for the close itself,
so what the preview shows is what happens. Closing runs in the caller's one transaction under
the pool's row lock: the pool is closed with all its purchase orders, or nothing changes.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property

from sqlalchemy import func, select

from catalogue import pricing
from kernel.bulk import insert_rows, no_collection_pauses
from kernel.clock import uk_date, utcnow
from kernel.extensions import db
from kernel.lifecycle import Who
from kernel.money import line_pence
from kernel.numbering import next_number
from kernel.words import quantity
from orders import notices, services
from orders.cost_shares import MemberUnits
from orders.invoice_plan import MemberBill, OrderTerms, consortium_delivery, member_bills
from orders.models import POOL_LIFECYCLE, Allocation, Pledge, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from orders.packs import PackPlan, PledgedDemand, plan_packs
from orders.prices import pool_list_price, pool_tiers
from orders.vat import VatLine
from organisations.models import Consortium, Member, Network, Organisation, TurnoverBand, User
from pools.services import audit_cancelled


@dataclass(frozen=True)
class PledgeRow:
    """What closing needs of a pledge and its member, read in one query."""

    pledge_id: int
    member_id: int
    consortium_id: int
    quantity: int
    flexible_extra: int
    member_name: str
    delivery_address: str
    contact_email: str
    turnover_band: TurnoverBand


@dataclass
class ConsortiumPlan:
    """One consortium's order; its members' bills are worked out only when shown (the close needs none)."""

    consortium: Consortium
    packs: PackPlan
    goods_pence: int
    delivery_charge_pence: int
    terms: OrderTerms
    lines: list["MemberLine"] = field(default_factory=list)

    @property
    def total_pence(self) -> int:
        return self.goods_pence + self.delivery_charge_pence

    @cached_property
    def bills(self) -> dict[int, MemberBill]:
        """Each member's invoice as invoicing will issue it if nothing changes before then."""
        members = [MemberUnits(line.row.member_id, line.units, line.row.turnover_band) for line in self.lines]
        return {bill.member_id: bill for bill in member_bills(self.terms, members, self.delivery_charge_pence)}


@dataclass
class MemberLine:
    """A member's allocation, and the invoice it will bring (its goods, delivery, fee, solidarity and VAT)."""

    row: PledgeRow
    units: int
    reason: str
    unit_price: Decimal
    order: ConsortiumPlan

    @property
    def bill(self) -> MemberBill:
        return self.order.bills[self.row.member_id]

    @property
    def goods_pence(self) -> int:
        return self.bill.goods_pence

    @property
    def delivery_pence(self) -> int:
        return self.bill.delivery_pence

    @property
    def handling_fee_pence(self) -> int:
        return self.bill.handling_fee_pence

    @property
    def solidarity_pence(self) -> int:
        return self.bill.solidarity_pence

    @property
    def net_pence(self) -> int:
        return self.bill.net_pence

    @property
    def vat(self) -> tuple[VatLine, ...]:
        return self.bill.vat

    @property
    def vat_pence(self) -> int:
        return self.bill.vat_pence

    @property
    def total_pence(self) -> int:
        return self.bill.total_pence


@dataclass
class ClosePlan:
    pool: Pool
    total_quantity: int
    proceeds: bool
    unit_price: Decimal
    tier: pricing.Tier | None
    cancel_reason: str | None = None
    consortia: list[ConsortiumPlan] = field(default_factory=list)

    @property
    def packs(self) -> int:
        return sum(c.packs.packs for c in self.consortia)

    @property
    def units(self) -> int:
        return sum(c.packs.units for c in self.consortia)

    @property
    def total_pence(self) -> int:
        return sum(c.total_pence for c in self.consortia)


def _pledge_rows(pool: Pool) -> list[PledgeRow]:
    """Live pledges, earliest first (the order ties are settled in), with delivery details."""
    billing_email = func.coalesce(Member.billing_email, Organisation.contact_email)
    rows = db.session.execute(
        select(
            Pledge.id,
            Pledge.member_id,
            Network.consortium_id,
            Pledge.quantity,
            Pledge.flexible_extra,
            Organisation.legal_name,
            Organisation.address_line1,
            Organisation.address_line2,
            Organisation.city,
            Organisation.postcode,
            billing_email,
            Member.turnover_band,
        )
        .join(Member, Pledge.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .join(Network, Member.network_id == Network.id)
        .where(Pledge.pool_id == pool.id, Pledge.quantity > 0)
        .order_by(Pledge.created_at, Pledge.id)
    ).all()
    return [
        PledgeRow(r[0], r[1], r[2], r[3], r[4], r[5], ", ".join(part for part in r[6:10] if part), r[10], r[11])
        for r in rows
    ]


def plan_close(pool: Pool, now: datetime | None = None) -> ClosePlan:
    """What closing the pool at `now` would do, at the prices the pool holds."""
    rows = _pledge_rows(pool)
    total = sum(r.quantity for r in rows)
    tiers = pool_tiers(pool)
    offer = pool.offer
    price = pricing.unit_price(tiers, total, pool_list_price(pool))
    plan = ClosePlan(pool, total, total >= pool.minimum_quantity, price, pricing.tier_reached(tiers, total))
    if not plan.proceeds:
        # Closed early, the pledges are counted when the secretary closed it, not at a deadline still to come.
        when = "by the deadline" if (now or utcnow()) >= pool.deadline else "when it was closed, before its deadline"
        needed = f"{total:,} of the {quantity(pool.minimum_quantity, offer)} needed"
        plan.cancel_reason = f"The minimum was not met: {needed} were pledged {when}."
        return plan
    rank = {r.pledge_id: n for n, r in enumerate(rows)}
    by_consortium: dict[int, list[PledgeRow]] = {}
    for row in rows:
        by_consortium.setdefault(row.consortium_id, []).append(row)
    packs = {
        consortium_id: plan_packs(
            [PledgedDemand(r.pledge_id, r.quantity, r.flexible_extra, rank[r.pledge_id]) for r in members],
            offer.pack_size,
        )
        for consortium_id, members in sorted(by_consortium.items())
    }
    ordering = [c for c in packs if packs[c].units > 0]
    if not ordering:
        plan.proceeds = False
        plan.cancel_reason = f"The pledges did not fill a single pack of {quantity(offer.pack_size, offer)}."
        return plan
    consortia = {c.id: c for c in pool.consortia}
    delivery = consortium_delivery(pool.delivery_charge_pence, [packs[c].units for c in ordering])
    for consortium_id, delivery_pence in zip(ordering, delivery, strict=True):
        consortium = consortia[consortium_id]
        plan.consortia.append(
            _consortium_plan(
                consortium,
                packs[consortium_id],
                by_consortium[consortium_id],
                delivery_pence,
                services.order_terms(pool, consortium, price),
            )
        )
    return plan


def _consortium_plan(
    consortium: Consortium, packs: PackPlan, rows: list[PledgeRow], delivery_pence: int, terms: OrderTerms
) -> ConsortiumPlan:
    plan = ConsortiumPlan(consortium, packs, line_pence(packs.units, terms.unit_price), delivery_pence, terms)
    plan.lines = [
        MemberLine(row, allocation.units, allocation.reason, terms.unit_price, plan)
        for row, allocation in zip(rows, packs.allocations, strict=True)
    ]
    return plan


@no_collection_pauses()
def preview_close(actor: User, pool: Pool) -> ClosePlan:
    """What closing would do, every member's allocation and bill: as many objects as the close itself makes."""
    services.require_manager(actor, pool)
    POOL_LIFECYCLE.check(pool, PoolStatus.CLOSED)
    return plan_close(pool)


@dataclass
class CloseResult:
    pool: Pool
    plan: ClosePlan
    purchase_orders: list[PurchaseOrder]

    @property
    def cancelled(self) -> bool:
        return not self.plan.proceeds


@no_collection_pauses()
def close_pool(actor: User | None, pool_id: int, now: datetime | None = None) -> CloseResult:
    """Closes the pool and makes its purchase orders, or cancels it when below the minimum.

    `actor` None is the scheduled close at the deadline. Takes the pool's row lock first, so a
    pledge racing the close either lands before it (and is counted) or finds the pool closed.
    """
    now = now or utcnow()
    pool, _ = services.lock_pool(pool_id)
    if actor is not None:
        services.require_manager(actor, pool)
    POOL_LIFECYCLE.check(pool, PoolStatus.CLOSED)
    plan = plan_close(pool, now)
    if not plan.proceeds:
        POOL_LIFECYCLE.move(pool, PoolStatus.CANCELLED, actor, plan.cancel_reason, now)
        audit_cancelled(actor, pool, "pool", plan.cancel_reason)
        notices.pool_cancelled(pool)
        return CloseResult(pool, plan, [])
    POOL_LIFECYCLE.move(pool, PoolStatus.CLOSED, actor, at=now)
    pool.closing_unit_price = plan.unit_price
    orders = [_purchase_order(pool, consortium_plan, plan.unit_price, now) for consortium_plan in plan.consortia]
    sync_pool_status(pool, orders, actor, now)
    db.session.flush()
    notices.pool_closed(pool)
    for order in orders:
        if order.status is PurchaseOrderStatus.SENT:
            notices.order_sent(order)
    return CloseResult(pool, plan, orders)


def _purchase_order(pool: Pool, plan: ConsortiumPlan, unit_price: Decimal, now: datetime) -> PurchaseOrder:
    offer = pool.offer
    send = plan.consortium.send_orders_on_close
    order = PurchaseOrder(
        number=next_number(plan.consortium, "PO", uk_date(now).year, 4),
        pool=pool,
        consortium=plan.consortium,
        supplier_id=offer.supplier_id,
        offer_id=offer.id,
        status=PurchaseOrderStatus.SENT if send else PurchaseOrderStatus.DRAFT,
        sent_at=now if send else None,
        offer_name=offer.name,
        unit=offer.unit,
        unit_plural=offer.unit_plural,
        pack_size=offer.pack_size,
        vat_rate=offer.vat_rate,
        unit_price=unit_price,
        list_price=pool_list_price(pool),
        packs=plan.packs.packs,
        units=plan.packs.units,
        goods_pence=plan.goods_pence,
        delivery_charge_pence=plan.delivery_charge_pence,
        created_at=now,
    )
    db.session.add(order)
    db.session.flush()
    insert_rows(
        Allocation.__table__,
        [
            {
                "purchase_order_id": order.id,
                "member_id": line.row.member_id,
                "pledge_id": line.row.pledge_id,
                "pledged_units": line.row.quantity,
                "flexible_extra": line.row.flexible_extra,
                "units": line.units,
                "reason": line.reason,
                "member_name": line.row.member_name,
                "delivery_address": line.row.delivery_address,
                "contact_email": line.row.contact_email,
            }
            for line in plan.lines
        ],
    )
    return order


def sync_pool_status(
    pool: Pool, orders: Sequence[PurchaseOrder], actor: User | None, at: datetime | None = None
) -> None:
    """A pool follows its orders: ordered once every live order is sent, delivered once every one is.

    `actor` is who changed the orders (None: a job); it is recorded as having moved the pool.
    """
    live = [o for o in orders if o.status is not PurchaseOrderStatus.CANCELLED]
    if pool.status not in (PoolStatus.CLOSED, PoolStatus.ORDERED, PoolStatus.DELIVERED) or not live:
        return
    if all(o.status is PurchaseOrderStatus.DELIVERED for o in live):
        follows = PoolStatus.DELIVERED
    elif all(o.status is not PurchaseOrderStatus.DRAFT for o in live):
        follows = PoolStatus.ORDERED
    else:
        follows = PoolStatus.CLOSED
    if follows is not pool.status:
        POOL_LIFECYCLE.move(pool, follows, actor, at=at, by=Who.SYSTEM)


def due_pool_ids(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(Pool.id).where(Pool.status == PoolStatus.OPEN, Pool.deadline <= now).order_by(Pool.deadline, Pool.id)
        )
    )


def member_allocations(pool: Pool, member_ids: set[int]) -> dict[int, Allocation]:
    """The members' allocations in this pool's orders, for showing them what they got and why."""
    if not member_ids:
        return {}
    allocations = db.session.scalars(
        select(Allocation)
        .join(PurchaseOrder)
        .where(PurchaseOrder.pool_id == pool.id, Allocation.member_id.in_(member_ids))
    )
    return {a.member_id: a for a in allocations}


def members_bills(pool: Pool, member_ids: set[int]) -> dict[int, MemberBill]:
    """The members' bills from the pool's live orders, as invoicing will issue them: an order's delivered
    units once it is delivered, its allocated units before."""
    orders = db.session.scalars(
        select(PurchaseOrder).where(
            PurchaseOrder.pool_id == pool.id,
            PurchaseOrder.status != PurchaseOrderStatus.CANCELLED,
            PurchaseOrder.id.in_(
                select(Allocation.purchase_order_id).where(Allocation.member_id.in_(member_ids or {-1}))
            ),
        )
    )
    bills: dict[int, MemberBill] = {}
    for order in orders:
        units = Allocation.delivered_units if order.status is PurchaseOrderStatus.DELIVERED else Allocation.units
        rows = db.session.execute(
            select(Allocation.member_id, units, Member.turnover_band)
            .join(Member, Member.id == Allocation.member_id)
            .where(Allocation.purchase_order_id == order.id)
        )
        bills |= {
            member_id: bill
            for member_id, bill in order_bills(pool, order, [(m, u or 0, band) for m, u, band in rows]).items()
            if member_id in member_ids
        }
    return bills


def order_bills(
    pool: Pool, order: PurchaseOrder, units: Iterable[tuple[int, int, TurnoverBand]]
) -> dict[int, MemberBill]:
    """Each member's bill for its (member id, units, turnover band) of the order, as invoicing will issue it."""
    members = [MemberUnits(member_id, member_units, band) for member_id, member_units, band in units]
    terms = replace(services.order_terms(pool, order.consortium, order.unit_price), vat_rate=order.vat_rate)
    return {bill.member_id: bill for bill in member_bills(terms, members, order.delivery_charge_pence)}


def members_costs(pool: Pool, pledges: Mapping[int, Pledge]) -> dict[int, MemberBill]:
    """What each member's pledge (by member id) costs it: its bill from the pool's orders once the pool
    is closed, before that its bill if the pool closed now."""
    if pool.status in (PoolStatus.DRAFT, PoolStatus.OPEN):
        return {
            member_id: services.estimate(pool, pledge.member, pledge.quantity, pledge.quantity)
            for member_id, pledge in pledges.items()
            if pledge.quantity
        }
    return members_bills(pool, set(pledges))
