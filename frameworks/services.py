"""Framework agreements and their call-offs: the only place that changes them.

Every change to a framework's consumption happens under the framework's row lock (SELECT ...
FOR UPDATE; SQLite's writer lock), so two call-offs at once cannot both pass the ceiling. Locks
are taken framework first, then call-off, so no two operations wait on each other crosswise.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from billing import services as billing
from billing.models import Invoice
from frameworks import terms
from frameworks.models import (
    CALL_OFF_LIFECYCLE,
    FRAMEWORK_LIFECYCLE,
    CallOff,
    CallOffStatus,
    FeeStatement,
    Framework,
    FrameworkExtension,
    FrameworkLot,
    FrameworkLotTier,
    FrameworkStatus,
    Route,
    framework_consortium,
    framework_supplier,
)
from frameworks.terms import LotTerms
from kernel.clock import UK, uk_date, uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db, upsert
from kernel.formatting import pounds
from kernel.lifecycle import REASON_MAX, StatusChange, Who
from kernel.paging import ListPage
from orders.invoice_plan import LineKind, charged_vat_rate
from organisations import outbox
from organisations.models import Consortium, Member, Network, Organisation, Supplier, User
from pools.services import take_writer_lock

CEILING_KIND = "framework_ceiling"
MAX_LOTS, MAX_TIERS, MAX_EXTENSIONS, MAX_EXTENSION_MONTHS = 20, 20, 10, 60
MAX_QUANTITY = 1_000_000
MAX_CEILING_PENCE = 2**31 - 1  # an INTEGER column: £21.4 million


# Who sees what


def _member_consortia(user: User):
    return (
        select(Network.consortium_id)
        .join(Member, Member.network_id == Network.id)
        .where(Member.id.in_(user.member_ids or {-1}))
    )


def _in_consortia(consortium_ids) -> Any:
    """The framework is national, or open to one of these consortia."""
    return or_(
        Framework.is_national,
        exists().where(
            framework_consortium.c.framework_id == Framework.id,
            framework_consortium.c.consortium_id.in_(consortium_ids),
        ),
    )


def _visible_to(user: User) -> Any:
    """Admins see every framework; a secretary its consortium's and national ones; a member those open to it
    once live; a supplier those it is party to once live. Drafts are their runners' only."""
    if user.is_admin:
        return Framework.id.is_not(None)
    not_draft = Framework.status != FrameworkStatus.DRAFT
    as_supplier = and_(
        not_draft,
        exists().where(
            framework_supplier.c.framework_id == Framework.id,
            framework_supplier.c.supplier_id.in_(user.supplier_ids or {-1}),
        ),
    )
    as_secretary = _in_consortia(user.secretary_consortium_ids) if user.secretary_consortium_ids else false()
    as_member = and_(not_draft, _in_consortia(_member_consortia(user))) if user.member_ids else false()
    return or_(as_secretary, as_member, as_supplier)


def visible_frameworks(user: User, status: FrameworkStatus | None = None) -> Select:
    query = select(Framework).where(_visible_to(user))
    if status is not None:
        query = query.where(Framework.status == status)
    return query.order_by(Framework.ends_on.desc(), Framework.id.desc())


def framework_for(user: User, framework_id: int) -> Framework:
    framework = db.session.scalar(select(Framework).where(Framework.id == framework_id, _visible_to(user)))
    if framework is None:
        raise NotFound("No such framework.")
    return framework


def can_run(user: User, framework: Framework) -> bool:
    return FRAMEWORK_LIFECYCLE.runs(user, framework)


def may_create(user: User) -> bool:
    return user.is_admin or bool(user.secretary_consortium_ids)


def visible_call_offs(user: User) -> Select:
    """The call-offs the user is party to, newest first, with their member and supplier loaded for a page of them."""
    query = select(CallOff).options(selectinload(CallOff.member), selectinload(CallOff.supplier))
    if not user.is_admin:
        query = query.where(
            or_(
                CallOff.member_id.in_(user.member_ids or {-1}),
                CallOff.consortium_id.in_(user.secretary_consortium_ids or {-1}),
                and_(
                    CallOff.supplier_id.in_(user.supplier_ids or {-1}),
                    CallOff.status != CallOffStatus.CANCELLED,
                ),
            )
        )
    return query.order_by(CallOff.placed_at.desc(), CallOff.id.desc())


def call_off_for(user: User, call_off_id: int) -> CallOff:
    call_off = db.session.scalar(visible_call_offs(user).where(CallOff.id == call_off_id))
    if call_off is None:
        raise NotFound("No such call-off.")
    return call_off


def history(framework: Framework) -> list[StatusChange]:
    return FRAMEWORK_LIFECYCLE.history(framework.id)


def extensions(framework: Framework) -> list[FrameworkExtension]:
    return list(
        db.session.scalars(
            select(FrameworkExtension)
            .where(FrameworkExtension.framework_id == framework.id)
            .order_by(FrameworkExtension.id)
        )
    )


# Creating and running frameworks


@dataclass(frozen=True)
class Checked:
    consortia: list[Consortium]
    suppliers: list[Supplier]
    lots: list[LotTerms]


def _problems_of_terms(
    *,
    name: str,
    reference: str,
    lots: Sequence[LotTerms],
    starts_on: date,
    ends_on: date,
    ceiling_pence: int,
    allowance_percent: Decimal,
    fee_percent: Decimal,
    extensions_allowed: int,
    extension_months: int,
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        found.setdefault(field, []).append(message)

    if not name.strip() or len(name) > 200:
        add("name", "Give the framework a name of up to 200 characters.")
    if not reference.strip() or len(reference) > 30:
        add("reference", "Give a reference of up to 30 characters.")
    if ends_on < starts_on:
        add("ends_on", "The end date is on or after the start date.")
    if (
        not isinstance(ceiling_pence, int)
        or isinstance(ceiling_pence, bool)
        or not 1 <= ceiling_pence <= MAX_CEILING_PENCE
    ):
        add("ceiling_pence", f"The value ceiling is between £0.01 and {pounds(MAX_CEILING_PENCE)}.")
    for field, percent in (("allowance_percent", allowance_percent), ("fee_percent", fee_percent)):
        if not isinstance(percent, Decimal) or not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100):
            add(field, "A percentage from 0 to 100.")
        elif percent != percent.quantize(Decimal("0.01")):
            add(field, "A percentage with at most 2 decimal places.")
    if not 0 <= extensions_allowed <= MAX_EXTENSIONS:
        add("extensions_allowed", f"From 0 to {MAX_EXTENSIONS} extensions.")
    if not 0 <= extension_months <= MAX_EXTENSION_MONTHS or (extensions_allowed and not extension_months):
        add("extension_months", f"Each extension is 1 to {MAX_EXTENSION_MONTHS} months.")
    if not lots or len(lots) > MAX_LOTS:
        add("lots", f"Give 1 to {MAX_LOTS} lots.")
    for n, lot in enumerate(lots):
        if not lot.name.strip() or len(lot.name) > 200:
            add(f"lots.{n}.name", "Describe the lot in up to 200 characters.")
        for word in ("unit_singular", "unit_plural"):
            value = getattr(lot, word)
            if not value.strip() or len(value) > 30:
                add(f"lots.{n}.{word}", "Name the unit in up to 30 characters (hour, hours).")
        if len(lot.tiers) > MAX_TIERS:
            add(f"lots.{n}.tiers", f"At most {MAX_TIERS} tiers.")
        for problem in terms.check_tiers(lot.tiers):
            add(f"lots.{n}.tiers", problem)
    return found


def _parties(
    actor: User, consortium_ids: Sequence[int], supplier_ids: Sequence[int]
) -> tuple[list[Consortium], list[Supplier]]:
    """The consortia (none: national) and suppliers named, if the actor may make a framework for them."""
    consortia = list(db.session.scalars(select(Consortium).where(Consortium.id.in_(set(consortium_ids) or {-1}))))
    if len(consortia) != len(set(consortium_ids)) or not all(c.active for c in consortia):
        raise ValidationFailed.field("consortium_ids", "Choose consortia that exist.")
    if len(consortia) != 1 and not actor.is_admin:
        raise Forbidden("Only an admin makes a national or multi-consortium framework.")
    if consortia and not actor.is_admin and consortia[0].id not in actor.secretary_consortium_ids:
        raise Forbidden("You are not the secretary of that consortium.")
    suppliers = list(
        db.session.scalars(select(Supplier).where(Supplier.id.in_(set(supplier_ids) or {-1}), Supplier.active))
    )
    if not suppliers or len(suppliers) != len(set(supplier_ids)):
        raise ValidationFailed.field("supplier_ids", "Choose one or more active suppliers.")
    return consortia, suppliers


def _check_lot_suppliers(lots: Sequence[LotTerms], suppliers: Sequence[Supplier]) -> None:
    """A lot's own supplier is one of the framework's."""
    ids = {supplier.id for supplier in suppliers}
    problems = {
        f"lots.{n}.supplier_id": ["Choose one of the framework's suppliers for the lot, or none."]
        for n, lot in enumerate(lots)
        if lot.supplier_id is not None and lot.supplier_id not in ids
    }
    if problems:
        raise ValidationFailed("Some terms of the framework are not valid.", problems)


def _lots(lots: Sequence[LotTerms]) -> list[FrameworkLot]:
    return [
        FrameworkLot(
            position=n,
            name=lot.name.strip(),
            unit_singular=lot.unit_singular.strip(),
            unit_plural=lot.unit_plural.strip(),
            vat_rate=lot.vat_rate,
            supplier_id=lot.supplier_id,
            tiers=[FrameworkLotTier(min_quantity=q, unit_price=p) for q, p in lot.tiers],
        )
        for n, lot in enumerate(lots, start=1)
    ]


def _reference_taken(reference: str, framework_id: int | None = None) -> bool:
    query = select(Framework.id).where(Framework.reference == reference)
    if framework_id is not None:
        query = query.where(Framework.id != framework_id)
    return db.session.scalar(query) is not None


def create_framework(
    actor: User,
    *,
    name: str,
    consortium_ids: Sequence[int],
    supplier_ids: Sequence[int],
    lots: Sequence[LotTerms],
    starts_on: date,
    ends_on: date,
    ceiling_pence: int,
    allowance_percent: Decimal,
    fee_percent: Decimal,
    route: Route,
    source_tender_id: int | None = None,
    reference: str | None = None,
    extensions_allowed: int = 0,
    extension_months: int = 0,
) -> Framework:
    """A draft framework; its secretary (an admin for national or multi-consortium ones) makes it live.

    Without a `reference` one is made from the consortium's code (or NAT) and the next number.
    """
    consortia, suppliers = _parties(actor, consortium_ids, supplier_ids)
    made_reference = reference is None
    reference = (reference or "").strip() or _next_reference(consortia)
    problems = _problems_of_terms(
        name=name,
        reference=reference,
        lots=lots,
        starts_on=starts_on,
        ends_on=ends_on,
        ceiling_pence=ceiling_pence,
        allowance_percent=allowance_percent,
        fee_percent=fee_percent,
        extensions_allowed=extensions_allowed,
        extension_months=extension_months,
    )
    if problems:
        raise ValidationFailed("Some terms of the framework are not valid.", problems)
    _check_lot_suppliers(lots, suppliers)
    if not made_reference and _reference_taken(reference):
        raise ValidationFailed.field("reference", "Another framework has that reference.")
    framework = Framework(
        reference=reference,
        name=name.strip(),
        status=FrameworkStatus.DRAFT,
        route=route,
        is_national=not consortia,
        consortia=consortia,
        suppliers=suppliers,
        starts_on=starts_on,
        ends_on=ends_on,
        extensions_allowed=extensions_allowed,
        extension_months=extension_months,
        extensions_used=0,
        ceiling_pence=ceiling_pence,
        allowance_percent=allowance_percent,
        fee_percent=fee_percent,
        consumed_pence=0,
        call_off_count=0,
        source_tender_id=source_tender_id,
        created_by_id=actor.id,
        lots=_lots(lots),
    )
    db.session.add(framework)
    db.session.flush()
    return framework


def _next_reference(consortia: Sequence[Consortium]) -> str:
    """FW-<consortium code or NAT>-<number>: the next number not taken (a reference typed in may have taken it)."""
    code = consortia[0].code if len(consortia) == 1 else "NAT"
    number = (db.session.scalar(select(func.count(Framework.id))) or 0) + 1
    while _reference_taken(f"FW-{code}-{number:04d}"):
        number += 1
    return f"FW-{code}-{number:04d}"


def edit_framework(actor: User, framework_id: int, **changes: Any) -> Framework:
    """Changes a draft's terms (the same arguments as `create_framework`, all of them); a live one is fixed."""
    framework = lock_framework(framework_id)
    if not can_run(actor, framework):
        raise Forbidden("Only the framework's secretary (an admin, for a national one) edits it.")
    if framework.status is not FrameworkStatus.DRAFT:
        raise Conflict(f"Only a draft framework can be edited; this one is {framework.status.value}.")
    consortia, suppliers = _parties(actor, changes["consortium_ids"], changes["supplier_ids"])
    reference = (changes.get("reference") or "").strip() or framework.reference
    keys = ("name", "lots", "starts_on", "ends_on", "ceiling_pence", "allowance_percent", "fee_percent")
    problems = _problems_of_terms(
        reference=reference,
        extensions_allowed=changes.get("extensions_allowed", 0),
        extension_months=changes.get("extension_months", 0),
        **{key: changes[key] for key in keys},
    )
    if problems:
        raise ValidationFailed("Some terms of the framework are not valid.", problems)
    _check_lot_suppliers(changes["lots"], suppliers)
    if _reference_taken(reference, framework.id):
        raise ValidationFailed.field("reference", "Another framework has that reference.")
    framework.reference, framework.name = reference, changes["name"].strip()
    framework.consortia, framework.suppliers, framework.is_national = consortia, suppliers, not consortia
    framework.route = changes["route"]
    for key in ("starts_on", "ends_on", "ceiling_pence", "allowance_percent", "fee_percent"):
        setattr(framework, key, changes[key])
    framework.extensions_allowed = changes.get("extensions_allowed", 0)
    framework.extension_months = changes.get("extension_months", 0)
    framework.lots.clear()
    db.session.flush()
    framework.lots.extend(_lots(changes["lots"]))
    db.session.flush()
    return framework


def lock_framework(framework_id: int) -> Framework:
    """The framework under its row lock until the transaction ends, read afresh."""
    take_writer_lock(Framework.__table__, framework_id)
    framework = db.session.scalar(
        select(Framework)
        .where(Framework.id == framework_id)
        .with_for_update(of=Framework)
        .execution_options(populate_existing=True)
    )
    if framework is None:
        raise NotFound("No such framework.")
    return framework


def make_live(actor: User, framework_id: int, today: date | None = None) -> Framework:
    framework = lock_framework(framework_id)
    if (today or uk_today()) > framework.ends_on:
        raise Conflict("The framework's end date has passed; change it before making the framework live.")
    FRAMEWORK_LIFECYCLE.move(framework, FrameworkStatus.LIVE, actor)
    return framework


def end_early(actor: User, framework_id: int, reason: str | None) -> Framework:
    framework = lock_framework(framework_id)
    FRAMEWORK_LIFECYCLE.move(framework, FrameworkStatus.ENDED, actor, reason)
    return framework


def extend(actor: User, framework_id: int) -> FrameworkExtension:
    """Takes up one extension option: the end date moves by the months each extension gives."""
    framework = lock_framework(framework_id)
    if not can_run(actor, framework):
        raise Forbidden("Only the framework's secretary (an admin, for a national one) extends it.")
    if framework.status not in (FrameworkStatus.DRAFT, FrameworkStatus.LIVE):
        raise Conflict(f"Only a draft or live framework can be extended; this one is {framework.status.value}.")
    if framework.extensions_used >= framework.extensions_allowed:
        raise Conflict("Every extension option of this framework has been used.")
    record = FrameworkExtension(
        framework_id=framework.id,
        from_ends_on=framework.ends_on,
        to_ends_on=terms.add_months(framework.ends_on, framework.extension_months),
        extended_by_id=actor.id,
    )
    framework.ends_on = record.to_ends_on
    framework.extensions_used += 1
    db.session.add(record)
    db.session.flush()
    return record


def due_to_expire(today: date) -> list[int]:
    return list(
        db.session.scalars(
            select(Framework.id)
            .where(Framework.status == FrameworkStatus.LIVE, Framework.ends_on < today)
            .order_by(Framework.id)
        )
    )


def expire(framework_id: int, today: date) -> bool:
    """Expires a live framework past its end date, under its lock; False when another run (or an extension) got
    there first."""
    framework = lock_framework(framework_id)
    if framework.status is not FrameworkStatus.LIVE or framework.ends_on >= today:
        return False
    FRAMEWORK_LIFECYCLE.move(framework, FrameworkStatus.EXPIRED, None, by=Who.SYSTEM)
    return True


# Call-offs


def members_for(user: User, framework: Framework) -> list[Member]:
    """The active members the user may call off for: its own, or a secretary's consortium's (admins: any)."""
    query = select(Member).join(Network).where(Member.active).order_by(Member.id)
    if not framework.is_national:
        query = query.where(Network.consortium_id.in_(framework.consortium_ids))
    if not user.is_admin:
        query = query.where(
            or_(
                Member.id.in_(user.member_ids or {-1}),
                Network.consortium_id.in_(user.secretary_consortium_ids or {-1}),
            )
        )
    return list(db.session.scalars(query.limit(200)))


def acting_member(actor: User, framework: Framework, member_id: int | None) -> Member:
    if member_id is None:
        own = [m for m in members_for(actor, framework) if m.id in actor.member_ids]
        if len(own) == 1:
            return own[0]
        raise ValidationFailed.field("member_id", "Say which member the call-off is for.")
    member = db.session.get(Member, member_id)
    allowed = member is not None and member.active
    if allowed and member is not None:
        allowed = framework.is_national or member.consortium_id in framework.consortium_ids
        allowed = allowed and (
            actor.is_admin or member.id in actor.member_ids or member.consortium_id in actor.secretary_consortium_ids
        )
    if not allowed or member is None:
        raise ValidationFailed.field("member_id", "You cannot call off for that member under this framework.")
    return member


def _unit_tiers(unit_prices: Any) -> list[tuple[int, Decimal]]:
    try:
        tiers = [(int(q), Decimal(p)) for q, p in unit_prices]
    except (TypeError, ValueError, InvalidOperation):
        raise ValidationFailed.field("unit_prices", "Give the prices as (from quantity, unit price) pairs.") from None
    problems = terms.check_tiers(tiers)
    if problems:
        raise ValidationFailed("The call-off's prices are not valid.", {"unit_prices": problems})
    return tiers


def place_call_off(
    actor: User,
    *,
    framework_id: int,
    lot_id: int,
    member_id: int | None,
    quantity: int,
    supplier_id: int | None = None,
    unit_prices: Sequence[tuple[int, Decimal]] | None = None,
    today: date | None = None,
) -> CallOff:
    """A call-off against a live framework's lot at its agreed prices, under the framework's row lock.

    `unit_prices` (a rate card like a lot's) is a mini-competition's winning prices for this call-off;
    without them the lot's rate card applies. Refused (409) past the framework's ceiling plus its
    allowance; secretaries are told once when consumption reaches 75% and 90% of the ceiling.
    """
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationFailed.field("quantity", f"Call off 1 to {MAX_QUANTITY:,} units.")
    tiers = _unit_tiers(unit_prices) if unit_prices is not None else None
    framework = lock_framework(framework_id)
    if framework.status is not FrameworkStatus.LIVE:
        raise Conflict(f"Only a live framework takes call-offs; this one is {framework.status.value}.")
    today = today or uk_today()
    if today > framework.ends_on:
        raise Conflict(f"The framework ended on {framework.ends_on:%-d %b %Y}; it takes no more call-offs.")
    if today < framework.starts_on:
        raise Conflict(f"The framework starts on {framework.starts_on:%-d %b %Y}; call off from then.")
    if framework.route is Route.MINI_COMPETITION and tiers is None:
        raise Conflict("This framework's call-offs are priced by a mini-competition among its suppliers.")
    lot = next((lot for lot in framework.lots if lot.id == lot_id), None)
    if lot is None:
        raise ValidationFailed.field("lot_id", "Choose one of the framework's lots.")
    member = acting_member(actor, framework, member_id)
    if tiers is None and lot.supplier_id is not None:
        if supplier_id not in (None, lot.supplier_id):
            named = next(s.name for s in framework.suppliers if s.id == lot.supplier_id)
            raise ValidationFailed.field("supplier_id", f"{lot.name} is called off from {named} alone.")
        supplier_id = lot.supplier_id
    if supplier_id is None:
        if len(framework.suppliers) != 1:
            raise ValidationFailed.field("supplier_id", "Choose which of the framework's suppliers to call off from.")
        supplier_id = framework.suppliers[0].id
    elif supplier_id not in framework.supplier_ids:
        raise ValidationFailed.field("supplier_id", "Choose one of the framework's suppliers.")
    card = tiers or lot.rate_card
    unit_price = terms.unit_price_for(card, quantity)
    net = terms.net_pence(card, quantity)
    if not terms.fits(framework.consumed_pence, net, framework.ceiling_pence, framework.allowance_percent):
        room = max(
            terms.limit_pence(framework.ceiling_pence, framework.allowance_percent) - framework.consumed_pence, 0
        )
        raise Conflict(
            f"This call-off of {pounds(net)} would take the framework past its ceiling with the allowance: "
            f"{pounds(room)} is left to call off."
        )
    before = framework.consumed_pence
    framework.consumed_pence += net
    framework.call_off_count += 1
    call_off = CallOff(
        number=f"{framework.reference}-{framework.call_off_count:04d}",
        framework_id=framework.id,
        lot_id=lot.id,
        member_id=member.id,
        consortium_id=member.consortium_id,
        supplier_id=supplier_id,
        status=CallOffStatus.PLACED,
        lot_name=lot.name,
        unit_singular=lot.unit_singular,
        unit_plural=lot.unit_plural,
        vat_rate=lot.vat_rate,
        quantity=quantity,
        unit_price=unit_price,
        net_pence=net,
        fee_pence=terms.fee_pence(net, framework.fee_percent),
        placed_by_id=actor.id,
    )
    db.session.add(call_off)
    db.session.flush()
    for percent in terms.thresholds_crossed(before, framework.consumed_pence, framework.ceiling_pence):
        outbox.record(CEILING_KIND, framework.id, f"{CEILING_KIND}:{framework.id}:{percent}", percent=percent)
    return call_off


def lock_call_off(call_off_id: int) -> CallOff:
    take_writer_lock(CallOff.__table__, call_off_id)
    call_off = db.session.scalar(
        select(CallOff)
        .where(CallOff.id == call_off_id)
        .with_for_update(of=CallOff)
        .execution_options(populate_existing=True)
    )
    if call_off is None:
        raise NotFound("No such call-off.")
    return call_off


def _require_supplier(actor: User, call_off: CallOff) -> None:
    if not (actor.is_admin or call_off.supplier_id in actor.supplier_ids):
        raise Forbidden("Only the call-off's supplier confirms and delivers it.")


def confirm(actor: User, call_off_id: int) -> CallOff:
    call_off = lock_call_off(call_off_id)
    _require_supplier(actor, call_off)
    CALL_OFF_LIFECYCLE.move(call_off, CallOffStatus.CONFIRMED, actor)
    return call_off


def deliver(actor: User, call_off_id: int) -> CallOff:
    call_off = lock_call_off(call_off_id)
    _require_supplier(actor, call_off)
    CALL_OFF_LIFECYCLE.move(call_off, CallOffStatus.DELIVERED, actor)
    return call_off


def cancel(actor: User, call_off_id: int, reason: str | None) -> CallOff:
    """Cancels a call-off not yet delivered (its member, its secretary or its supplier); its value is freed."""
    framework_id = db.session.scalar(select(CallOff.framework_id).where(CallOff.id == call_off_id))
    if framework_id is None:
        raise NotFound("No such call-off.")
    framework = lock_framework(framework_id)
    call_off = lock_call_off(call_off_id)
    CALL_OFF_LIFECYCLE.move(call_off, CallOffStatus.CANCELLED, actor, reason)
    framework.consumed_pence -= call_off.net_pence
    db.session.flush()
    return call_off


def invoice(actor: User | None, call_off_id: int, today: date | None = None) -> Invoice:
    """Invoices the member for a delivered call-off through billing: the consortium's number series, its VAT
    status deciding the rate; once only (the call-off's lock and state)."""
    call_off = lock_call_off(call_off_id)
    if actor is not None and not billing.can_manage_billing(actor, call_off.consortium_id):
        raise Forbidden("Only the consortium's secretary invoices its call-offs.")
    CALL_OFF_LIFECYCLE.check(call_off, CallOffStatus.INVOICED)
    consortium = db.session.get_one(Consortium, call_off.consortium_id)
    seller = billing.Seller.of(consortium)
    line = billing.LineIn(
        kind=LineKind.GOODS,
        description=f"{call_off.lot_name}: {units_of(call_off)} ({call_off.number})",
        quantity=call_off.quantity,
        unit_price=call_off.unit_price,
        vat_rate=charged_vat_rate(bool(seller.vat_number), call_off.vat_rate),
        net_pence=call_off.net_pence,
    )
    supplied = uk_date(call_off.delivered_at) if call_off.delivered_at else (today or uk_today())
    issued = billing.issue_invoice(actor, consortium, call_off.member_id, [line], call_off.number, supplied, today)
    call_off.invoice_id = issued.id
    CALL_OFF_LIFECYCLE.move(call_off, CallOffStatus.INVOICED, actor, by=Who.RUNNER if actor else Who.SYSTEM)
    return issued


def units_of(call_off: CallOff) -> str:
    """ "20 hours": the call-off's quantity in its lot's words."""
    return terms.units(call_off.quantity, call_off.unit_singular, call_off.unit_plural)


def call_off_history(call_off: CallOff) -> list[StatusChange]:
    return CALL_OFF_LIFECYCLE.history(call_off.id)


def reason_text(reason: str | None) -> str | None:
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise ValidationFailed.field("reason", f"Keep the reason under {REASON_MAX} characters.")
    return reason


# Consumption


@dataclass(frozen=True)
class Consumption:
    """Net value (pence) called off, delivered and invoiced; units ordered."""

    key: int
    label: str
    units: int
    ordered_pence: int
    delivered_pence: int
    invoiced_pence: int


def _sums():
    delivered = case(
        (CallOff.status.in_((CallOffStatus.DELIVERED, CallOffStatus.INVOICED)), CallOff.net_pence), else_=0
    )
    invoiced = case((CallOff.status == CallOffStatus.INVOICED, CallOff.net_pence), else_=0)
    return (
        func.coalesce(func.sum(CallOff.quantity), 0),
        func.coalesce(func.sum(CallOff.net_pence), 0),
        func.coalesce(func.sum(delivered), 0),
        func.coalesce(func.sum(invoiced), 0),
    )


def consumption_by_lot(framework: Framework, scope: ColumnElement[bool] | None = None) -> list[Consumption]:
    """Each lot's call-offs not cancelled (within `scope`), summed by the database: one query however many."""
    query = (
        select(FrameworkLot.id, FrameworkLot.name, *_sums())
        .select_from(FrameworkLot)
        .outerjoin(
            CallOff,
            and_(CallOff.lot_id == FrameworkLot.id, CallOff.status != CallOffStatus.CANCELLED, _within(scope)),
        )
        .where(FrameworkLot.framework_id == framework.id)
        .group_by(FrameworkLot.id, FrameworkLot.name, FrameworkLot.position)
        .order_by(FrameworkLot.position)
    )
    return [Consumption(*row) for row in db.session.execute(query)]


def consumption_by_member(framework: Framework, scope: ColumnElement[bool] | None = None) -> Select:
    """Each member's call-offs not cancelled (within `scope`), summed, as a select to page."""
    return (
        select(Member.id, Organisation.legal_name, *_sums())
        .join(Organisation, Member.organisation_id == Organisation.id)
        .join(CallOff, CallOff.member_id == Member.id)
        .where(CallOff.framework_id == framework.id, CallOff.status != CallOffStatus.CANCELLED, _within(scope))
        .group_by(Member.id, Organisation.legal_name)
        .order_by(Organisation.legal_name, Member.id)
    )


def member_consumption_page(
    framework: Framework, scope: ColumnElement[bool] | None, page: int, per_page: int
) -> ListPage[Consumption]:
    """One page of `consumption_by_member`, and how many members there are: two queries whatever the data."""
    query = consumption_by_member(framework, scope)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    return ListPage([Consumption(*row) for row in rows], page, per_page, total)


def _within(scope: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return true() if scope is None else scope


def consumption_scope(user: User, framework: Framework) -> ColumnElement[bool] | None:
    """Whose call-offs the user sees summed: everyone's (None) for its runners and suppliers, else those of the
    user's own members and of the consortia it is secretary of."""
    if user.is_admin or can_run(user, framework) or framework.supplier_ids & user.supplier_ids:
        return None
    return or_(
        CallOff.member_id.in_(user.member_ids or {-1}),
        CallOff.consortium_id.in_(user.secretary_consortium_ids or {-1}),
    )


def remaining_pence(framework: Framework) -> int:
    return max(terms.limit_pence(framework.ceiling_pence, framework.allowance_percent) - framework.consumed_pence, 0)


# The suppliers' monthly statements of call-offs and the fee due to each consortium


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC instants a UK calendar month starts and ends at."""
    first = month.replace(day=1)
    following = terms.add_months(first, 1)
    return (
        datetime.combine(first, time(), UK).astimezone(UTC),
        datetime.combine(following, time(), UK).astimezone(UTC),
    )


def statement_call_offs(user: User, supplier_id: int, month: date) -> Select:
    """The supplier's call-offs delivered in the month that the user sees (a secretary: its consortium's)."""
    starts, ends = month_bounds(month)
    return (
        visible_call_offs(user)
        .where(
            CallOff.supplier_id == supplier_id,
            CallOff.status.in_((CallOffStatus.DELIVERED, CallOffStatus.INVOICED)),
            CallOff.delivered_at >= starts,
            CallOff.delivered_at < ends,
        )
        .order_by(None)
        .order_by(CallOff.delivered_at, CallOff.id)
    )


@dataclass(frozen=True)
class FeeDue:
    consortium_id: int
    consortium_name: str
    call_off_count: int
    net_pence: int
    fee_pence: int


def fees_due(user: User, supplier_id: int, month: date) -> list[FeeDue]:
    """The month's net value and fee due per consortium, summed by the database."""
    lines = statement_call_offs(user, supplier_id, month).subquery()
    rows = db.session.execute(
        select(
            Consortium.id,
            Consortium.name,
            func.count(lines.c.id),
            func.coalesce(func.sum(lines.c.net_pence), 0),
            func.coalesce(func.sum(lines.c.fee_pence), 0),
        )
        .join(lines, lines.c.consortium_id == Consortium.id)
        .group_by(Consortium.id, Consortium.name)
        .order_by(Consortium.name)
    )
    return [FeeDue(*row) for row in rows]


def produce_statements(month: date) -> int:
    """Records every supplier's statement for the month once: a second run, here or on another host, adds none."""
    starts, ends = month_bounds(month)
    rows = db.session.execute(
        select(CallOff.supplier_id, func.count(CallOff.id), func.sum(CallOff.net_pence), func.sum(CallOff.fee_pence))
        .where(
            CallOff.status.in_((CallOffStatus.DELIVERED, CallOffStatus.INVOICED)),
            CallOff.delivered_at >= starts,
            CallOff.delivered_at < ends,
        )
        .group_by(CallOff.supplier_id)
    ).all()
    written = 0
    for supplier_id, count, net, fee in rows:
        inserted = db.session.execute(
            upsert(FeeStatement)
            .values(
                supplier_id=supplier_id,
                month=month.replace(day=1),
                call_off_count=count,
                net_pence=net,
                fee_pence=fee,
                produced_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["supplier_id", "month"])
            .returning(FeeStatement.id)
        ).scalar()
        written += inserted is not None
    return written


def produced_statement(supplier_id: int, month: date) -> FeeStatement | None:
    return db.session.scalar(
        select(FeeStatement).where(FeeStatement.supplier_id == supplier_id, FeeStatement.month == month.replace(day=1))
    )
