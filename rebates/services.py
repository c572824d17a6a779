"""Rebate agreements: who sees and runs them, creating them, the claim at the period's end, sharing.

The claim run reads the eligible invoice lines (the supplier's goods, invoiced to members of the
agreement's scope with a supply date in the period, less what credit notes took back from those
lines) into one row per member, under the agreement's row lock: a second run, on this host or
another, finds it claimed and passes over it. Sharing is one transaction under the same lock.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from billing import services as billing
from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind
from catalogue.models import Category, Offer
from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from orders.models import PurchaseOrder
from organisations import outbox
from organisations.models import Consortium, Member, Network, Supplier, User
from pools.services import take_writer_lock
from rebates.calculation import Basis, Method, Tier, check_tiers, rebate_pence, share_out, tier_reached
from rebates.models import (
    REBATE_LIFECYCLE,
    RebateAgreement,
    RebateShare,
    RebateStatus,
    RebateTier,
    ShareRoute,
)

SHARED_KIND = "rebate_shared"
MAX_TIERS = 10
MAX_THRESHOLD = 10**12
MAX_RATE = Decimal("100000")
MAX_PENCE = 10**11
BULK_CHUNK = 5000


# Who sees and runs what


def visible_agreements(user: User, status: RebateStatus | None = None) -> Select:
    """Admins see all; secretaries their consortia's and the national ones; suppliers their own."""
    query = select(RebateAgreement)
    if not user.is_admin:
        seen = [
            RebateAgreement.consortium_id.in_(user.secretary_consortium_ids or {-1}),
            RebateAgreement.supplier_id.in_(user.supplier_ids or {-1}),
        ]
        if user.secretary_consortium_ids:
            seen.append(RebateAgreement.consortium_id.is_(None))
        query = query.where(or_(*seen))
    if status is not None:
        query = query.where(RebateAgreement.status == status)
    return query.order_by(RebateAgreement.period_end.desc(), RebateAgreement.id.desc())


def agreement_for(user: User, agreement_id: int) -> RebateAgreement:
    agreement = db.session.scalar(visible_agreements(user).where(RebateAgreement.id == agreement_id))
    if agreement is None:
        raise NotFound("No such rebate agreement.")
    return agreement


def can_run(user: User, agreement: RebateAgreement) -> bool:
    return REBATE_LIFECYCLE.runs(user, agreement)


def may_create(user: User) -> bool:
    return user.is_admin or bool(user.secretary_consortium_ids)


def member_shares(user: User) -> Select:
    """The rebate rows of the members the user acts for, newest period first."""
    return (
        select(RebateShare)
        .join(RebateAgreement, RebateAgreement.id == RebateShare.rebate_agreement_id)
        .where(RebateShare.member_id.in_(user.member_ids or {-1}))
        .options(contains_eager(RebateShare.agreement), joinedload(RebateShare.member))
        .order_by(RebateAgreement.period_end.desc(), RebateShare.id)
    )


def shares_of(agreement: RebateAgreement) -> Select:
    return (
        select(RebateShare)
        .where(RebateShare.rebate_agreement_id == agreement.id)
        .options(joinedload(RebateShare.member))
        .order_by(RebateShare.spend_pence.desc(), RebateShare.id)
    )


# Creating


@dataclass(frozen=True)
class AgreementTerms:
    name: str
    supplier_id: int
    basis: Basis
    method: Method
    period_start: date
    period_end: date
    tiers: Sequence[Tier]
    share_route: ShareRoute = ShareRoute.CREDIT_NOTE
    consortium_id: int | None = None
    network_id: int | None = None
    category_id: int | None = None
    offer_ids: Sequence[int] = field(default_factory=tuple)
    retention_percent: Decimal = Decimal(0)
    retention_note: str | None = None


def _check_scope(actor: User, terms: AgreementTerms) -> None:
    if terms.consortium_id is None:
        if terms.network_id is not None:
            raise ValidationFailed.field("network_id", "Choose the network's consortium too.")
        if not actor.is_admin:
            raise Forbidden("Only an admin makes a national rebate agreement.")
        return
    if db.session.get(Consortium, terms.consortium_id) is None:
        raise ValidationFailed.field("consortium_id", "No such consortium.")
    if not (actor.is_admin or terms.consortium_id in actor.secretary_consortium_ids):
        raise Forbidden("Only the consortium's secretary makes its rebate agreements.")
    if terms.network_id is not None:
        network = db.session.get(Network, terms.network_id)
        if network is None or network.consortium_id != terms.consortium_id:
            raise ValidationFailed.field("network_id", "Choose a network of the consortium.")


def _check_retention(percent: Decimal, note: str | None) -> str | None:
    if not percent.is_finite() or not Decimal(0) <= percent <= Decimal(100) or percent != round(percent, 2):
        raise ValidationFailed.field("retention_percent", "Retention is a percent from 0 to 100, to 2 places.")
    note = (note or "").strip() or None
    if percent and note is None:
        raise ValidationFailed.field("retention_note", "Say when and how the members set the retention.")
    if note is not None and len(note) > 500:
        raise ValidationFailed.field("retention_note", "Keep the note under 500 characters.")
    return note


def create_agreement(actor: User, terms: AgreementTerms) -> RebateAgreement:
    """A new rebate agreement, active for its period; checks every term and names the field at fault."""
    _check_scope(actor, terms)
    name = (terms.name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed.field("name", "Name the agreement in under 200 characters.")
    supplier = db.session.get(Supplier, terms.supplier_id)
    if supplier is None or not supplier.active:
        raise ValidationFailed.field("supplier_id", "No such supplier.")
    if terms.period_end < terms.period_start:
        raise ValidationFailed.field("period_end", "The period ends on or after its start.")
    problems = check_tiers(terms.tiers)
    if len(terms.tiers) > MAX_TIERS:
        problems.append(f"Give at most {MAX_TIERS} tiers.")
    if any(t.threshold > MAX_THRESHOLD or t.rate > MAX_RATE or t.rate != round(t.rate, 4) for t in terms.tiers):
        problems.append("A threshold or rate is out of range (rates to 4 places).")
    if terms.basis is Basis.SPEND and any(t.rate > 100 for t in terms.tiers):
        problems.append("A percent of spend is at most 100.")
    if problems:
        raise ValidationFailed("Check the tiers.", {"tiers": problems})
    if terms.category_id is not None and db.session.get(Category, terms.category_id) is None:
        raise ValidationFailed.field("category_id", "No such category.")
    offers = (
        list(db.session.scalars(select(Offer).where(Offer.id.in_(set(terms.offer_ids))))) if terms.offer_ids else []
    )
    if len(offers) != len(set(terms.offer_ids)) or any(o.supplier_id != supplier.id for o in offers):
        raise ValidationFailed.field("offer_ids", "Choose offers of the supplier.")
    note = _check_retention(terms.retention_percent, terms.retention_note)
    agreement = RebateAgreement(
        name=name,
        supplier_id=supplier.id,
        consortium_id=terms.consortium_id,
        network_id=terms.network_id,
        category_id=terms.category_id,
        basis=terms.basis,
        method=terms.method,
        period_start=terms.period_start,
        period_end=terms.period_end,
        share_route=terms.share_route,
        retention_percent=terms.retention_percent,
        retention_note=note,
        retention_set_by_id=actor.id if terms.retention_percent else None,
        retention_set_at=utcnow() if terms.retention_percent else None,
        status=RebateStatus.ACTIVE,
        created_by_id=actor.id,
        offers=offers,
        tiers=[RebateTier(threshold=t.threshold, rate=t.rate) for t in terms.tiers],
    )
    db.session.add(agreement)
    db.session.flush()
    return agreement


def _locked(agreement_id: int) -> RebateAgreement:
    take_writer_lock(RebateAgreement.__table__, agreement_id)
    agreement = db.session.scalar(
        select(RebateAgreement)
        .where(RebateAgreement.id == agreement_id)
        .with_for_update(of=RebateAgreement)
        .execution_options(populate_existing=True)
    )
    if agreement is None:
        raise NotFound("No such rebate agreement.")
    return agreement


def set_retention(actor: User, agreement: RebateAgreement, percent: Decimal, note: str | None) -> RebateAgreement:
    """The share the consortium keeps, as its members set it; recorded with who set it, until it is shared."""
    if not can_run(actor, agreement):
        raise Forbidden("Only the agreement's secretary records the retention its members set.")
    agreement = _locked(agreement.id)
    if agreement.status in (RebateStatus.SHARED, RebateStatus.CANCELLED):
        raise Conflict(f"This rebate is {agreement.status.value}; its retention can no longer change.")
    agreement.retention_note = _check_retention(percent, note)
    agreement.retention_percent = percent
    agreement.retention_set_by_id = actor.id
    agreement.retention_set_at = utcnow()
    db.session.flush()
    return agreement


# The claim at the period's end


@dataclass(frozen=True)
class MemberVolume:
    member_id: int
    consortium_id: int
    spend_pence: int
    units: int


def _eligible(query: Select, agreement: RebateAgreement) -> Select:
    """Only the supplier's goods, invoiced to the scope's members for supplies in the period."""
    query = query.where(
        PurchaseOrder.supplier_id == agreement.supplier_id,
        InvoiceLine.kind == LineKind.GOODS,
        Invoice.supply_date >= agreement.period_start,
        Invoice.supply_date <= agreement.period_end,
    )
    if agreement.consortium_id is not None:
        query = query.where(Invoice.consortium_id == agreement.consortium_id)
    if agreement.network_id is not None:
        query = query.where(Invoice.member_id.in_(select(Member.id).where(Member.network_id == agreement.network_id)))
    if agreement.category_id is not None:
        query = query.where(
            PurchaseOrder.offer_id.in_(select(Offer.id).where(Offer.category_id == agreement.category_id))
        )
    if agreement.offers:
        query = query.where(PurchaseOrder.offer_id.in_([o.id for o in agreement.offers]))
    return query


def eligible_volumes(agreement: RebateAgreement) -> list[MemberVolume]:
    """Each eligible member's net spend and units in the period, less what credit notes took back."""
    invoiced = _eligible(
        select(
            Invoice.member_id,
            func.max(Invoice.consortium_id),
            func.sum(InvoiceLine.net_pence),
            func.sum(InvoiceLine.quantity),
        )
        .select_from(InvoiceLine)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id),
        agreement,
    ).group_by(Invoice.member_id)
    credited = _eligible(
        select(Invoice.member_id, func.sum(CreditNoteLine.net_pence), func.sum(CreditNoteLine.quantity))
        .select_from(CreditNoteLine)
        .join(InvoiceLine, InvoiceLine.id == CreditNoteLine.invoice_line_id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .join(PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id),
        agreement,
    ).group_by(Invoice.member_id)
    taken = {member: (int(pence), int(units)) for member, pence, units in db.session.execute(credited)}
    volumes = []
    for member, consortium, pence, units in db.session.execute(invoiced):
        back_pence, back_units = taken.get(member, (0, 0))
        volume = MemberVolume(member, consortium, int(pence) - back_pence, int(units) - back_units)
        if volume.spend_pence > 0 or volume.units > 0:
            volumes.append(volume)
    return sorted(volumes, key=lambda v: v.member_id)


def claim(agreement_id: int, today: date | None = None) -> bool:
    """Computes and claims one agreement whose period has ended; False when another run got there first."""
    today = today or uk_today()
    agreement = _locked(agreement_id)
    if agreement.status is not RebateStatus.ACTIVE or agreement.period_end >= today:
        return False
    volumes = eligible_volumes(agreement)
    agreement.spend_pence = sum(v.spend_pence for v in volumes)
    agreement.units = sum(v.units for v in volumes)
    volume = agreement.volume or 0
    reached = tier_reached(volume, agreement.rule)
    agreement.tier_threshold = reached.threshold if reached else None
    agreement.rebate_pence = rebate_pence(volume, agreement.rule, agreement.basis, agreement.method)
    rows = [
        dict(
            rebate_agreement_id=agreement.id,
            member_id=v.member_id,
            consortium_id=v.consortium_id,
            spend_pence=v.spend_pence,
            units=v.units,
        )
        for v in volumes
    ]
    for start in range(0, len(rows), BULK_CHUNK):
        db.session.execute(RebateShare.__table__.insert(), rows[start : start + BULK_CHUNK])
    REBATE_LIFECYCLE.move(agreement, RebateStatus.CLAIMED, None)
    return True


def due_for_claim(today: date) -> list[int]:
    return list(
        db.session.scalars(
            select(RebateAgreement.id)
            .where(RebateAgreement.status == RebateStatus.ACTIVE, RebateAgreement.period_end < today)
            .order_by(RebateAgreement.id)
        )
    )


# Received and shared


def record_received(
    actor: User, agreement: RebateAgreement, amount_pence: int, received_on: date, reference: str
) -> RebateAgreement:
    """The supplier paid the rebate claimed (or what it agreed to pay)."""
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int) or not 0 < amount_pence <= MAX_PENCE:
        raise ValidationFailed.field("amount_pence", "Enter the amount received, above nothing.")
    reference = (reference or "").strip()
    if not reference or len(reference) > 140:
        raise ValidationFailed.field("reference", "Give the payment's reference, in under 140 characters.")
    if received_on > uk_today():
        raise ValidationFailed.field("received_on", "The date received cannot be in the future.")
    agreement = _locked(agreement.id)
    REBATE_LIFECYCLE.check(agreement, RebateStatus.RECEIVED)
    agreement.received_pence = amount_pence
    agreement.received_on = received_on
    agreement.received_reference = reference
    REBATE_LIFECYCLE.move(agreement, RebateStatus.RECEIVED, actor)
    return agreement


def _credit_targets(agreement: RebateAgreement) -> dict[int, list[tuple[Invoice, InvoiceLine]]]:
    """Each member's eligible invoices of the period with their goods line, roomiest first."""
    rows = db.session.execute(
        _eligible(
            select(Invoice, InvoiceLine)
            .select_from(InvoiceLine)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .join(PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id),
            agreement,
        ).order_by((Invoice.total_pence - Invoice.credited_pence).desc(), Invoice.id)
    )
    targets: dict[int, list[tuple[Invoice, InvoiceLine]]] = {}
    for invoice, line in rows:
        targets.setdefault(invoice.member_id, []).append((invoice, line))
    return targets


def share(actor: User, agreement: RebateAgreement) -> RebateAgreement:
    """Shares what was received: the retention kept, the rest to the members by eligible spend, to the penny.

    By credit note, each share goes on the member's roomiest eligible invoice of the period; a share no
    invoice has room for is recorded as a payment to the member instead.
    """
    agreement = _locked(agreement.id)
    REBATE_LIFECYCLE.check(agreement, RebateStatus.SHARED)
    if not can_run(actor, agreement):
        raise Forbidden("Only the agreement's secretary shares its rebate.")
    rows = list(
        db.session.execute(
            shares_of(agreement).with_only_columns(RebateShare.id, RebateShare.member_id, RebateShare.spend_pence)
        )
    )
    sharing = share_out(agreement.received_pence or 0, agreement.retention_percent, [r.spend_pence for r in rows])
    agreement.retained_pence = sharing.retained_pence
    reference = f"Rebate {agreement.name}, {agreement.period_start:%-d %b %Y} to {agreement.period_end:%-d %b %Y}"
    updates = []
    targets = _credit_targets(agreement) if agreement.share_route is ShareRoute.CREDIT_NOTE else {}
    for row, amount in zip(rows, sharing.shares, strict=True):
        update_row = {"id": row.id, "share_pence": amount, "route": ShareRoute.PAYMENT, "credit_note_id": None}
        update_row["paid_reference"] = reference[:140] if amount else None
        for invoice, line in targets.get(row.member_id, []) if amount else []:
            try:
                note = billing.issue_price_credit(actor, invoice, amount, line.vat_rate, reference[:300], reference)
            except Conflict:
                continue
            update_row |= {"route": ShareRoute.CREDIT_NOTE, "credit_note_id": note.id, "paid_reference": None}
            break
        updates.append(update_row)
    for start in range(0, len(updates), BULK_CHUNK):
        db.session.execute(update(RebateShare), updates[start : start + BULK_CHUNK])
    REBATE_LIFECYCLE.move(agreement, RebateStatus.SHARED, actor)
    outbox.record(SHARED_KIND, agreement.id, f"{SHARED_KIND}:{agreement.id}")
    return agreement


def cancel(actor: User, agreement: RebateAgreement, reason: str) -> RebateAgreement:
    agreement = _locked(agreement.id)
    REBATE_LIFECYCLE.move(agreement, RebateStatus.CANCELLED, actor, reason)
    return agreement


# What the claim and the reports read


@dataclass(frozen=True)
class ClaimLine:
    consortium: str
    members: int
    spend_pence: int
    units: int


def claim_lines(agreement: RebateAgreement) -> list[ClaimLine]:
    """The claim by consortium: what the supplier is told (no member's own figures)."""
    return claim_lines_of([agreement.id])[agreement.id]


def claim_lines_of(agreement_ids: Sequence[int]) -> dict[int, list[ClaimLine]]:
    """The claims of several agreements (a page of them) in one query."""
    rows = db.session.execute(
        select(
            RebateShare.rebate_agreement_id,
            Consortium.name,
            func.count(),
            func.sum(RebateShare.spend_pence),
            func.sum(RebateShare.units),
        )
        .join(Consortium, Consortium.id == RebateShare.consortium_id)
        .where(RebateShare.rebate_agreement_id.in_(list(agreement_ids) or [-1]))
        .group_by(RebateShare.rebate_agreement_id, Consortium.name)
        .order_by(RebateShare.rebate_agreement_id, Consortium.name)
    )
    lines: dict[int, list[ClaimLine]] = {agreement_id: [] for agreement_id in agreement_ids}
    for agreement_id, name, count, pence, units in rows:
        lines[agreement_id].append(ClaimLine(name, int(count), int(pence), int(units)))
    return lines


def with_terms(query: Select) -> Select:
    """Agreements loaded with their tiers and offers, for a page of them shown in full."""
    return query.options(selectinload(RebateAgreement.tiers), selectinload(RebateAgreement.offers))


def credit_note_numbers(shares: Sequence[RebateShare]) -> dict[int, str]:
    ids = [s.credit_note_id for s in shares if s.credit_note_id is not None]
    if not ids:
        return {}
    rows = db.session.execute(select(CreditNote.id, CreditNote.number).where(CreditNote.id.in_(ids)))
    return {note_id: number for note_id, number in rows}
