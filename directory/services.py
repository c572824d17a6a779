"""The directory's operations: the skills register and its gaps, verification, the directory search, enquiries
and the spend with social enterprises.

Every function takes the acting user, checks what they may do (another organisation's object is a 404,
so its existence does not leak), changes models and flushes; the request commits.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum
from typing import Any

from flask import abort
from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from billing.models import Invoice
from catalogue.models import Offer
from directory.levels import Coverage, Held, SkillLevel, Wanted, coverage, share_percent
from directory.models import (
    ENQUIRY_LIFECYCLE,
    MAX_SPARE_HOURS,
    Enquiry,
    EnquiryStatus,
    Outcome,
    Skill,
    SkillCategory,
    Verification,
    is_party,
)
from frameworks.models import CallOff
from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, ValidationFailed
from kernel.extensions import db
from kernel.paging import ListPage
from library import documents
from library.storage import storage
from organisations import outbox
from organisations.access import can_act_for_consortium, can_act_for_member
from organisations.models import Consortium, Member, Network, Organisation, Supplier, User
from pools.services import take_writer_lock
from reports.facts import invoice_facts
from reports.savings import Scope
from trading.models import Listing, ListingKind, ListingStatus, TradeInvoice

NAME_MAX, NOTE_MAX, SEARCH_MAX, SUBJECT_MAX, BODY_MAX, EVIDENCE_MAX = 100, 300, 100, 200, 4000, 4000
EVIDENCE_BYTES = 5 * 1024 * 1024
VERIFICATION_YEARS_MAX = 3
REMIND_DAYS = 30  # secretaries hear of a verification this many days before it expires
ENQUIRY_KIND, REPLY_KIND, EXPIRING_KIND = "enquiry_received", "enquiry_replied", "verification_expiring"


def _text(value: str | None, name: str, limit: int, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed.field(name, message)
    if len(value) > limit:
        raise ValidationFailed.field(name, f"Keep it under {limit:,} characters.")
    return value


# Skill categories: the maintained list


def categories_query(active_only: bool = True) -> Select:
    query = select(SkillCategory).order_by(SkillCategory.name)
    return query.where(SkillCategory.active) if active_only else query


def categories(active_only: bool = True) -> list[SkillCategory]:
    return list(db.session.scalars(categories_query(active_only)))


def add_category(actor: User, name: str, wanted_level: SkillLevel) -> SkillCategory:
    if not actor.is_admin:
        raise Forbidden("Only an admin keeps the list of skill categories.")
    name = _text(name, "name", 80, "Name the category.")
    if db.session.scalar(select(SkillCategory.id).where(func.lower(SkillCategory.name) == name.lower())):
        raise ValidationFailed.field("name", "There is a category of that name already.")
    category = SkillCategory(name=name, wanted_level=wanted_level)
    db.session.add(category)
    db.session.flush()
    return category


# The skills register


def can_read_skills(user: User, member: Member) -> bool:
    return can_act_for_member(user, member) or member.consortium_id in user.secretary_consortium_ids


def member_for_skills(user: User, member_id: int) -> Member:
    """The member whose register the user may read: its people, its consortium's secretary, admins; else 404."""
    member = db.session.get(Member, member_id)
    if member is None or not can_read_skills(user, member):
        abort(404)
    return member


def skills_query(member_id: int) -> Select:
    return (
        select(Skill)
        .join(SkillCategory, SkillCategory.id == Skill.category_id)
        .where(Skill.member_id == member_id)
        .order_by(SkillCategory.name, Skill.person_name, Skill.id)
    )


def add_skill(
    actor: User,
    member: Member,
    person_name: str,
    category_id: int | None,
    level: SkillLevel,
    spare_hours: int,
    note: str | None,
) -> Skill:
    """Records one person's skill in one category; a member's own people (or an admin) record them."""
    require_member_people(actor, member)
    errors: dict[str, list[str]] = {}
    name = (person_name or "").strip()
    if not name:
        errors["person_name"] = ["Name the person."]
    elif len(name) > NAME_MAX:
        errors["person_name"] = [f"Keep the name under {NAME_MAX} characters."]
    category = db.session.get(SkillCategory, category_id) if category_id is not None else None
    if category is None or not category.active:
        errors["category_id"] = ["Choose a category from the list."]
    if not 0 <= spare_hours <= MAX_SPARE_HOURS:
        errors["spare_hours_per_month"] = [f"Give the spare hours a month, from 0 to {MAX_SPARE_HOURS}."]
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        errors["note"] = [f"Keep the note under {NOTE_MAX} characters."]
    if not errors and db.session.scalar(
        select(Skill.id).where(
            Skill.member_id == member.id, Skill.person_name == name, Skill.category_id == category_id
        )
    ):
        errors["category_id"] = [f"{name} already has a skill in that category: remove it to record it again."]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    skill = Skill(
        member_id=member.id,
        person_name=name,
        category_id=category_id,
        level=level,
        spare_hours_per_month=spare_hours,
        note=note,
        recorded_by_id=actor.id,
    )
    db.session.add(skill)
    db.session.flush()
    return skill


def require_member_people(actor: User, member: Member) -> None:
    """Only the member's own people (or an admin) change its register or answer its enquiries."""
    if not can_act_for_member(actor, member):
        raise Forbidden(f"Only {member.name}'s own people can do that.")


def skill_for(user: User, skill_id: int) -> Skill:
    skill = db.session.get(Skill, skill_id)
    if skill is None or not can_read_skills(user, skill.member):
        abort(404)
    return skill


def remove_skill(actor: User, skill: Skill) -> None:
    require_member_people(actor, skill.member)
    db.session.delete(skill)
    db.session.flush()


def _skills_within(consortium_id: int | None, network_id: int | None = None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Member.active.is_(True)]
    if consortium_id is not None:
        where.append(Network.consortium_id == consortium_id)
    if network_id is not None:
        where.append(Network.id == network_id)
    return where


def network_in(consortium_id: int, network_id: int | None) -> Network | None:
    """The consortium's network of that id; None when absent or another consortium's (so the whole consortium)."""
    network = db.session.get(Network, network_id) if network_id is not None else None
    return network if network is not None and network.consortium_id == consortium_id else None


def skills_coverage(consortium_id: int | None, network_id: int | None = None) -> list[Coverage]:
    """Each active category across a consortium's (or one of its networks') members, None: the platform's, with
    its gap: two queries."""
    return _coverage(*_skills_within(consortium_id, network_id))


def member_coverage(member_id: int) -> list[Coverage]:
    """One member's categories: what its profile shows of the staff time it can spare (no names)."""
    return _coverage(Member.id == member_id)


def _coverage(*where: ColumnElement[bool]) -> list[Coverage]:
    wanted = [Wanted(c.id, c.name, c.wanted_level) for c in categories()]
    held = [
        Held(category_id, level, hours)
        for category_id, level, hours in db.session.execute(
            select(Skill.category_id, Skill.level, Skill.spare_hours_per_month)
            .join(Member, Member.id == Skill.member_id)
            .join(Network, Network.id == Member.network_id)
            .where(*where)
        )
    ]
    return coverage(wanted, held)


def skills_rows_query(consortium_id: int | None, network_id: int | None = None) -> Select:
    """Every skill of the scope with its member (and the member's organisation, network and consortium, loaded
    in the same query), for the overview's pages and the CSV."""
    return (
        select(Skill)
        .options(joinedload(Skill.member))
        .join(SkillCategory, SkillCategory.id == Skill.category_id)
        .join(Member, Member.id == Skill.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .join(Network, Network.id == Member.network_id)
        .where(*_skills_within(consortium_id, network_id))
        .order_by(SkillCategory.name, Organisation.legal_name, Skill.person_name, Skill.id)
    )


# Verification


def can_verify(user: User, member: Member) -> bool:
    return can_act_for_consortium(user, member.consortium_id)


def member_to_verify(user: User, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not can_verify(user, member):
        abort(404)
    return member


@dataclass(frozen=True)
class Check:
    asset_lock: bool
    mission: bool
    reinvestment: bool
    evidence_note: str
    expires_on: date | None
    document: bytes | None = None
    document_name: str | None = None


def verify(actor: User, member: Member, check: Check) -> Verification:
    """Records the secretary's check; it shows as the mark while every criterion is met and it has not expired."""
    if not can_verify(actor, member):
        raise Forbidden("Only the member's consortium's secretary verifies it.")
    today = uk_today()
    errors: dict[str, list[str]] = {}
    note = (check.evidence_note or "").strip()
    if not note:
        errors["evidence_note"] = ["Say what you checked: the articles' asset lock, the mission, the accounts."]
    elif len(note) > EVIDENCE_MAX:
        errors["evidence_note"] = [f"Keep the note under {EVIDENCE_MAX:,} characters."]
    if check.expires_on is None or check.expires_on <= today:
        errors["expires_on"] = ["The expiry date must be after today."]
    elif check.expires_on > today.replace(year=today.year + VERIFICATION_YEARS_MAX, day=min(today.day, 28)):
        errors["expires_on"] = [f"Check again within {VERIFICATION_YEARS_MAX} years: choose an earlier expiry."]
    checked = None
    if check.document is not None:
        try:
            checked = documents.check(check.document, EVIDENCE_BYTES)
        except documents.NotAPolicyDocument as refused:
            errors["document"] = [str(refused)]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    verification = Verification(
        member_id=member.id,
        asset_lock=check.asset_lock,
        mission=check.mission,
        reinvestment=check.reinvestment,
        evidence_note=note,
        checked_on=today,
        expires_on=check.expires_on,
        checked_by_id=actor.id,
    )
    if check.document is not None and checked is not None:
        verification.document_key = storage().save(check.document, checked.extension)
        verification.document_name = _document_name(check.document_name, checked.extension)
        verification.document_type = checked.media_type
        verification.document_size = checked.size
    db.session.add(verification)
    db.session.flush()
    return verification


def _document_name(name: str | None, extension: str) -> str:
    """The uploaded file's name without folders or control characters; the checked type gives the extension."""
    base = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = "".join(c for c in base.rsplit(".", 1)[0] if c.isprintable()).strip()[:150]
    return f"{stem or 'evidence'}.{extension}"


def _latest_ids() -> Select:
    return select(func.max(Verification.id)).group_by(Verification.member_id)


def latest_verifications(member_ids: list[int]) -> dict[int, Verification]:
    """Each member's latest check, in one query."""
    if not member_ids:
        return {}
    rows = db.session.scalars(
        select(Verification).where(Verification.member_id.in_(member_ids), Verification.id.in_(_latest_ids()))
    )
    return {v.member_id: v for v in rows}


def verifications_query(member: Member) -> Select:
    """The member's checks, latest first."""
    return select(Verification).where(Verification.member_id == member.id).order_by(Verification.id.desc())


def verification_for(user: User, verification_id: int) -> Verification:
    verification = db.session.get(Verification, verification_id)
    if verification is None or not can_verify(user, verification.member):
        abort(404)
    return verification


def _verified_now(today: date) -> ColumnElement[bool]:
    """SQL: the member's latest check met every criterion and is in date."""
    return exists().where(
        Verification.member_id == Member.id,
        Verification.id.in_(_latest_ids()),
        Verification.asset_lock,
        Verification.mission,
        Verification.reinvestment,
        Verification.checked_on <= today,
        Verification.expires_on >= today,
    )


def remind_expiring(days: int = REMIND_DAYS) -> int:
    """Writes one outbox event per verification that is current and expires within `days`: its secretaries hear
    of it once, however often this runs. Answers how many events were new."""
    today = uk_today()
    due = db.session.scalars(
        select(Verification).where(
            Verification.id.in_(_latest_ids()),
            Verification.asset_lock,
            Verification.mission,
            Verification.reinvestment,
            Verification.expires_on >= today,
            Verification.expires_on <= today + timedelta(days=days),
        )
    ).all()
    return sum(outbox.record(EXPIRING_KIND, v.id, f"{EXPIRING_KIND}:{v.id}") for v in due)


# The directory


@dataclass(frozen=True)
class Search:
    q: str = ""
    category_id: int | None = None
    place: str = ""
    verified_only: bool = False
    within: str = "consortium"  # "network", "consortium" or "all"
    listing_kind: ListingKind | None = None  # members offering this kind of spare capacity to their peers


def member_consortium_ids(user: User) -> set[int]:
    if not user.member_ids:
        return set()
    return set(db.session.scalars(select(Network.consortium_id).join(Member).where(Member.id.in_(user.member_ids))))


def member_network_ids(user: User) -> set[int]:
    if not user.member_ids:
        return set()
    return set(db.session.scalars(select(Member.network_id).where(Member.id.in_(user.member_ids))))


def sees_all(user: User) -> bool:
    """Admins see the national directory; so do people who act in no consortium (a supplier looking to buy
    social), for whom a consortium's directory would be empty."""
    return user.is_admin or not (user.member_ids or user.secretary_consortium_ids)


def withins(user: User) -> list[str]:
    """The reaches of the directory the user may choose, the first the default."""
    if sees_all(user):
        return ["all"]
    return ["consortium", "network"] if user.member_ids else ["consortium"]


def _like(words: str) -> str:
    return "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _offered(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """SQL: the member, as a supplier too, has an active offer meeting `where`."""
    return exists().where(
        Supplier.organisation_id == Member.organisation_id,
        Supplier.active,
        Offer.supplier_id == Supplier.id,
        Offer.active,
        *where,
    )


def _listed(*where: ColumnElement[bool]) -> ColumnElement[bool]:
    """SQL: the member lists spare capacity for its peers (a listing members can book now) meeting `where`."""
    return exists().where(Listing.member_id == Member.id, Listing.status == ListingStatus.LISTED, *where)


def directory_query(user: User, search: Search) -> Select:
    """The social enterprises the user may find, narrowed by the search, by name."""
    within = search.within if search.within in withins(user) else withins(user)[0]
    query = (
        select(Member)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .join(Network, Network.id == Member.network_id)
        .where(Member.active, Organisation.is_social_enterprise)
    )
    if within == "network":
        query = query.where(Member.network_id.in_(member_network_ids(user) or {-1}))
    elif within == "consortium":
        consortia = member_consortium_ids(user) | user.secretary_consortium_ids
        query = query.where(Network.consortium_id.in_(consortia or {-1}))
    words = search.q.strip()[:SEARCH_MAX]
    if words:
        pattern = _like(words)
        query = query.where(
            or_(
                Organisation.legal_name.ilike(pattern, escape="\\"),
                exists().where(
                    Supplier.organisation_id == Member.organisation_id,
                    Supplier.description.ilike(pattern, escape="\\"),
                ),
                _offered(or_(Offer.name.ilike(pattern, escape="\\"), Offer.description.ilike(pattern, escape="\\"))),
                _listed(
                    or_(
                        Listing.title.ilike(pattern, escape="\\"),
                        Listing.skill.ilike(pattern, escape="\\"),
                        Listing.description.ilike(pattern, escape="\\"),
                    )
                ),
            )
        )
    if search.category_id is not None:
        query = query.where(_offered(Offer.category_id == search.category_id))
    if search.listing_kind is not None:
        query = query.where(_listed(Listing.kind == search.listing_kind))
    place = search.place.strip()[:SEARCH_MAX]
    if place:
        squeezed = place.replace(" ", "").upper()
        query = query.where(
            or_(
                Organisation.city.ilike(_like(place), escape="\\"),
                func.upper(func.replace(Organisation.postcode, " ", "")).startswith(squeezed, autoescape=True),
            )
        )
    if search.verified_only:
        query = query.where(_verified_now(uk_today()))
    return query.order_by(Organisation.legal_name, Member.id)


def offers_of(member_ids: list[int]) -> dict[int, list[Offer]]:
    """The active offers each member sells as a supplier, in one query."""
    if not member_ids:
        return {}
    found: dict[int, list[Offer]] = {}
    rows = db.session.execute(
        select(Member.id, Offer)
        .join(Supplier, Supplier.organisation_id == Member.organisation_id)
        .join(Offer, Offer.supplier_id == Supplier.id)
        .where(Member.id.in_(member_ids), Supplier.active, Offer.active)
        .order_by(Offer.name)
    )
    for member_id, offer in rows:
        found.setdefault(member_id, []).append(offer)
    return found


def listings_of(member_ids: list[int]) -> dict[int, list[Listing]]:
    """The spare capacity each member lists for its peers now (rooms, equipment, staff time...), in one query."""
    if not member_ids:
        return {}
    found: dict[int, list[Listing]] = {}
    for listing in db.session.scalars(
        select(Listing)
        .where(Listing.member_id.in_(member_ids), Listing.status == ListingStatus.LISTED)
        .order_by(Listing.title, Listing.id)
    ):
        found.setdefault(listing.member_id, []).append(listing)
    return found


def listed_member(member_id: int) -> Member:
    """A member the directory lists (an active social enterprise), for anyone with an account; else 404."""
    member = db.session.get(Member, member_id)
    if member is None or not member.active or not member.organisation.is_social_enterprise:
        abort(404)
    return member


def supplier_of(member: Member) -> Supplier | None:
    return db.session.scalar(select(Supplier).where(Supplier.organisation_id == member.organisation_id))


# Enquiries


def send_enquiry(actor: User, member: Member, subject: str, body: str) -> Enquiry:
    """Anyone with an account asks a listed member; its people hear of it through the outbox."""
    if member.id in actor.member_ids:
        raise Conflict("That is your own organisation: enquiries go to other members.")
    errors: dict[str, list[str]] = {}
    for name, value, limit, message in (
        ("subject", subject, SUBJECT_MAX, "Give the enquiry a subject."),
        ("body", body, BODY_MAX, "Write what you would like to ask."),
    ):
        try:
            _text(value, name, limit, message)
        except ValidationFailed as error:
            errors |= error.fields
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    enquiry = Enquiry(member_id=member.id, sender_id=actor.id, subject=subject.strip(), body=body.strip())
    db.session.add(enquiry)
    db.session.flush()
    outbox.record(ENQUIRY_KIND, enquiry.id, f"{ENQUIRY_KIND}:{enquiry.id}")
    return enquiry


def enquiries_query(user: User, box: str) -> Select:
    """`received` by the user's members, or `sent` by the user; newest first. Admins receive every member's."""
    query = select(Enquiry)
    if box == "sent":
        query = query.where(Enquiry.sender_id == user.id)
    elif not user.is_admin:
        query = query.where(Enquiry.member_id.in_(user.member_ids or {-1}))
    return query.order_by(Enquiry.created_at.desc(), Enquiry.id.desc())


def enquiry_for(user: User, enquiry_id: int) -> Enquiry:
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None or not is_party(user, enquiry):
        abort(404)
    return enquiry


def _locked(enquiry: Enquiry) -> Enquiry:
    """The enquiry as it now is, its row locked: two people replying or closing it at once take turns."""
    take_writer_lock(Enquiry.__table__, enquiry.id)
    return db.session.execute(
        select(Enquiry).where(Enquiry.id == enquiry.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def reply(actor: User, enquiry: Enquiry, text: str) -> Enquiry:
    """The member's people answer; the sender hears of it."""
    require_member_people(actor, enquiry.member)
    answer = _text(text, "reply", BODY_MAX, "Write your reply.")
    enquiry = _locked(enquiry)
    ENQUIRY_LIFECYCLE.check(enquiry, EnquiryStatus.REPLIED)
    with db.session.no_autoflush:  # the reply and its state are written together: the table checks they agree
        enquiry.reply = answer
        enquiry.replied_by_id = actor.id
        ENQUIRY_LIFECYCLE.move(enquiry, EnquiryStatus.REPLIED, actor)
    outbox.record(REPLY_KIND, enquiry.id, f"{REPLY_KIND}:{enquiry.id}")
    return enquiry


def close(actor: User, enquiry: Enquiry, outcome: Outcome) -> Enquiry:
    """Either side closes it with its outcome; one that was never answered can only have had no reply."""
    enquiry = _locked(enquiry)
    ENQUIRY_LIFECYCLE.check(enquiry, EnquiryStatus.CLOSED)
    if enquiry.status is EnquiryStatus.OPEN and outcome is not Outcome.NO_REPLY:
        raise ValidationFailed.field("outcome", "An enquiry nobody replied to closes with the outcome “no reply”.")
    with db.session.no_autoflush:  # the outcome and the closed state are written together, as the table checks
        enquiry.outcome = outcome
        ENQUIRY_LIFECYCLE.move(enquiry, EnquiryStatus.CLOSED, actor, reason=outcome.value)
    return enquiry


# Spend with social enterprises

SPEND_PER_PAGE = 50


@dataclass(frozen=True)
class SpendRow:
    key: str
    label: str
    spend_pence: int
    social_pence: int

    @property
    def share_percent(self) -> int | None:
        return share_percent(self.social_pence, self.spend_pence)


@dataclass(frozen=True)
class SpendReport:
    """The scope's totals and channels, with one page of its rows and one of its suppliers (the page, the API)."""

    scope: Scope
    totals: SpendRow
    channels: list[SpendRow]  # how the spend was made: pools, framework call-offs, trading
    rows: ListPage[SpendRow]  # the scope's consortia (platform) or members, by name
    suppliers: ListPage[SpendRow]  # social enterprises the scope bought from, most first


CHANNELS = {
    "pools": "Pools and shared services (invoiced by the consortium)",
    "frameworks": "Framework call-offs (invoiced by the consortium)",
    "trading": "Trading between members (invoiced by the selling member)",
}


def _spend_facts():
    """One row per invoice with its channel, who bought (member, network, consortium), the seller's organisation,
    whether a social enterprise, and its net less credit notes: the reports' invoice facts (pools and shared
    services), the invoices of framework call-offs, and members' trade invoices to each other (the seller a
    member, so the seller is named by organisation, which suppliers and members both have)."""
    pools = invoice_facts()
    call_offs = (
        select(
            literal("frameworks").label("channel"),
            Invoice.member_id.label("member_id"),
            Member.network_id.label("network_id"),
            Invoice.consortium_id.label("consortium_id"),
            Organisation.id.label("seller_organisation_id"),
            Organisation.is_social_enterprise.label("buy_social"),
            (Invoice.net_pence - Invoice.credited_net_pence).label("spend_pence"),
        )
        .select_from(CallOff)
        .join(Invoice, Invoice.id == CallOff.invoice_id)
        .join(Member, Member.id == Invoice.member_id)
        .join(Supplier, Supplier.id == CallOff.supplier_id)
        .join(Organisation, Organisation.id == Supplier.organisation_id)
    )
    from_pools = (
        select(
            literal("pools").label("channel"),
            pools.c.member_id,
            pools.c.network_id,
            pools.c.consortium_id,
            Supplier.organisation_id.label("seller_organisation_id"),
            pools.c.buy_social,
            pools.c.spend_pence,
        )
        .select_from(pools)
        .join(Supplier, Supplier.id == pools.c.supplier_id)
    )
    buyer, seller = aliased(Member), aliased(Member)
    trades = (
        select(
            literal("trading").label("channel"),
            TradeInvoice.buyer_id.label("member_id"),
            buyer.network_id.label("network_id"),
            TradeInvoice.consortium_id.label("consortium_id"),
            seller.organisation_id.label("seller_organisation_id"),
            Organisation.is_social_enterprise.label("buy_social"),
            TradeInvoice.net_pence.label("spend_pence"),
        )
        .select_from(TradeInvoice)
        .join(buyer, buyer.id == TradeInvoice.buyer_id)
        .join(seller, seller.id == TradeInvoice.seller_id)
        .join(Organisation, Organisation.id == seller.organisation_id)
    )
    return union_all(from_pools, call_offs, trades).subquery("spend")


def _within(facts, scope: Scope) -> list[ColumnElement[bool]]:
    column = {"member": facts.c.member_id, "network": facts.c.network_id, "consortium": facts.c.consortium_id}
    return [] if scope.kind == "platform" else [column[scope.kind] == scope.id]


def _spend_in(scope: Scope) -> CTE:
    """The scope's invoices of every channel, each with the consortium (platform) or member whose row it is in."""
    facts = _spend_facts()
    row_id = (facts.c.consortium_id if scope.kind == "platform" else facts.c.member_id).label("row_id")
    return (
        select(row_id, facts.c.channel, facts.c.seller_organisation_id, facts.c.buy_social, facts.c.spend_pence)
        .where(*_within(facts, scope))
        .cte("spend_in_scope")
    )


def _social(spend: CTE) -> ColumnElement[int]:
    return case((spend.c.buy_social.is_(True), spend.c.spend_pence), else_=0)


def _by_row(spend: CTE) -> CTE:
    """Each consortium's (platform) or member's spend and social spend, summed before it is named: names are
    joined to one row per consortium or member, not to each invoice."""
    return (
        select(
            spend.c.row_id.label("key"),
            func.sum(spend.c.spend_pence).label("spend_pence"),
            func.sum(_social(spend)).label("social_pence"),
        )
        .group_by(spend.c.row_id)
        .cte("by_row")
    )


def _by_seller(spend: CTE) -> CTE:
    """What the scope spent with each social enterprise, through any channel (all of it social)."""
    return (
        select(spend.c.seller_organisation_id.label("key"), func.sum(spend.c.spend_pence).label("spend_pence"))
        .where(spend.c.buy_social.is_(True))
        .group_by(spend.c.seller_organisation_id)
        .cte("by_seller")
    )


def _by_code_point(name: SQLColumnExpression[str]) -> SQLColumnExpression[str]:
    """`name` in the order Python sorts strings (by code point), the order the suppliers and the chart have
    always had whatever the database's collation: PostgreSQL's "C" compares UTF-8 bytes, which is code point
    order; SQLite compares bytes already."""
    return name.collate("C") if db.session.get_bind().dialect.name == "postgresql" else name


def _rows_named(scope: Scope, by_row: CTE) -> Select:
    """The consortia (platform) or members with their names: key, name, spend and social spend."""
    if scope.kind == "platform":
        query = select(by_row.c.key, Consortium.name.label("name")).join(Consortium, Consortium.id == by_row.c.key)
    else:
        query = (
            select(by_row.c.key, Organisation.legal_name.label("name"))
            .join(Member, Member.id == by_row.c.key)
            .join(Organisation, Organisation.id == Member.organisation_id)
        )
    return query.add_columns(by_row.c.spend_pence, by_row.c.social_pence)


def _suppliers_named(by_seller: CTE) -> Select:
    """The social enterprises with their names: key, name, spend and social spend (the same)."""
    seller = aliased(Organisation)
    return select(
        by_seller.c.key,
        seller.legal_name.label("name"),
        by_seller.c.spend_pence,
        by_seller.c.spend_pence.label("social_pence"),
    ).join(seller, seller.id == by_seller.c.key)


# The lists' orders, over the columns of a list (key, name, spend_pence, social_pence).
Order = Callable[[Any], list[Any]]


def _by_name(c) -> list[Any]:
    """The table's and the CSV's rows: by name (the database's collation), then id."""
    return [c.name, c.key]


def _most_social_first(c) -> list[Any]:
    """The chart's rows."""
    return [c.social_pence.desc(), _by_code_point(c.name), c.key]


def _most_spend_first(c) -> list[Any]:
    """The social enterprises."""
    return [c.spend_pence.desc(), _by_code_point(c.name), c.key]


class Part(IntEnum):
    """The parts of the report's statement, in the order it answers them (the CSV's order)."""

    TOTAL = 0  # the scope's spend; its count is how many consortia or members it lists
    CHANNEL = 1  # each of CHANNELS in turn, spent through or not
    SUPPLIERS = 2  # the spend with social enterprises; its count is how many it lists
    ROW = 3  # consortia (platform) or members, by name
    SUPPLIER = 4  # social enterprises, most spend first


SUMMARY_LABELS = {Part.TOTAL: "Total", Part.SUPPLIERS: "With social enterprises"}


@dataclass(frozen=True)
class Cut:
    """Which of a list's rows to read: `limit` of them (None: every one) after the first `offset`."""

    limit: int | None = None
    offset: int = 0

    @classmethod
    def page(cls, number: int, per_page: int) -> "Cut":
        return cls(per_page, (number - 1) * per_page)


@dataclass(frozen=True)
class SpendFigure:
    part: Part
    row: SpendRow
    count: int | None  # of a TOTAL or SUPPLIERS part: how many rows or social enterprises the report lists


def _summed(part: Part, position: int, key: str | None, spent, social, count) -> Select:
    return select(
        literal(int(part)).label("part"),
        literal(position).label("position"),
        literal(key, String).label("key"),
        null().label("name"),
        func.coalesce(func.sum(spent), 0).label("spend_pence"),
        func.coalesce(func.sum(social), 0).label("social_pence"),
        count.label("count"),
    )


def _cut_list(part: Part, named: Select, order: Order, cut: Cut) -> Select:
    """The cut of a list in its order (a top-N sort when it is a page), each row numbered in that order after the
    cut, so the statement keeps the order while sorting no more than the cut."""
    listed = named.subquery()
    found = select(listed).order_by(*order(listed.c)).limit(cut.limit).offset(cut.offset).subquery()
    return select(
        literal(int(part)).label("part"),
        func.row_number().over(order_by=order(found.c)).label("position"),
        cast(found.c.key, String).label("key"),
        found.c.name,
        found.c.spend_pence,
        found.c.social_pence,
        null().label("count"),
    )


def _figures(scope: Scope, rows: Cut, suppliers: Cut, *, streamed: bool = False) -> Iterator[SpendFigure]:
    """The whole report in one statement, so the invoices of every channel are read and planned once however
    many there are: the scope's invoices and their sums by row and by social enterprise (CTEs the database keeps
    for the statement); from those the totals, each channel, and the `rows` and `suppliers` cuts of the two lists;
    answered in Part order and read as they come."""
    spend = _spend_in(scope)
    by_row, by_seller = _by_row(spend), _by_seller(spend)
    channels = [
        _summed(
            Part.CHANNEL,
            n,
            key,
            case((spend.c.channel == key, spend.c.spend_pence), else_=0),
            case((spend.c.channel == key, _social(spend)), else_=0),
            null(),
        )
        for n, key in enumerate(CHANNELS)
    ]
    # The totals are the rows added up, as ever: every invoice is in one consortium's or member's row.
    total = _summed(Part.TOTAL, 0, None, by_row.c.spend_pence, by_row.c.social_pence, func.count())
    social = _summed(Part.SUPPLIERS, 0, None, by_seller.c.spend_pence, by_seller.c.spend_pence, func.count())
    statement = union_all(
        total.select_from(by_row),
        *channels,
        social.select_from(by_seller),
        _cut_list(Part.ROW, _rows_named(scope, by_row), _by_name, rows),
        _cut_list(Part.SUPPLIER, _suppliers_named(by_seller), _most_spend_first, suppliers),
    ).order_by(literal_column("part"), literal_column("position"))
    if streamed:
        statement = statement.execution_options(yield_per=1000)
    for number, _, key, name, spent, social, count in db.session.execute(statement):
        part = Part(number)
        if part is Part.CHANNEL:
            name = CHANNELS[key]
        elif part in (Part.TOTAL, Part.SUPPLIERS):
            key, name = part.name.lower(), SUMMARY_LABELS[part]
        yield SpendFigure(part, SpendRow(key, name, int(spent), int(social)), None if count is None else int(count))


def spend_report(
    scope: Scope, rows_page: int = 1, suppliers_page: int = 1, per_page: int = SPEND_PER_PAGE
) -> SpendReport:
    """What the scope's members spent (net of VAT and credit notes) and how much of it with social enterprises:
    the totals and channels, page `rows_page` of its consortia or members and page `suppliers_page` of the social
    enterprises it bought from; one statement however many invoices, each page cut by the database."""
    found: dict[Part, list[SpendFigure]] = {part: [] for part in Part}
    for figure in _figures(scope, Cut.page(rows_page, per_page), Cut.page(suppliers_page, per_page)):
        found[figure.part].append(figure)
    [total], [social] = found[Part.TOTAL], found[Part.SUPPLIERS]
    return SpendReport(
        scope,
        total.row,
        [figure.row for figure in found[Part.CHANNEL]],
        ListPage([figure.row for figure in found[Part.ROW]], rows_page, per_page, total.count or 0),
        ListPage([figure.row for figure in found[Part.SUPPLIER]], suppliers_page, per_page, social.count or 0),
    )


def spend_in_full(scope: Scope) -> Iterator[SpendFigure]:
    """The same figures with every row and social enterprise (the CSV), in Part order, fetched from the database a
    thousand at a time as they are iterated: no list of every row is built."""
    return _figures(scope, Cut(), Cut(), streamed=True)


def most_social_spend(scope: Scope, limit: int) -> list[SpendRow]:
    """The `limit` consortia or members that spent most with social enterprises, most first (the chart)."""
    listed = _rows_named(scope, _by_row(_spend_in(scope))).subquery()
    found = db.session.execute(select(listed).order_by(*_most_social_first(listed.c)).limit(limit))
    return [SpendRow(str(key), name, int(spent), int(social)) for key, name, spent, social in found]
