"""Closing a pool: the plan (tier, packs, every member's allocation and invoice), then the orders.

The plan is computed the same way for the preview a secretary sees and for the close itself,
so what the preview shows is what happens. Closing runs in the caller's one transaction under
the pool's row lock: the pool is closed with all its purchase orders, or nothing changes.
"""

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import NamedTuple

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
from orders.cost_shares import MemberUnits, OrderShares
from orders.invoice_plan import (
    MemberBill,
    OrderTerms,
    consortium_delivery,
    member_bill,
    member_bills,
    members_shares,
)
from orders.models import POOL_LIFECYCLE, Allocation, Pledge, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from orders.packs import PackPlan, plan_packs
from orders.prices import pool_list_price, pool_tiers
from orders.vat import VatLine
from organisations.models import Consortium, Member, Network, Organisation, TurnoverBand, User
from pools.services import audit_cancelled


class PledgeRow(NamedTuple):
    """A pledge as a member's line of the plan shows it."""

    pledge_id: int
    member_id: int
    quantity: int
    flexible_extra: int
    turnover_band: TurnoverBand


@dataclass(frozen=True)
class Pledges:
    """One consortium's live pledges, earliest first (the order ties are settled in), column by column: a big
    pool has thousands, and an object each would be thousands more for the collector to walk."""

    ids: list[int]
    member_ids: list[int]
    quantities: list[int]
    flexible_extras: list[int]
    turnover_bands: list[TurnoverBand]

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, index: int) -> PledgeRow:
        return PledgeRow(
            self.ids[index],
            self.member_ids[index],
            self.quantities[index],
            self.flexible_extras[index],
            self.turnover_bands[index],
        )


class Recipient(NamedTuple):
    """Who a member's allocation goes to: read only for the members' lines made (`member_lines`)."""

    member_name: str
    delivery_address: str
    contact_email: str


@dataclass
class ConsortiumPlan:
    """One consortium's order; its members' bills are worked out only when shown (the close needs none)."""

    consortium: Consortium
    packs: PackPlan
    goods_pence: int
    delivery_charge_pence: int
    terms: OrderTerms
    pledges: Pledges  # in the order of its packs' allocations
    lines: list["MemberLine"] = field(default_factory=list)  # the members' lines made (`member_lines`)

    @property
    def total_pence(self) -> int:
        return self.goods_pence + self.delivery_charge_pence

    @cached_property
    def shares(self) -> OrderShares:
        """Every member's cost share as invoicing will issue it if nothing changes before then. Each share
        hangs on all the others (largest remainders), so all are worked out; only the lines shown are billed."""
        return members_shares(
            self.terms,
            self.pledges.member_ids,
            self.packs.allocated,
            self.pledges.turnover_bands,
            self.delivery_charge_pence,
        )

    def line(self, index: int, recipient: Recipient) -> "MemberLine":
        row = self.pledges.row(index)
        units = self.packs.allocated[index]
        return MemberLine(row, recipient, units, self.packs.reason(row.quantity, units), self, index)


@dataclass
class MemberLine:
    """A member's allocation, and the invoice it will bring (its goods, delivery, fee, solidarity and VAT)."""

    row: PledgeRow
    recipient: Recipient
    units: int
    reason: str
    order: ConsortiumPlan
    index: int  # the member's place in its order's pledges and shares

    @cached_property
    def bill(self) -> MemberBill:
        return member_bill(self.order.terms, self.order.shares.share(self.index))

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

    @property
    def members(self) -> int:
        """How many members' lines the plan has: one per live pledge in its orders."""
        return sum(len(c.pledges) for c in self.consortia)


def _live_pledges(pool: Pool) -> dict[int, Pledges]:
    """The pool's live pledges by consortium id, in consortium id order."""
    rows = db.session.execute(
        select(
            Network.consortium_id,
            Pledge.id,
            Pledge.member_id,
            Pledge.quantity,
            Pledge.flexible_extra,
            Member.turnover_band,
        )
        .join(Member, Pledge.member_id == Member.id)
        .join(Network, Member.network_id == Network.id)
        .where(Pledge.pool_id == pool.id, Pledge.quantity > 0)
        .order_by(Network.consortium_id, Pledge.created_at, Pledge.id)
    ).all()
    if not rows:
        return {}
    consortium_ids, *columns = map(list, zip(*rows, strict=True))
    pledges = {}
    first = 0  # each consortium's pledges are a run of the rows
    for consortium_id, count in sorted(Counter(consortium_ids).items()):
        pledges[consortium_id] = Pledges(*(column[first : first + count] for column in columns))
        first += count
    return pledges


def _recipients(pool: Pool, pledge_ids: list[int] | None) -> dict[int, Recipient]:
    """The members' names, delivery addresses and billing emails by pledge id (`None`: all the pool's pledges).

    Withdrawn pledges are not left out: one withdrawn since its pledge row was read still finds its member."""
    billing_email = func.coalesce(Member.billing_email, Organisation.contact_email)
    query = (
        select(
            Pledge.id,
            Organisation.legal_name,
            Organisation.address_line1,
            Organisation.address_line2,
            Organisation.city,
            Organisation.postcode,
            billing_email,
        )
        .join(Member, Pledge.member_id == Member.id)
        .join(Organisation, Member.organisation_id == Organisation.id)
        .where(Pledge.pool_id == pool.id)
    )
    if pledge_ids is not None:
        query = query.where(Pledge.id.in_(pledge_ids))
    return {r[0]: Recipient(r[1], ", ".join(part for part in r[2:6] if part), r[6]) for r in db.session.execute(query)}


def plan_close(pool: Pool, now: datetime | None = None) -> ClosePlan:
    """What closing the pool at `now` would do, at the prices the pool holds: the orders and every member's
    allocation and cost share. The members' lines are made by `member_lines`, for the members shown."""
    pledges = _live_pledges(pool)
    total = sum(sum(p.quantities) for p in pledges.values())
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
    packs = {
        consortium_id: plan_packs(p.quantities, p.flexible_extras, offer.pack_size)  # earliest first
        for consortium_id, p in pledges.items()
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
        terms = services.order_terms(pool, consortium, price)
        consortium_packs = packs[consortium_id]
        plan.consortia.append(
            ConsortiumPlan(
                consortium,
                consortium_packs,
                line_pence(consortium_packs.units, terms.unit_price),
                delivery_pence,
                terms,
                pledges[consortium_id],
            )
        )
    return plan


def member_lines(plan: ClosePlan, start: int = 0, stop: int | None = None) -> list[MemberLine]:
    """The members' lines from `start` to `stop` (all by default) across the plan's orders, consortium by
    consortium and earliest pledge first; each order's `lines` become its lines among them.

    Their recipients are read in one query; their bills are worked out when first read."""
    stop = plan.members if stop is None else min(stop, plan.members)
    shown: list[tuple[ConsortiumPlan, range]] = []
    first = 0  # the order's first line's place in the plan
    for order in plan.consortia:
        shown.append((order, range(max(start - first, 0), max(min(stop - first, len(order.pledges)), 0))))
        first += len(order.pledges)
    if start >= stop:
        recipients = {}
    elif (start, stop) == (0, plan.members):
        recipients = _recipients(plan.pool, None)
    else:
        recipients = _recipients(plan.pool, [order.pledges.ids[i] for order, places in shown for i in places])
    for order, places in shown:
        order.lines = [order.line(i, recipients[order.pledges.ids[i]]) for i in places]
    return [line for order in plan.consortia for line in order.lines]


@no_collection_pauses()
def preview_close(actor: User, pool: Pool) -> ClosePlan:
    """What closing would do: the orders, and every member's allocation and bill for `member_lines` to show."""
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
    pool = services.lock_pool(pool_id)
    if actor is not None:
        services.require_manager(actor, pool)
    POOL_LIFECYCLE.check(pool, PoolStatus.CLOSED)
    plan = plan_close(pool, now)
    if not plan.proceeds:
        POOL_LIFECYCLE.move(pool, PoolStatus.CANCELLED, actor, plan.cancel_reason, now)
        audit_cancelled(actor, pool, "pool", plan.cancel_reason)
        notices.pool_cancelled(pool)
        return CloseResult(pool, plan, [])
    member_lines(plan)
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
                "member_name": line.recipient.member_name,
                "delivery_address": line.recipient.delivery_address,
                "contact_email": line.recipient.contact_email,
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
