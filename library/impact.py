"""Impact: what the platform already knows about a member, network, consortium or the platform, beside the
measures members record themselves (per consortium's list), verified by its secretary.

Known: savings against list price and spend with buy-social suppliers (reports.savings, the same figures as
the savings report), pools and shared services joined, policies adopted. Rebates returned and inter-trading
between members are not there: the platform does not hold them yet (issues 17 and 18).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import selectinload

from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.paging import ListPage
from library.figures import MeasureTotal, RecordFigure, adoption_percent, measure_totals
from library.models import Adoption, ImpactMeasure, ImpactRecord, PolicyTemplate, PolicyVersion, VersionStatus
from organisations.access import can_act_for_member
from organisations.models import Consortium, Member, Network, Organisation, User
from pools.services import take_writer_lock
from reports.figures import Figures
from reports.savings import Scope, joined, members_of, savings_totals

NOT_YET = (
    "Rebates returned by suppliers and trading between members are not counted yet: the platform does not "
    "record them (issues 17 and 18)."
)
MAX_VALUE = 10_000_000


# The consortium's list of measures


def _runs(actor: User, consortium_id: int) -> bool:
    return actor.is_admin or consortium_id in actor.secretary_consortium_ids


def measures_query(consortium_id: int, active_only: bool = False) -> Select:
    query = select(ImpactMeasure).where(ImpactMeasure.consortium_id == consortium_id)
    if active_only:
        query = query.where(ImpactMeasure.active)
    return query.order_by(ImpactMeasure.name, ImpactMeasure.id)


def measures(consortium_id: int, active_only: bool = False) -> list[ImpactMeasure]:
    return list(db.session.scalars(measures_query(consortium_id, active_only)))


# A consortium's own list of what its members count (jobs, volunteers...): a short list every impact page shows
# whole, so it is bounded like the catalogue's categories, not paged.
MAX_MEASURES = 20


def _checked_measure(consortium_id: int, name: str, unit: str, measure_id: int | None) -> tuple[str, str]:
    """The measure's name and unit, checked; takes the consortium's row lock first, so two secretaries adding the
    same name at once get one measure and a 422, not a duplicate row's 500."""
    take_writer_lock(Consortium.__table__, consortium_id)
    db.session.execute(select(Consortium.id).where(Consortium.id == consortium_id).with_for_update(key_share=True))
    name, unit = (name or "").strip(), (unit or "").strip()
    errors = {}
    if not name or len(name) > 100:
        errors["name"] = ["Name the measure in at most 100 characters."]
    if not unit or len(unit) > 40:
        errors["unit"] = ["Give the unit counted in at most 40 characters."]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    same = select(ImpactMeasure.id).where(ImpactMeasure.consortium_id == consortium_id, ImpactMeasure.name == name)
    if measure_id is not None:
        same = same.where(ImpactMeasure.id != measure_id)
    if db.session.scalar(same):
        raise ValidationFailed.field("name", f"The consortium already counts “{name}”.")
    return name, unit


def add_measure(actor: User, consortium: Consortium, name: str, unit: str, description: str | None) -> ImpactMeasure:
    if not _runs(actor, consortium.id):
        raise Forbidden("Only the consortium's secretary keeps its list of measures.")
    name, unit = _checked_measure(consortium.id, name, unit, None)
    kept = db.session.scalar(select(func.count()).where(ImpactMeasure.consortium_id == consortium.id)) or 0
    if kept >= MAX_MEASURES:
        raise Conflict(
            f"A consortium counts at most {MAX_MEASURES} measures, and {consortium.name} has them all: "
            "rename one it no longer counts."
        )
    measure = ImpactMeasure(
        consortium_id=consortium.id, name=name, unit=unit, description=(description or "").strip() or None
    )
    db.session.add(measure)
    db.session.flush()
    return measure


def update_measure(
    actor: User, measure: ImpactMeasure, name: str, unit: str, description: str | None, active: bool | None = None
) -> ImpactMeasure:
    """Renames or rewords a measure; the figures recorded for it stay with it."""
    if not _runs(actor, measure.consortium_id):
        raise Forbidden("Only the consortium's secretary keeps its list of measures.")
    measure.name, measure.unit = _checked_measure(measure.consortium_id, name, unit, measure.id)
    measure.description = (description or "").strip() or None
    if active is not None:
        measure.active = active
    db.session.flush()
    return measure


def measure_for(actor: User, measure_id: int) -> ImpactMeasure:
    measure = db.session.get(ImpactMeasure, measure_id)
    if measure is None or not _runs(actor, measure.consortium_id):
        raise NotFound("There is no such measure, or it is not yours to change.")
    return measure


def set_active(actor: User, measure: ImpactMeasure, active: bool) -> ImpactMeasure:
    """A measure no longer counted is kept with its figures; members just stop recording it."""
    if not _runs(actor, measure.consortium_id):
        raise Forbidden("Only the consortium's secretary keeps its list of measures.")
    measure.active = active
    db.session.flush()
    return measure


# Members' records


def sees_member(actor: User, member: Member) -> bool:
    return can_act_for_member(actor, member) or member.consortium_id in actor.secretary_consortium_ids


def member_for(actor: User, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or not sees_member(actor, member):
        raise NotFound("There is no such member, or it is not yours to see.")
    return member


def record(
    actor: User,
    member: Member,
    measure_id: int,
    value: int,
    period_start: date,
    period_end: date,
    evidence: str,
) -> ImpactRecord:
    """A member's figure for one of its consortium's measures, over a past period, with what shows it."""
    if not sees_member(actor, member):
        raise NotFound("There is no such member, or it is not yours to see.")
    measure = db.session.get(ImpactMeasure, measure_id)
    errors: dict[str, list[str]] = {}
    if measure is None or measure.consortium_id != member.consortium_id or not measure.active:
        errors["measure_id"] = ["Choose one of your consortium's measures."]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_VALUE:
        errors["value"] = [f"Enter a whole number from 0 to {MAX_VALUE:,}."]
    if period_end < period_start:
        errors["period_end"] = ["The period ends on or after it starts."]
    elif period_end > uk_today():
        errors["period_end"] = ["Record a period that has ended."]
    evidence = (evidence or "").strip()
    if not evidence:
        errors["evidence"] = ["Say what shows it: a payroll count, a register, a link."]
    elif len(evidence) > 2000:
        errors["evidence"] = ["Keep the evidence under 2,000 characters."]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    made = ImpactRecord(
        measure_id=measure_id,
        member_id=member.id,
        value=value,
        period_start=period_start,
        period_end=period_end,
        evidence=evidence,
        recorded_by_id=actor.id,
    )
    db.session.add(made)
    db.session.flush()
    return made


def records_query(member: Member) -> Select:
    return (
        select(ImpactRecord)
        .where(ImpactRecord.member_id == member.id)
        .options(selectinload(ImpactRecord.member))
        .order_by(ImpactRecord.period_end.desc(), ImpactRecord.id.desc())
    )


def unverified_query(consortium: Consortium) -> Select:
    return (
        select(ImpactRecord)
        .options(selectinload(ImpactRecord.member))
        .join(Member, Member.id == ImpactRecord.member_id)
        .join(Network, Network.id == Member.network_id)
        .where(Network.consortium_id == consortium.id, ImpactRecord.verified_at.is_(None))
        .order_by(ImpactRecord.recorded_at, ImpactRecord.id)
    )


def record_for(actor: User, record_id: int) -> ImpactRecord:
    found = db.session.get(ImpactRecord, record_id)
    if found is None or not sees_member(actor, found.member):
        raise NotFound("There is no such record, or it is not yours to see.")
    return found


def verify(actor: User, found: ImpactRecord) -> ImpactRecord:
    """The secretary has seen the evidence: the figure counts on the impact pages as verified."""
    if not _runs(actor, found.member.consortium_id):
        raise Forbidden("Only the member's consortium secretary verifies its figures.")
    if found.verified_at is not None:
        raise Conflict("This figure is already verified.")
    found.verified_at = utcnow()
    found.verified_by_id = actor.id
    db.session.flush()
    return found


# The impact report


CHILDREN_PER_PAGE = 50


def children(scope: Scope, page: int = 1) -> ListPage[tuple[str, int, str]]:
    """(kind, id, name) of the level below, a page of them by name: a consortium's networks, a network's members
    (thousands of them), the platform's consortia."""
    if scope.kind == "platform":
        kind, id_, name = "consortium", Consortium.id, Consortium.name
        query = select(id_, name)
    elif scope.kind == "consortium":
        kind, id_, name = "network", Network.id, Network.name
        query = select(id_, name).where(Network.consortium_id == scope.id)
    elif scope.kind == "network":
        kind, id_, name = "member", Member.id, Organisation.legal_name
        query = (
            select(id_, name)
            .join(Organisation, Organisation.id == Member.organisation_id)
            .where(Member.network_id == scope.id)
        )
    else:
        return ListPage([], page, CHILDREN_PER_PAGE, 0)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return ListPage.fetched(
        lambda limit, offset: [
            (kind, row[0], row[1]) for row in db.session.execute(query.order_by(name, id_).limit(limit).offset(offset))
        ],
        page,
        CHILDREN_PER_PAGE,
        total,
    )


@dataclass
class ImpactReport:
    scope: Scope
    savings: Figures
    pools_joined: int
    shared_services_joined: int
    policies_adopted: int
    policies_adoptable: int
    members: int
    measures: list[MeasureTotal]

    @property
    def adoption_percent(self) -> Decimal | None:
        return adoption_percent(self.policies_adopted, self.policies_adoptable)


def _policies(scope: Scope) -> tuple[int, int, int]:
    """(adopted, adoptable, members): members' latest decisions that adopt a template's current version, out of
    every (active member, published template it may adopt) pair of the scope."""
    newest = select(func.max(Adoption.id)).group_by(Adoption.member_id, Adoption.template_id)
    adopted = (
        select(func.count(Adoption.id))
        .join(PolicyVersion, PolicyVersion.id == Adoption.version_id)
        .where(
            Adoption.id.in_(newest),
            Adoption.kind != "not_applicable",
            PolicyVersion.status == VersionStatus.PUBLISHED,
        )
    )
    members = select(Network.consortium_id, func.count(Member.id)).join(Member, Member.network_id == Network.id)
    members = members.where(Member.active)
    if scope.kind == "member":
        members = members.where(Member.id == scope.id)
    elif scope.kind == "network":
        members = members.where(Member.network_id == scope.id)
    elif scope.kind == "consortium":
        members = members.where(Network.consortium_id == scope.id)
    counts: dict[int, int] = {r[0]: r[1] for r in db.session.execute(members.group_by(Network.consortium_id))}
    published = (
        select(PolicyTemplate.consortium_id, func.count(distinct(PolicyTemplate.id)))
        .join(PolicyVersion, PolicyVersion.template_id == PolicyTemplate.id)
        .where(PolicyVersion.status == VersionStatus.PUBLISHED)
        .group_by(PolicyTemplate.consortium_id)
    )
    templates: dict[int | None, int] = {r[0]: r[1] for r in db.session.execute(published)}
    national = templates.get(None, 0)
    adoptable = sum(n * (templates.get(c, 0) + national) for c, n in counts.items())
    return db.session.scalar(members_of(adopted, Adoption.member_id, scope)) or 0, adoptable, sum(counts.values())


def _measures(scope: Scope) -> list[MeasureTotal]:
    query = (
        select(ImpactMeasure.name, ImpactMeasure.unit, ImpactRecord.value, ImpactRecord.verified_at.is_not(None))
        .join(ImpactMeasure, ImpactMeasure.id == ImpactRecord.measure_id)
        .order_by(ImpactMeasure.name, ImpactRecord.id)
    )
    rows = db.session.execute(members_of(query, ImpactRecord.member_id, scope))
    return measure_totals(RecordFigure(r[0], r[1], r[2], bool(r[3])) for r in rows)


def impact_report(scope: Scope) -> ImpactReport:
    pools = joined(scope)
    adopted, adoptable, members = _policies(scope)
    return ImpactReport(
        scope,
        savings_totals(scope),
        pools.total,
        pools.shared_services,
        adopted,
        adoptable,
        members,
        _measures(scope),
    )


@dataclass(frozen=True)
class Line:
    """One figure of the report as the page, the PDF and the CSV all show it."""

    section: str
    figure: str
    value: int | Decimal | None
    unit: str
    shown: str


def _percent(value: Decimal | None) -> str:
    return "no figure yet" if value is None else f"{value}%"


def lines(report: ImpactReport) -> list[Line]:
    s = report.savings
    known = "What the platform knows"
    result = [
        Line(known, "Invoiced through the platform (net of VAT)", s.spend_pence, "pence", pounds(s.spend_pence)),
        Line(known, "Saving against list price", s.saving_pence, "pence", pounds(s.saving_pence)),
        Line(known, "Saving as a share of list price", s.saving_percent, "%", _percent(s.saving_percent)),
        Line(known, "Spend with buy-social suppliers", s.buy_social_pence, "pence", pounds(s.buy_social_pence)),
        Line(known, "Buy-social share of spend", s.buy_social_percent, "%", _percent(s.buy_social_percent)),
        Line(known, "Pools and shared services joined", report.pools_joined, "pools", f"{report.pools_joined:,}"),
        Line(
            known,
            "Shared services joined",
            report.shared_services_joined,
            "services",
            f"{report.shared_services_joined:,}",
        ),
        Line(
            known,
            "Policies adopted (current versions)",
            report.policies_adopted,
            "policies",
            f"{report.policies_adopted:,} of {report.policies_adoptable:,} that could be",
        ),
        Line(known, "Policy adoption rate", report.adoption_percent, "%", _percent(report.adoption_percent)),
    ]
    recorded = "What members recorded"
    for m in report.measures:
        result.append(Line(recorded, f"{m.measure} (verified)", m.verified, m.unit, f"{m.verified:,} {m.unit}"))
        if m.unverified:
            result.append(
                Line(
                    recorded,
                    f"{m.measure} (awaiting verification)",
                    m.unverified,
                    m.unit,
                    f"{m.unverified:,} {m.unit}",
                )
            )
    return result


CSV_HEADER = ["Section", "Figure", "Value", "Unit", "Shown as"]


def csv_rows(report: ImpactReport) -> list[list]:
    """Money in pence (as the API has it), percentages to one place; the last column is what the page shows."""
    return [[line.section, line.figure, line.value, line.unit, line.shown] for line in lines(report)]
