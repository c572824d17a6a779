"""Tenders: drafting, publishing, clarifications, sealed bids, opening, scoring, ranking, standstill and award.

The seal lives here, not in the pages: no function below hands a price of any bid to anyone
but the supplier who wrote it until the tender is opened (`require_unsealed`). Each change
takes the tender's row lock, moves it through TENDERS (kernel.lifecycle) and writes a line to
its trail (who saw, scored or decided what, when). Functions flush; the request commits.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import TypeVar

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update

from catalogue import pricing
from catalogue.enums import VatRate
from catalogue.models import Category, Offer, PriceTier
from frameworks import services as frameworks
from frameworks.models import CallOff, Framework, FrameworkStatus, Route
from frameworks.terms import LotTerms
from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import Lifecycle, StatusChange, Who, move
from kernel.money import quantize_price
from kernel.words import default_units
from orders import services as orders_services
from orders.models import POOLS, Pool, PoolPriceChange, PoolStatus
from orders.prices import hold_prices, pool_list_price, pool_tiers, tier_rows
from organisations import outbox
from organisations.models import Consortium, Member, Network, Organisation, Role, RoleGrant, Supplier, User
from pools.services import take_writer_lock
from tenders import ranking
from tenders.models import (
    TAKING_BIDS,
    Bid,
    BidTier,
    Clarification,
    Evaluator,
    Score,
    Tender,
    TenderInvitation,
    TenderLot,
    TenderRecord,
    TenderStatus,
)

S = TenderStatus
MAX_LOTS = 20
MAX_TIERS = 20
MAX_QUESTIONS = 10
MAX_QUANTITY = 10_000_000
MAX_PRICE = 10**8
MAX_DELIVERY_PENCE = 100_000_000
MAX_STANDSTILL_DAYS = 60
MAX_MINIMUM_BIDS = 50
MAX_LEAD_TIME_DAYS = 365
TEXT_MAX = 5000
PUBLISHED_KIND = "tender_published"
CANCELLED_KIND = "tender_cancelled"
LIVE = (S.PUBLISHED, S.CLARIFICATIONS_CLOSED, S.SUBMISSIONS_CLOSED, S.OPENED, S.EVALUATED, S.AWARD_PROPOSED)


def can_run(user: User, tender: Tender) -> bool:
    """Admins run every tender; a secretary their consortium's (a national tender is the admins'); the people of
    the member a mini-competition's call-off is for run that mini-competition too."""
    return (
        user.is_admin
        or (tender.consortium_id is not None and tender.consortium_id in user.secretary_consortium_ids)
        or (tender.call_off_member_id is not None and tender.call_off_member_id in user.member_ids)
    )


TENDERS: Lifecycle[TenderStatus] = Lifecycle(
    "tender",
    "tender",
    [
        move(S.DRAFT, S.PUBLISHED, "published", Who.RUNNER),
        move(S.PUBLISHED, S.CLARIFICATIONS_CLOSED, "closed to questions", Who.SYSTEM),
        move(S.CLARIFICATIONS_CLOSED, S.SUBMISSIONS_CLOSED, "closed to bids", Who.SYSTEM),
        move(S.SUBMISSIONS_CLOSED, S.OPENED, "opened", Who.RUNNER, hint="Bids open after the submission deadline."),
        move((S.SUBMISSIONS_CLOSED, S.STANDSTILL), S.UNSUCCESSFUL, "found unsuccessful", Who.RUNNER, Who.SYSTEM),
        move(S.OPENED, S.EVALUATED, "evaluated", Who.RUNNER),
        move(S.EVALUATED, S.AWARD_PROPOSED, "proposed for award", Who.RUNNER),
        move(S.STANDSTILL, S.AWARD_PROPOSED, "proposed for award again", Who.SYSTEM),
        move(S.AWARD_PROPOSED, S.STANDSTILL, "put in standstill", Who.RUNNER),
        move(S.STANDSTILL, S.AWARDED, "awarded", Who.RUNNER),
        move((S.DRAFT, *LIVE, S.STANDSTILL), S.CANCELLED, "cancelled", Who.RUNNER, needs_reason=True),
    ],
    runs=can_run,
    stamps={
        S.PUBLISHED: "published_at",
        S.OPENED: "opened_at",
        S.AWARDED: "awarded_at",
        S.CANCELLED: "cancelled_at",
    },
    reasons={S.CANCELLED: "cancel_reason", S.UNSUCCESSFUL: "unsuccessful_reason"},
)


# Who sees a tender


def visible(user: User) -> Select[Tender]:
    """The tenders a user may see: those they run, those their supplier may bid for once published,
    those they evaluate once published. Newest first."""
    query = select(Tender).order_by(Tender.id.desc())
    if user.is_admin:
        return query
    live = Tender.status != S.DRAFT
    seen = [
        Tender.consortium_id.in_(user.secretary_consortium_ids or {-1}),
        Tender.call_off_member_id.in_(user.member_ids or {-1}),
        and_(live, exists().where(Evaluator.tender_id == Tender.id, Evaluator.user_id == user.id)),
    ]
    if user.supplier_ids:
        seen.append(and_(live, eligible_supplier_condition(user.supplier_ids)))
    return query.where(or_(*seen))


def eligible_supplier_condition(supplier_ids: set[int]):
    """Invited, or the tender is open to every supplier with an active offer in its category."""
    invited = exists().where(TenderInvitation.tender_id == Tender.id, TenderInvitation.supplier_id.in_(supplier_ids))
    in_category = exists().where(
        Offer.category_id == Tender.category_id, Offer.supplier_id.in_(supplier_ids), Offer.active
    )
    return or_(invited, and_(Tender.open_to_all, in_category))


def tender_for(user: User, tender_id: int) -> Tender:
    """The tender if the user may see it; 404 otherwise, so its existence does not leak."""
    tender = db.session.scalar(visible(user).where(Tender.id == tender_id))
    if tender is None:
        raise NotFound("No such tender.")
    return tender


def lock(tender_id: int) -> Tender:
    """The tender's row lock until the transaction ends, the row read afresh (SQLite: the writer lock first)."""
    take_writer_lock(Tender.__table__, tender_id)
    tender = db.session.scalar(
        select(Tender)
        .where(Tender.id == tender_id)
        .with_for_update(of=Tender)
        .execution_options(populate_existing=True)
    )
    if tender is None:
        raise NotFound("No such tender.")
    return tender


def _sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def require_runner(user: User, tender: Tender) -> None:
    if not can_run(user, tender):
        raise Forbidden("Only the tender's secretary (or an admin) can do that.")


def is_evaluator(user: User, tender: Tender) -> bool:
    return db.session.get(Evaluator, (tender.id, user.id)) is not None


def bidding_suppliers(user: User, tender: Tender) -> list[Supplier]:
    """The suppliers the user acts for that may bid in the tender: invited, or open to their category."""
    if not user.supplier_ids or tender.status == S.DRAFT:
        return []
    invited = TenderInvitation.tender_id == tender.id
    eligible: ColumnElement[bool] = exists().where(invited, TenderInvitation.supplier_id == Supplier.id)
    if tender.open_to_all:
        in_category = Offer.category_id == tender.category_id
        eligible = or_(eligible, exists().where(in_category, Offer.supplier_id == Supplier.id, Offer.active))
    return list(
        db.session.scalars(
            select(Supplier).where(Supplier.id.in_(user.supplier_ids), Supplier.active, eligible).order_by(Supplier.id)
        )
    )


def _acting_supplier(user: User, tender: Tender, supplier_id: int | None) -> Supplier:
    suppliers = bidding_suppliers(user, tender)
    if supplier_id is not None:
        suppliers = [s for s in suppliers if s.id == supplier_id]
    if len(suppliers) == 1:
        return suppliers[0]
    if suppliers:
        raise ValidationFailed.field("supplier_id", "You act for several suppliers in this tender: say which one.")
    raise Forbidden("You act for no supplier invited to this tender.")


def record(tender: Tender, user: User | None, action: str, detail: str = "") -> None:
    db.session.add(TenderRecord(tender_id=tender.id, user_id=user.id if user else None, action=action, detail=detail))


def _move(tender: Tender, target: TenderStatus, actor: User | None, reason: str | None = None, **kw) -> StatusChange:
    change = TENDERS.move(tender, target, actor, reason, **kw)
    record(tender, actor, target.value, reason or "")
    return change


# Drafting


@dataclass(frozen=True)
class LotDraft:
    name: str
    unit: str
    forecast_quantity: int
    vat_rate: str = "standard"
    pool_id: int | None = None


@dataclass
class TenderDraft:
    title: str
    category_id: int
    consortium_id: int | None
    specification: str
    clarification_deadline: datetime
    submission_deadline: datetime
    lots: list[LotDraft]
    price_weight: int = 60
    quality_weight: int = 40
    social_weight: int = 0
    minimum_valid_bids: int = 2
    standstill_days: int = 10
    open_to_all: bool = False
    supplier_ids: list[int] = field(default_factory=list)
    quality_questions: list[str] = field(default_factory=list)


def lot_from_pool(actor: User, pool_id: int, field: str = "pool_id") -> LotDraft:
    """A lot for an open or draft pool's demand: its offer's name and unit, its pledges as the forecast
    (a draft, which has none yet, forecasts its minimum). `field` names the pool in a refusal."""
    pool = db.session.scalar(POOLS.visible(actor).where(Pool.id == pool_id))
    if pool is None or pool.status not in (PoolStatus.DRAFT, PoolStatus.OPEN):
        raise ValidationFailed.field(field, "Tender only the demand of an open or draft pool you run.")
    forecast = pool.pledged_quantity or pool.minimum_quantity
    return LotDraft(pool.offer.name, pool.offer.unit, forecast, pool.offer.vat_rate.value, pool.id)


def create_tender(actor: User, draft: TenderDraft) -> Tender:
    """A draft tender for a consortium (its secretary) or national (an admin)."""
    return _new_tender(actor, draft, _owner(actor, draft.consortium_id))


def _new_tender(actor: User, draft: TenderDraft, consortium: Consortium | None, **extra) -> Tender:
    errors = _draft_errors(actor, draft, consortium)
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    tender = Tender(
        **extra,
        title=draft.title.strip(),
        category_id=draft.category_id,
        consortium_id=consortium.id if consortium else None,
        specification=draft.specification.strip(),
        price_weight=draft.price_weight,
        quality_weight=draft.quality_weight,
        social_weight=draft.social_weight,
        clarification_deadline=draft.clarification_deadline,
        submission_deadline=draft.submission_deadline,
        minimum_valid_bids=draft.minimum_valid_bids,
        standstill_days=draft.standstill_days,
        open_to_all=draft.open_to_all,
        quality_questions=[q.strip() for q in draft.quality_questions if q.strip()],
        created_by_id=actor.id,
        lots=[
            TenderLot(
                name=lot.name.strip(),
                unit=lot.unit.strip(),
                forecast_quantity=lot.forecast_quantity,
                vat_rate=VatRate(lot.vat_rate),
                pool_id=lot.pool_id,
            )
            for lot in draft.lots
        ],
    )
    db.session.add(tender)
    db.session.flush()
    for supplier_id in sorted(set(draft.supplier_ids)):
        db.session.add(TenderInvitation(tender_id=tender.id, supplier_id=supplier_id))
    record(tender, actor, "drafted", tender.title)
    db.session.flush()
    return tender


def _owner(actor: User, consortium_id: int | None) -> Consortium | None:
    if consortium_id is None:
        if not actor.is_admin:
            raise Forbidden("Only an admin starts a national tender.")
        return None
    consortium = db.session.get(Consortium, consortium_id)
    if consortium is None or not (actor.is_admin or consortium.id in actor.secretary_consortium_ids):
        raise ValidationFailed.field("consortium_id", "You are not the secretary of that consortium.")
    return consortium


def _text_error(value: str, name: str, most: int) -> str | None:
    if not (value or "").strip():
        return f"Enter the {name}."
    return f"Keep the {name} under {most:,} characters." if len(value) > most else None


def _draft_errors(actor: User, draft: TenderDraft, consortium: Consortium | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str | None) -> None:
        if message:
            errors.setdefault(name, []).append(message)

    add("title", _text_error(draft.title, "title", 200))
    add("specification", _text_error(draft.specification, "specification", TEXT_MAX))
    if db.session.get(Category, draft.category_id) is None:
        add("category_id", "Choose a category.")
    for problem in ranking.Weights(draft.price_weight, draft.quality_weight, draft.social_weight).problems():
        add("price_weight", problem)
    now = utcnow()
    if draft.clarification_deadline <= now:
        add("clarification_deadline", "The clarification deadline must be in the future.")
    if draft.submission_deadline <= draft.clarification_deadline:
        add("submission_deadline", "The submission deadline must come after the clarification deadline.")
    if not 1 <= draft.minimum_valid_bids <= MAX_MINIMUM_BIDS:
        add("minimum_valid_bids", f"Enter a whole number from 1 to {MAX_MINIMUM_BIDS}.")
    if not 0 <= draft.standstill_days <= MAX_STANDSTILL_DAYS:
        add("standstill_days", f"Enter a whole number of days from 0 to {MAX_STANDSTILL_DAYS}.")
    if len(draft.quality_questions) > MAX_QUESTIONS or any(len(q) > 500 for q in draft.quality_questions):
        add("quality_questions", f"Ask at most {MAX_QUESTIONS} quality questions of under 500 characters each.")
    if not draft.open_to_all:
        found = set(
            db.session.scalars(select(Supplier.id).where(Supplier.id.in_(draft.supplier_ids or [-1]), Supplier.active))
        )
        if not draft.supplier_ids:
            add("supplier_ids", "Invite at least one supplier, or open the tender to every supplier in the category.")
        elif found != set(draft.supplier_ids):
            add("supplier_ids", "Invite only active suppliers.")
    if not 1 <= len(draft.lots) <= MAX_LOTS:
        add("lots", f"A tender has from 1 to {MAX_LOTS} lots.")
    for n, lot in enumerate(draft.lots):
        add(f"lots.{n}.name", _text_error(lot.name, "lot's name", 200))
        add(f"lots.{n}.unit", _text_error(lot.unit, "unit", 30))
        if not 1 <= lot.forecast_quantity <= MAX_QUANTITY:
            add(f"lots.{n}.forecast_quantity", f"Enter a whole number from 1 to {MAX_QUANTITY:,}.")
        if lot.vat_rate not in {"standard", "reduced", "zero", "exempt"}:
            add(f"lots.{n}.vat_rate", "Choose standard, reduced, zero or exempt.")
        if lot.pool_id is not None:
            add(f"lots.{n}.pool_id", _pool_problem(actor, lot.pool_id, consortium))
    return errors


def _pool_problem(actor: User, pool_id: int, consortium: Consortium | None) -> str | None:
    pool = db.session.scalar(POOLS.visible(actor).where(Pool.id == pool_id))
    if pool is None or pool.status not in (PoolStatus.DRAFT, PoolStatus.OPEN):
        return "Choose an open or draft pool you run."
    if (consortium is None) != pool.is_national or (consortium is not None and pool.consortium_ids != {consortium.id}):
        return "The pool must be of the tender's consortium (a national pool: a national tender)."
    return None


def publish(actor: User, tender: Tender) -> Tender:
    """Opens the tender to the invited suppliers (or the category's), who are told through the outbox."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    TENDERS.check(tender, S.PUBLISHED)
    if tender.clarification_deadline <= utcnow():
        raise Conflict("The clarification deadline has passed; cancel this draft and start a new tender.")
    _move(tender, S.PUBLISHED, actor)
    outbox.record(PUBLISHED_KIND, tender.id, f"{PUBLISHED_KIND}:{tender.id}")
    return tender


def cancel(actor: User, tender: Tender, reason: str | None) -> Tender:
    """Cancels the tender with the reason the invitees and bidders are told through the outbox."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    was_live = tender.status != S.DRAFT
    _move(tender, S.CANCELLED, actor, reason)
    if was_live:
        outbox.record(CANCELLED_KIND, tender.id, f"{CANCELLED_KIND}:{tender.id}")
    return tender


def told_suppliers(tender: Tender) -> list[int]:
    """The suppliers a tender's news goes to: the invited, those open to it by category, and any who bid."""
    ids = set(db.session.scalars(select(TenderInvitation.supplier_id).where(TenderInvitation.tender_id == tender.id)))
    ids |= set(db.session.scalars(select(Bid.supplier_id).where(Bid.tender_id == tender.id)))
    if tender.open_to_all:
        ids |= set(
            db.session.scalars(select(Offer.supplier_id).where(Offer.category_id == tender.category_id, Offer.active))
        )
    return sorted(ids)


# Deadlines: the scheduled job


def due_tender_ids(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            select(Tender.id)
            .where(
                or_(
                    and_(Tender.status == S.PUBLISHED, Tender.clarification_deadline <= now),
                    and_(Tender.status == S.CLARIFICATIONS_CLOSED, Tender.submission_deadline <= now),
                )
            )
            .order_by(Tender.id)
        )
    )


def advance(tender_id: int, now: datetime) -> list[TenderStatus]:
    """Makes the deadline moves due for one tender; the states it passed into ([] when another run holds it).

    The row is taken FOR UPDATE SKIP LOCKED on PostgreSQL, so a second host running at the same
    moment passes over a tender the first is moving, and finds it moved when it looks again.
    """
    if _sqlite():
        found: Tender | None = lock(tender_id)
    else:
        found = db.session.scalar(
            select(Tender)
            .where(Tender.id == tender_id)
            .with_for_update(of=Tender, skip_locked=True)
            .execution_options(populate_existing=True)
        )
    if found is None:
        return []
    tender = found
    passed = []
    if tender.status == S.PUBLISHED and tender.clarification_deadline <= now:
        _move(tender, S.CLARIFICATIONS_CLOSED, None, at=now)
        passed.append(S.CLARIFICATIONS_CLOSED)
    if tender.status == S.CLARIFICATIONS_CLOSED and tender.submission_deadline <= now:
        _move(tender, S.SUBMISSIONS_CLOSED, None, at=now)
        passed.append(S.SUBMISSIONS_CLOSED)
    return passed


# Clarifications


@dataclass(frozen=True)
class ClarificationView:
    """A question as its reader may see it: the asker is named only to the tender's runner."""

    id: int
    question: str
    answer: str | None
    asked_at: datetime
    answered_at: datetime | None
    asked_by: str | None


def ask(actor: User, tender: Tender, question: str, supplier_id: int | None = None) -> Clarification:
    supplier = _acting_supplier(actor, tender, supplier_id)
    problem = _text_error(question, "question", TEXT_MAX)
    if problem:
        raise ValidationFailed.field("question", problem)
    if tender.status != S.PUBLISHED or tender.clarification_deadline <= utcnow():
        raise Conflict("The tender is closed to questions.")
    asked = Clarification(tender_id=tender.id, supplier_id=supplier.id, asked_by_id=actor.id, question=question.strip())
    db.session.add(asked)
    record(tender, actor, "asked", f"{supplier.name} asked a question")
    db.session.flush()
    return asked


def answer(actor: User, tender: Tender, clarification_id: int, text: str) -> Clarification:
    """Publishes the answer to every bidder; the question goes with it, the asker's name does not."""
    require_runner(actor, tender)
    problem = _text_error(text, "answer", TEXT_MAX)
    if problem:
        raise ValidationFailed.field("answer", problem)
    tender = lock(tender.id)
    if tender.status not in TAKING_BIDS:
        raise Conflict("Answers can be published only while the tender takes bids.")
    asked = db.session.get(Clarification, clarification_id)
    if asked is None or asked.tender_id != tender.id:
        raise NotFound("No such question.")
    asked.answer, asked.answered_by_id, asked.answered_at = text.strip(), actor.id, utcnow()
    record(tender, actor, "answered", f"Question {asked.id} answered and published")
    db.session.flush()
    return asked


def clarifications(user: User, tender: Tender) -> list[ClarificationView]:
    """The runner sees every question and who asked; a supplier the published answers and its own questions."""
    runner = can_run(user, tender)
    query = select(Clarification, Supplier).join(Supplier, Supplier.id == Clarification.supplier_id)
    query = query.where(Clarification.tender_id == tender.id).order_by(Clarification.id)
    if not runner:
        query = query.where(or_(Clarification.answer.is_not(None), Clarification.supplier_id.in_(user.supplier_ids)))
    return [
        ClarificationView(c.id, c.question, c.answer, c.asked_at, c.answered_at, s.name if runner else None)
        for c, s in db.session.execute(query)
    ]


# Bids


@dataclass(frozen=True)
class BidDraft:
    tiers: list[ranking.BidTier]
    delivery_charge_pence: int = 0
    lead_time_days: int = 0
    answers: list[str] = field(default_factory=list)


def submit_bid(actor: User, tender: Tender, lot_id: int, draft: BidDraft, supplier_id: int | None = None) -> Bid:
    """The supplier's bid for the lot, made or replaced whole until the submission deadline."""
    supplier = _acting_supplier(actor, tender, supplier_id)
    lot = _lot(tender, lot_id)
    _check_bid(tender, draft)
    tender = lock(tender.id)
    if tender.status not in TAKING_BIDS or tender.submission_deadline <= utcnow():
        raise Conflict("The tender no longer takes bids: the submission deadline has passed.")
    bid = db.session.scalar(select(Bid).where(Bid.lot_id == lot.id, Bid.supplier_id == supplier.id))
    replaced = bid is not None
    if bid is None:
        bid = Bid(tender_id=tender.id, lot_id=lot.id, supplier_id=supplier.id)
        db.session.add(bid)
    else:
        bid.tiers.clear()
        db.session.flush()
    bid.tiers.extend(BidTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in draft.tiers)
    bid.delivery_charge_pence = draft.delivery_charge_pence
    bid.lead_time_days = draft.lead_time_days
    bid.answers = [a.strip() for a in draft.answers]
    bid.submitted_by_id, bid.submitted_at = actor.id, utcnow()
    record(tender, actor, "bid replaced" if replaced else "bid made", f"{supplier.name}, lot {lot.name}")
    db.session.flush()
    return bid


def _lot(tender: Tender, lot_id: int) -> TenderLot:
    lot = next((lot for lot in tender.lots if lot.id == lot_id), None)
    if lot is None:
        raise NotFound("No such lot in this tender.")
    return lot


def _check_bid(tender: Tender, draft: BidDraft) -> None:
    errors: dict[str, list[str]] = {}
    tiers = draft.tiers
    if len(tiers) > MAX_TIERS:
        errors["tiers"] = [f"Price at most {MAX_TIERS} tiers."]
    elif any(not (1 <= t.min_quantity <= MAX_QUANTITY and _finite_below(t.unit_price, MAX_PRICE)) for t in tiers):
        errors["tiers"] = [f"Tier quantities run from 1 to {MAX_QUANTITY:,} and prices stay under £100,000,000."]
    elif any(t.unit_price != quantize_price(t.unit_price) for t in tiers):
        errors["tiers"] = ["Prices have at most four decimal places."]
    else:
        problems = ranking.tier_problems(tiers)
        if problems:
            errors["tiers"] = problems
    if not 0 <= draft.delivery_charge_pence <= MAX_DELIVERY_PENCE:
        errors["delivery_charge_pence"] = ["Enter a delivery charge from £0 to £1,000,000."]
    elif tender.is_mini_competition and draft.delivery_charge_pence:
        errors["delivery_charge_pence"] = ["A call-off has no delivery charge: price delivery into the unit prices."]
    if not 0 <= draft.lead_time_days <= MAX_LEAD_TIME_DAYS:
        errors["lead_time_days"] = [f"Enter a lead time from 0 to {MAX_LEAD_TIME_DAYS} days."]
    questions = len(tender.quality_questions)
    if len(draft.answers) != questions or any(not a.strip() or len(a) > TEXT_MAX for a in draft.answers):
        errors["answers"] = [f"Answer each of the {questions} quality questions (under {TEXT_MAX:,} characters)."]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)


def _finite_below(price: Decimal, most: int) -> bool:
    """A form's decimal field parses "nan" and "inf", which no comparison may meet."""
    return price.is_finite() and -most < price < most


def own_bids(actor: User, tender: Tender) -> list[Bid]:
    """The bids of the suppliers the actor acts for: a supplier always sees what it wrote."""
    return list(
        db.session.scalars(
            select(Bid)
            .where(Bid.tender_id == tender.id, Bid.supplier_id.in_(actor.supplier_ids or {-1}))
            .order_by(Bid.lot_id, Bid.id)
        )
    )


def bid_counts(tender: Tender) -> dict[int, int]:
    """Bids received per lot: no supplier, no price, so the runner may follow a sealed tender."""
    rows = db.session.execute(select(Bid.lot_id, func.count()).where(Bid.tender_id == tender.id).group_by(Bid.lot_id))
    return {lot_id: count for lot_id, count in rows}


def require_unsealed(actor: User, tender: Tender) -> None:
    """The seal: nobody but a bid's own supplier sees a price before the opening; then only the runner and
    the evaluators."""
    if tender.sealed:
        raise Conflict("The bids are sealed until the tender is opened after its submission deadline.")
    if not (can_run(actor, tender) or is_evaluator(actor, tender)):
        raise Forbidden("Only the tender's secretary and its evaluators see the bids.")


def all_bids(actor: User, tender: Tender) -> list[Bid]:
    """Every bid with its prices, once opened, to the runner and the evaluators; each look is on the trail."""
    require_unsealed(actor, tender)
    record(tender, actor, "viewed bids", "every bid, prices included")
    return list(db.session.scalars(select(Bid).where(Bid.tender_id == tender.id).order_by(Bid.lot_id, Bid.id)))


# Opening, evaluators and scores


def open_bids(actor: User, tender: Tender) -> Tender:
    """Breaks the seal, or finds the tender unsuccessful when a lot has fewer valid bids than the minimum."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    TENDERS.check(tender, S.OPENED)
    counts = bid_counts(tender)
    short = [lot for lot in tender.lots if counts.get(lot.id, 0) < tender.minimum_valid_bids]
    if short:
        reason = "; ".join(
            f"{lot.name} had {_bids(counts.get(lot.id, 0))}, {tender.minimum_valid_bids} needed" for lot in short
        )
        _move(tender, S.UNSUCCESSFUL, actor, f"Too few valid bids: {reason}.", by=Who.RUNNER)
        return tender
    _move(tender, S.OPENED, actor)
    return tender


def _bids(count: int) -> str:
    return "1 valid bid" if count == 1 else f"{count} valid bids"


def evaluator_candidates(tender: Tender) -> Select[User]:
    """People who act for a member of the tender's consortium (any consortium's, for a national tender)."""
    query = (
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == Role.MEMBER, User.active)
    )
    if tender.consortium_id is not None:
        query = query.join(Network, Network.id == Member.network_id).where(
            Network.consortium_id == tender.consortium_id
        )
    return query.distinct().order_by(User.name, User.id)


def name_evaluators(actor: User, tender: Tender, user_ids: Sequence[int]) -> list[User]:
    """Names the evaluators (two or more members' people), before scoring is done."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    if tender.status not in (S.DRAFT, *TAKING_BIDS, S.SUBMISSIONS_CLOSED, S.OPENED):
        raise Conflict("Evaluators are named before the tender is evaluated.")
    wanted = set(user_ids)
    people = list(db.session.scalars(evaluator_candidates(tender).where(User.id.in_(wanted or {-1}))))
    if len(people) != len(wanted):
        raise ValidationFailed.field("user_ids", "Name only people who act for a member of the tender's consortium.")
    if len(people) < 2:
        raise ValidationFailed.field("user_ids", "Name at least two evaluators.")
    db.session.execute(delete(Evaluator).where(Evaluator.tender_id == tender.id, Evaluator.user_id.not_in(wanted)))
    kept = set(db.session.scalars(select(Evaluator.user_id).where(Evaluator.tender_id == tender.id)))
    for person in people:
        if person.id not in kept:
            db.session.add(Evaluator(tender_id=tender.id, user_id=person.id))
    record(tender, actor, "evaluators named", ", ".join(p.name for p in people))
    db.session.flush()
    return people


def evaluators(tender: Tender) -> list[User]:
    return list(
        db.session.scalars(
            select(User).join(Evaluator, Evaluator.user_id == User.id).where(Evaluator.tender_id == tender.id)
        )
    )


def score(actor: User, tender: Tender, bid_id: int, quality: int, note: str | None = None) -> Score:
    """The evaluator's own quality score of one bid, replaced while the tender is opened."""
    if not is_evaluator(actor, tender):
        raise Forbidden("Only the tender's evaluators score its bids.")
    if not 0 <= quality <= ranking.MAX_SCORE:
        raise ValidationFailed.field("quality", "Score quality from 0 to 100.")
    if note is not None and len(note) > TEXT_MAX:
        raise ValidationFailed.field("note", f"Keep the note under {TEXT_MAX:,} characters.")
    tender = lock(tender.id)
    if tender.status != S.OPENED:
        raise Conflict("Bids are scored while the tender is opened, before it is evaluated.")
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.tender_id != tender.id:
        raise NotFound("No such bid in this tender.")
    given = db.session.scalar(select(Score).where(Score.bid_id == bid.id, Score.evaluator_id == actor.id))
    if given is None:
        given = Score(tender_id=tender.id, bid_id=bid.id, evaluator_id=actor.id)
        db.session.add(given)
    given.quality, given.note, given.scored_at = quality, (note or "").strip() or None, utcnow()
    record(tender, actor, "scored", f"{bid.supplier.name}'s bid {bid.id}: quality {quality}")
    db.session.flush()
    return given


def my_scores(actor: User, tender: Tender) -> dict[int, Score]:
    """The actor's own scores by bid: evaluators never see each other's."""
    return {
        s.bid_id: s
        for s in db.session.scalars(select(Score).where(Score.tender_id == tender.id, Score.evaluator_id == actor.id))
    }


def evaluate(actor: User, tender: Tender) -> Tender:
    """Closes scoring once two or more evaluators have scored every bid."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    TENDERS.check(tender, S.EVALUATED)
    people = evaluators(tender)
    if not tender.quality_weight:
        _move(tender, S.EVALUATED, actor, "priced alone: quality weighs nothing")
        return tender
    if len(people) < 2:
        raise Conflict("Name at least two evaluators first.")
    bids = db.session.scalar(select(func.count()).select_from(Bid).where(Bid.tender_id == tender.id)) or 0
    scores = db.session.scalar(select(func.count()).select_from(Score).where(Score.tender_id == tender.id)) or 0
    if scores < bids * len(people):
        raise Conflict(f"{bids * len(people) - scores} scores are still to come from the evaluators.")
    _move(tender, S.EVALUATED, actor)
    return tender


# Comparison and ranking


@dataclass(frozen=True)
class Bidder:
    name: str
    buy_social: bool


@dataclass(frozen=True)
class BidFacts:
    """What the comparison shows of a bid besides its prices, read as plain columns: 200 bids loaded as ORM
    objects with their suppliers and organisations cost more than ranking them."""

    id: int
    lot_id: int
    supplier_id: int
    supplier: Bidder
    delivery_charge_pence: int
    lead_time_days: int
    answers: list[str]
    declined_at: datetime | None


@dataclass(frozen=True)
class Compared:
    """One bid in the comparison: its tiers, its costs at 25% less, the forecast and 25% more, net and gross."""

    bid: BidFacts
    tiers: tuple[ranking.BidTier, ...]
    net_pence: tuple[int, int, int]
    gross_pence: tuple[int, int, int]
    ranked: ranking.Ranked | None


@dataclass(frozen=True)
class LotComparison:
    lot: TenderLot
    quantities: tuple[int, int, int]
    rows: list[Compared]


def _scores(tender: Tender) -> dict[int, list[int]]:
    scores: dict[int, list[int]] = {}
    rows = db.session.execute(select(Score.bid_id, Score.quality).where(Score.tender_id == tender.id))
    for bid_id, quality in rows:
        scores.setdefault(bid_id, []).append(quality)
    return scores


def _tier_tables(tender: Tender) -> dict[int, tuple[ranking.BidTier, ...]]:
    """Every bid's tiers as plain tuples in one query: a tender of 200 bids holds 2,000 tiers, too many to
    load as ORM objects for a page."""
    tables: dict[int, list[ranking.BidTier]] = {}
    rows = db.session.execute(
        select(BidTier.bid_id, BidTier.min_quantity, BidTier.unit_price)
        .join(Bid, Bid.id == BidTier.bid_id)
        .where(Bid.tender_id == tender.id)
        .order_by(BidTier.bid_id, BidTier.min_quantity)
    )
    make = ranking.BidTier._make
    for bid_id, tiers in itertools.groupby(rows, key=itemgetter(0)):
        tables[bid_id] = [make(row[1:]) for row in tiers]
    return {bid_id: tuple(tiers) for bid_id, tiers in tables.items()}


BidRow = TypeVar("BidRow", Bid, BidFacts)


def _priced(bid: Bid | BidFacts, tiers: tuple[ranking.BidTier, ...], scores: dict[int, list[int]]) -> ranking.Priced:
    return ranking.Priced(
        bid.id, tiers, bid.delivery_charge_pence, tuple(scores.get(bid.id, [])), bid.supplier.buy_social
    )


def _by_lot(bids: Sequence[BidRow]) -> dict[int, list[BidRow]]:
    grouped: dict[int, list[BidRow]] = {}
    for bid in bids:
        grouped.setdefault(bid.lot_id, []).append(bid)
    return grouped


def _bid_facts(tender: Tender) -> list[BidFacts]:
    rows = db.session.execute(
        select(
            Bid.id,
            Bid.lot_id,
            Bid.supplier_id,
            Organisation.legal_name,
            Organisation.is_social_enterprise,
            Bid.delivery_charge_pence,
            Bid.lead_time_days,
            Bid.answers,
            Bid.declined_at,
        )
        .join(Supplier, Supplier.id == Bid.supplier_id)
        .join(Organisation, Organisation.id == Supplier.organisation_id)
        .where(Bid.tender_id == tender.id)
        .order_by(Bid.lot_id, Bid.id)
    )
    return [
        BidFacts(bid_id, lot_id, supplier_id, Bidder(name, social), delivery, lead, answers, declined)
        for bid_id, lot_id, supplier_id, name, social, delivery, lead, answers, declined in rows
    ]


def compare(actor: User, tender: Tender) -> list[LotComparison]:
    """Supplier x lot after the opening. The ranking is the runner's; evaluators see costs, not each
    other's scores in the quality column. Each look is on the trail."""
    require_unsealed(actor, tender)
    record(tender, actor, "viewed bids", "the comparison of every bid, prices included")
    bids = _by_lot(_bid_facts(tender))
    tables, scores = _tier_tables(tender), _scores(tender)
    runner = can_run(actor, tender)
    weights = ranking.Weights(tender.price_weight, tender.quality_weight, tender.social_weight)
    result = []
    for lot in tender.lots:
        lot_bids = bids.get(lot.id, [])
        priced = [_priced(b, tables[b.id], scores) for b in lot_bids]
        ranked = {r.bid_id: r for r in ranking.rank(priced, lot.forecast_quantity, weights)} if runner else {}
        at = ranking.quantities(lot.forecast_quantity)
        rate = lot.vat_rate.percent
        rows = []
        for bid, bid_priced in zip(lot_bids, priced, strict=True):
            tiers, delivery = bid_priced.tiers, bid_priced.delivery_charge_pence
            low, mid, high = (ranking.cost_pence(tiers, delivery, q) for q in at)
            gross = (ranking.gross_pence(low, rate), ranking.gross_pence(mid, rate), ranking.gross_pence(high, rate))
            rows.append(Compared(bid, tiers, (low, mid, high), gross, ranked.get(bid_priced.bid_id)))
        rows.sort(key=lambda row: (row.ranked.rank if row.ranked else 0, row.net_pence[1], row.bid.id))
        result.append(LotComparison(lot, at, rows))
    return result


def ranking_of(tender: Tender) -> dict[int, list[ranking.Ranked]]:
    """Each lot's bids best first, declined bids left out: what the award follows."""
    bids = _by_lot(db.session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.declined_at.is_(None))).all())
    tables, scores = _tier_tables(tender), _scores(tender)
    weights = ranking.Weights(tender.price_weight, tender.quality_weight, tender.social_weight)
    return {
        lot.id: ranking.rank(
            [_priced(b, tables[b.id], scores) for b in bids.get(lot.id, [])], lot.forecast_quantity, weights
        )
        for lot in tender.lots
    }


# Mini-competitions among a framework's suppliers


@dataclass(frozen=True)
class MiniCompetitionDraft:
    """One member's call-off need put to the suppliers of a mini-competition framework."""

    framework_id: int
    lot_id: int
    member_id: int | None
    quantity: int
    category_id: int
    specification: str
    clarification_deadline: datetime
    submission_deadline: datetime
    standstill_days: int = 0
    price_weight: int = 100
    quality_weight: int = 0
    minimum_valid_bids: int = 1
    quality_questions: list[str] = field(default_factory=list)


def start_mini_competition(actor: User, draft: MiniCompetitionDraft) -> Tender:
    """A published tender among the framework's suppliers for one lot and one member's quantity, run by that
    member's people and its consortium's secretary; its award places the call-off (`award`)."""
    framework = frameworks.framework_for(actor, draft.framework_id)
    if framework.route is not Route.MINI_COMPETITION:
        raise Conflict("This framework's call-offs are placed directly at its rates, without a mini-competition.")
    if framework.status is not FrameworkStatus.LIVE or framework.ends_on < uk_today():
        raise Conflict("Only a live framework takes mini-competitions for its call-offs.")
    lot = next((lot for lot in framework.lots if lot.id == draft.lot_id), None)
    if lot is None:
        raise ValidationFailed.field("lot_id", "Choose one of the framework's lots.")
    if not 1 <= draft.quantity <= frameworks.MAX_QUANTITY:
        raise ValidationFailed.field("quantity", f"Call off 1 to {frameworks.MAX_QUANTITY:,} units.")
    member = frameworks.acting_member(actor, framework, draft.member_id)
    consortium = db.session.get_one(Consortium, member.consortium_id)
    tender = _new_tender(
        actor,
        TenderDraft(
            title=f"Mini-competition: {lot.name} for {member.name}"[:200],
            category_id=draft.category_id,
            consortium_id=consortium.id,
            specification=draft.specification,
            clarification_deadline=draft.clarification_deadline,
            submission_deadline=draft.submission_deadline,
            lots=[LotDraft(lot.name, lot.unit_singular, draft.quantity, lot.vat_rate.value)],
            price_weight=draft.price_weight,
            quality_weight=draft.quality_weight,
            minimum_valid_bids=draft.minimum_valid_bids,
            standstill_days=draft.standstill_days,
            supplier_ids=sorted(framework.supplier_ids),
            quality_questions=draft.quality_questions,
        ),
        consortium,
        framework_id=framework.id,
        framework_lot_id=lot.id,
        call_off_member_id=member.id,
        call_off_quantity=draft.quantity,
    )
    _move(tender, S.PUBLISHED, actor)
    outbox.record(PUBLISHED_KIND, tender.id, f"{PUBLISHED_KIND}:{tender.id}")
    return tender


def _place_call_off(actor: User, tender: Tender, bid: Bid) -> CallOff:
    """The mini-competition's call-off with its winner at the winning tiers; the framework's ceiling decides."""
    if tender.framework_id is None or tender.framework_lot_id is None or tender.call_off_quantity is None:
        raise ValueError("not a mini-competition")
    call_off = frameworks.place_call_off(
        actor,
        framework_id=tender.framework_id,
        lot_id=tender.framework_lot_id,
        member_id=tender.call_off_member_id,
        quantity=tender.call_off_quantity,
        supplier_id=bid.supplier_id,
        unit_prices=[(t.min_quantity, t.unit_price) for t in bid.tiers],
    )
    record(tender, actor, "call-off placed", f"{call_off.number} with {bid.supplier.name}")
    return call_off


# Award


def proposed_bids(tender: Tender) -> dict[int, Bid]:
    """The bid proposed (then awarded) for each lot."""
    return {b.lot_id: b for b in db.session.scalars(select(Bid).where(Bid.tender_id == tender.id, Bid.proposed))}


def propose_award(actor: User, tender: Tender) -> Tender:
    """Proposes the best-ranked bid of each lot: the ranking decides, nobody types it."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    TENDERS.check(tender, S.AWARD_PROPOSED)
    _propose_best(tender)
    _move(tender, S.AWARD_PROPOSED, actor)
    return tender


def _propose_best(tender: Tender) -> list[str]:
    """Marks each lot's best remaining bid proposed; the names of the lots left with none."""
    db.session.execute(update(Bid).where(Bid.tender_id == tender.id).values(proposed=False))
    empty = []
    ranked = ranking_of(tender)
    for lot in tender.lots:
        best = ranked[lot.id]
        if not best:
            empty.append(lot.name)
            continue
        winner = db.session.get_one(Bid, best[0].bid_id)
        winner.proposed = True
        record(tender, None, "proposed", f"{lot.name}: {winner.supplier.name}, ranked first")
    db.session.flush()
    return empty


def start_standstill(actor: User, tender: Tender) -> Tender:
    """The standstill: bidders may challenge or the winner decline before the award is made."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    at = utcnow()
    _move(tender, S.STANDSTILL, actor, at=at)
    tender.standstill_ends_at = at + timedelta(days=tender.standstill_days)
    return tender


def decline(actor: User, tender: Tender, lot_id: int, reason: str | None = None) -> Tender:
    """The proposed winner of a lot declines within the standstill: the next-ranked bid is proposed and a
    new standstill is due; with no bid left the tender is unsuccessful."""
    tender = lock(tender.id)
    lot = _lot(tender, lot_id)
    bid = proposed_bids(tender).get(lot.id)
    if bid is None or not (bid.supplier_id in actor.supplier_ids or can_run(actor, tender)):
        raise Forbidden("Only the proposed winner (or the tender's secretary) can decline the award.")
    if tender.status != S.STANDSTILL:
        raise Conflict("An award can be declined only during the standstill.")
    bid.declined_at, bid.proposed = utcnow(), False
    record(tender, actor, "declined", f"{bid.supplier.name} declined {lot.name}" + (f": {reason}" if reason else ""))
    db.session.flush()
    empty = _propose_best(tender)
    if empty:
        _move(tender, S.UNSUCCESSFUL, actor, f"No bid is left to award for {', '.join(empty)}.", by=Who.SYSTEM)
    else:
        _move(tender, S.AWARD_PROPOSED, actor, f"{bid.supplier.name} declined {lot.name}", by=Who.SYSTEM)
        tender.standstill_ends_at = None
    return tender


def _awardable(actor: User, tender: Tender) -> tuple[Tender, dict[int, Bid]]:
    """The tender locked, past its standstill, with each lot's proposed bid."""
    require_runner(actor, tender)
    tender = lock(tender.id)
    TENDERS.check(tender, S.AWARDED)
    if tender.standstill_ends_at is None or tender.standstill_ends_at > utcnow():
        raise Conflict("The standstill has not ended yet.")
    return tender, proposed_bids(tender)


def award(actor: User, tender: Tender) -> Tender:
    """After the standstill, each lot's proposed bid wins; a lot drawn from a pool gives the pool its offer
    and tiers (a draft pool opens with them, an open one continues with them); a mini-competition places its
    call-off with the winner at the winning prices, within the framework's ceiling."""
    tender, winners = _awardable(actor, tender)
    if tender.is_mini_competition:
        tender.call_off_id = _place_call_off(actor, tender, winners[tender.lots[0].id]).id
    for lot in tender.lots:
        bid = winners[lot.id]
        if lot.pool_id is not None:
            lot.awarded_offer_id = _award_to_pool(actor, tender, lot, bid).id
        record(tender, actor, "awarded", f"{lot.name}: {bid.supplier.name}")
    _move(tender, S.AWARDED, actor)
    return tender


@dataclass(frozen=True)
class FrameworkAward:
    """What an award to a framework adds to the winning bids: its name, term, ceiling, allowance, fee, route."""

    name: str
    starts_on: date
    ends_on: date
    ceiling_pence: int
    allowance_percent: Decimal
    fee_percent: Decimal
    route: Route


def award_to_framework(actor: User, tender: Tender, terms: FrameworkAward) -> Framework:
    """After the standstill, the lots not drawn from a pool become a live framework: each lot's winner is its
    supplier and the winning tiers its rate card (a pool's lot goes to its pool as in `award`)."""
    tender, winners = _awardable(actor, tender)
    if tender.is_mini_competition:
        raise Conflict("A mini-competition's award is a call-off under its framework, not a new framework.")
    lots = [lot for lot in tender.lots if lot.pool_id is None]
    if not lots:
        raise Conflict("Every lot of this tender goes to its pool: award it without a framework.")
    for lot in tender.lots:
        if lot.pool_id is not None:
            lot.awarded_offer_id = _award_to_pool(actor, tender, lot, winners[lot.id]).id
    framework = frameworks.create_framework(
        actor,
        name=terms.name,
        consortium_ids=[tender.consortium_id] if tender.consortium_id is not None else [],
        supplier_ids=sorted({winners[lot.id].supplier_id for lot in lots}),
        lots=[_lot_terms(lot, winners[lot.id]) for lot in lots],
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        ceiling_pence=terms.ceiling_pence,
        allowance_percent=terms.allowance_percent,
        fee_percent=terms.fee_percent,
        route=terms.route,
        source_tender_id=tender.id,
    )
    frameworks.make_live(actor, framework.id)
    for lot in tender.lots:
        record(tender, actor, "awarded", f"{lot.name}: {winners[lot.id].supplier.name}")
    record(tender, actor, "framework made", f"{framework.reference}: {framework.name}")
    _move(tender, S.AWARDED, actor)
    return framework


def _lot_terms(lot: TenderLot, bid: Bid) -> LotTerms:
    singular, plural = default_units(lot.unit)
    tiers = [(t.min_quantity, t.unit_price) for t in bid.tiers]
    return LotTerms(lot.name, singular, plural, tiers, bid.supplier_id, lot.vat_rate)


def framework_award_estimate(tender: Tender) -> int:
    """A ceiling to start from: the proposed bids' cost at 25% above each lot's forecast, delivery included."""
    winners = proposed_bids(tender)
    total = 0
    for lot in tender.lots:
        bid = winners.get(lot.id)
        if bid is not None and lot.pool_id is None:
            tiers = [ranking.BidTier(t.min_quantity, t.unit_price) for t in bid.tiers]
            total += ranking.cost_pence(tiers, bid.delivery_charge_pence, ranking.quantities(lot.forecast_quantity)[2])
    return total


def framework_of(tender: Tender) -> Framework | None:
    """The framework the tender's award made."""
    return db.session.scalar(select(Framework).where(Framework.source_tender_id == tender.id))


def _award_to_pool(actor: User, tender: Tender, lot: TenderLot, bid: Bid) -> Offer:
    """The winner's offer at the winning tiers, made on its behalf, becomes the pool's."""
    if lot.pool_id is None:
        raise ValueError("the lot has no pool")
    pool = POOLS.lock(lot.pool_id)
    tiers = [pricing.Tier(t.min_quantity, t.unit_price) for t in bid.tiers]
    if pool.status == PoolStatus.OPEN:
        risen = pricing.rises(pool_tiers(pool), tiers, pool_list_price(pool))
        if risen or bid.delivery_charge_pence > pool.delivery_charge_pence:
            raise Conflict(
                f"The winning prices would raise the open pool's prices members pledged against ({lot.name}); "
                "a pool's prices may only fall. Cancel the pool and open a new one at the winning tiers."
            )
    elif pool.status != PoolStatus.DRAFT:
        raise Conflict(f"The pool for {lot.name} is {pool.status.value}: it can no longer take the award.")
    before = pool_tiers(pool)
    offer = Offer(
        supplier_id=bid.supplier_id,
        category_id=tender.category_id,
        name=lot.name,
        description=f"Awarded by tender {tender.id}: {tender.title}",
        unit=lot.unit,
        pack_size=pool.offer.pack_size,
        vat_rate=lot.vat_rate,
        list_price=tiers[0].unit_price,
        minimum_order_quantity=1,
        lead_time_days=bid.lead_time_days,
        active=True,
        tiers=[PriceTier(min_quantity=t.min_quantity, unit_price=t.unit_price) for t in tiers],
    )
    db.session.add(offer)
    db.session.flush()
    pool.offer = offer
    pool.delivery_charge_pence = bid.delivery_charge_pence
    if pool.status == PoolStatus.DRAFT:
        db.session.flush()
        orders_services.open_pool(actor, pool)
    else:
        hold_prices(pool)
        db.session.add(
            PoolPriceChange(
                pool_id=pool.id, changed_by_id=actor.id, tiers_before=tier_rows(before), tiers_after=tier_rows(tiers)
            )
        )
    db.session.flush()
    return offer


# The trail


def trail(actor: User, tender: Tender) -> Select[TenderRecord]:
    require_runner(actor, tender)
    return select(TenderRecord).where(TenderRecord.tender_id == tender.id).order_by(TenderRecord.at, TenderRecord.id)


def history(tender: Tender) -> list[StatusChange]:
    return TENDERS.history(tender.id)
