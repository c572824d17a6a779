"""The policy library's operations: who sees which template, drafting, the lifecycle, adoption, reviews.

Every function takes the acting user, checks what they may do here (a member of another consortium
sees nothing of ours: 404), changes models and flushes; the request commits.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from kernel.clock import uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.lifecycle import Who
from library import documents
from library.models import (
    VERSION_LIFECYCLE,
    Acknowledgement,
    Adoption,
    AdoptionKind,
    PolicyCategory,
    PolicyTemplate,
    PolicyVersion,
    ReviewTask,
    VersionStatus,
    runs_template,
)
from library.storage import storage
from organisations import outbox
from organisations.models import Consortium, Member, Network, Organisation, User
from pools.services import take_writer_lock

REVIEW_DAYS = 30  # a review task is due by the new version's effective date, and no sooner than this after publishing
TITLE_MAX, SUMMARY_MAX, NOTE_MAX, MARKDOWN_MAX, SEARCH_MAX = 200, 1000, 2000, 200_000, 100
OPEN_STATES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW)
SHOWN_STATES = (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)


# Who sees what


def member_consortium_ids(user: User) -> set[int]:
    if not user.member_ids:
        return set()
    return set(db.session.scalars(select(Network.consortium_id).join(Member).where(Member.id.in_(user.member_ids))))


def _visible(user: User):
    """SQL condition: the templates `user` may see. National ones every member and secretary; a consortium's its
    secretaries and its members; admins all. Members see a template once it has a published version."""
    if user.is_admin:
        return PolicyTemplate.id.is_not(None)
    runs = PolicyTemplate.consortium_id.in_(user.secretary_consortium_ids or {-1})
    published = exists().where(PolicyVersion.template_id == PolicyTemplate.id, PolicyVersion.status.in_(SHOWN_STATES))
    member_of = member_consortium_ids(user)
    national = PolicyTemplate.consortium_id.is_(None)
    members_see = and_(published, or_(national, PolicyTemplate.consortium_id.in_(member_of or {-1})))
    conditions: list[ColumnElement[bool]] = [runs, members_see] if member_of else [runs]
    if user.secretary_consortium_ids:
        conditions.append(and_(national, published))
    return or_(*conditions)


def templates_query(user: User, text: str | None = None, category: PolicyCategory | None = None) -> Select:
    """The templates `user` sees, matching `text` (in the title, the summary or a published Markdown version) and
    `category`; national ones last, then by title."""
    query = select(PolicyTemplate).where(_visible(user)).options(joinedload(PolicyTemplate.consortium))
    if category is not None:
        query = query.where(PolicyTemplate.category == category)
    words = (text or "").strip()
    if len(words) > SEARCH_MAX:
        raise ValidationFailed.field("q", f"Search for at most {SEARCH_MAX} characters.")
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        in_text = exists().where(
            PolicyVersion.template_id == PolicyTemplate.id,
            PolicyVersion.status.in_(SHOWN_STATES),
            PolicyVersion.body_markdown.ilike(pattern, escape="\\"),
        )
        query = query.where(
            or_(
                PolicyTemplate.title.ilike(pattern, escape="\\"),
                PolicyTemplate.summary.ilike(pattern, escape="\\"),
                in_text,
            )
        )
    return query.order_by(PolicyTemplate.consortium_id.is_(None), PolicyTemplate.title, PolicyTemplate.id)


def template_for(user: User, template_id: int) -> PolicyTemplate:
    template = db.session.scalar(select(PolicyTemplate).where(PolicyTemplate.id == template_id, _visible(user)))
    if template is None:
        raise NotFound("There is no such policy template, or it is not yours to see.")
    return template


def can_run(user: User, template: PolicyTemplate) -> bool:
    return runs_template(user, template)


def version_for(user: User, version_id: int) -> PolicyVersion:
    """A version of a template the user sees; drafts and versions in review only to those who run the template."""
    version = db.session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound("There is no such policy version, or it is not yours to see.")
    template = template_for(user, version.template_id)
    if version.status in OPEN_STATES and not can_run(user, template):
        raise NotFound("There is no such policy version, or it is not yours to see.")
    return version


def visible_versions(user: User, template: PolicyTemplate) -> list[PolicyVersion]:
    """Newest first; drafts and versions in review only for those who run the template."""
    shown = [v for v in template.versions if v.status in SHOWN_STATES or can_run(user, template)]
    return sorted(shown, key=lambda v: v.number, reverse=True)


def current_version(template: PolicyTemplate) -> PolicyVersion | None:
    return next((v for v in template.versions if v.status is VersionStatus.PUBLISHED), None)


def previous_published(version: PolicyVersion) -> PolicyVersion | None:
    """The version published before this one: what its review compares with."""
    earlier = [v for v in version.template.versions if v.number < version.number and v.published_at is not None]
    return max(earlier, key=lambda v: v.number) if earlier else None


def eligible_members_query(template: PolicyTemplate) -> Select:
    """Active members who may adopt the template: its consortium's, or every consortium's for a national one."""
    query = (
        select(Member)
        .join(Network, Network.id == Member.network_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Member.active)
    )
    if template.consortium_id is not None:
        query = query.where(Network.consortium_id == template.consortium_id)
    return query.order_by(Organisation.legal_name, Member.id)


def acting_members(user: User, template: PolicyTemplate) -> list[Member]:
    """The members `user` acts for that may adopt `template`."""
    if not user.member_ids:
        return []
    return list(db.session.scalars(eligible_members_query(template).where(Member.id.in_(user.member_ids))))


def _acting_member(user: User, template: PolicyTemplate, member_id: int | None) -> Member:
    members = acting_members(user, template)
    if member_id is None:
        if len(members) == 1:
            return members[0]
        if not members:
            raise Forbidden("Only a member's own people can adopt or acknowledge its policies.")
        raise ValidationFailed.field("member_id", "Say which member: you act for several.")
    found = next((m for m in members if m.id == member_id), None)
    if found is None and user.is_admin:
        found = db.session.scalar(eligible_members_query(template).where(Member.id == member_id))
    if found is None:
        raise ValidationFailed.field("member_id", "Choose a member you act for that may adopt this template.")
    return found


# Templates and versions


def create_template(
    actor: User, consortium_id: int | None, title: str, category: PolicyCategory, summary: str | None
) -> PolicyTemplate:
    if consortium_id is None:
        if not actor.is_admin:
            raise Forbidden("Only an admin publishes national templates.")
    else:
        if db.session.get(Consortium, consortium_id) is None:
            raise ValidationFailed.field("consortium_id", "There is no such consortium.")
        if not (actor.is_admin or consortium_id in actor.secretary_consortium_ids):
            raise Forbidden("Only the consortium's secretary (or an admin) publishes its templates.")
    title = (title or "").strip()
    if not title:
        raise ValidationFailed.field("title", "Give the template a title.")
    if len(title) > TITLE_MAX:
        raise ValidationFailed.field("title", f"Keep the title under {TITLE_MAX} characters.")
    summary = (summary or "").strip() or None
    if summary is not None and len(summary) > SUMMARY_MAX:
        raise ValidationFailed.field("summary", f"Keep the summary under {SUMMARY_MAX} characters.")
    template = PolicyTemplate(
        consortium_id=consortium_id, title=title, category=category, summary=summary, created_by_id=actor.id
    )
    db.session.add(template)
    db.session.flush()
    return template


@dataclass
class Draft:
    """What a secretary writes for a version: Markdown, or an uploaded document (its bytes and file name)."""

    change_note: str
    effective_date: date
    review_by: date
    body_markdown: str | None = None
    document: bytes | None = None
    document_name: str | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)


def _check_draft(draft: Draft, keeps_document: bool) -> tuple[str | None, documents.Checked | None]:
    errors: dict[str, list[str]] = {}
    note = (draft.change_note or "").strip()
    if not note:
        errors["change_note"] = ["Say what this version changes (for a first version: what it is)."]
    elif len(note) > NOTE_MAX:
        errors["change_note"] = [f"Keep the change note under {NOTE_MAX} characters."]
    if draft.review_by <= draft.effective_date:
        errors["review_by"] = ["The review-by date comes after the effective date."]
    markdown = (draft.body_markdown or "").strip() or None
    checked = None
    if markdown is not None and draft.document is not None:
        errors["document"] = ["Write the policy in Markdown or upload a document, not both."]
    elif markdown is not None and len(markdown) > MARKDOWN_MAX:
        errors["body_markdown"] = [f"Keep the policy under {MARKDOWN_MAX:,} characters, or upload a document."]
    elif draft.document is not None:
        try:
            checked = documents.check(draft.document)
        except documents.NotAPolicyDocument as refused:
            errors["document"] = [str(refused)]
    elif markdown is None and not keeps_document:
        errors["body_markdown"] = ["Write the policy in Markdown, or upload a PDF, DOCX or ODT document."]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    return markdown, checked


def _document_name(name: str | None, checked: documents.Checked) -> str:
    """The uploaded file's own name without its folders, control characters or claimed type: the checked type
    gives the extension."""
    base = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = "".join(c for c in base.rsplit(".", 1)[0] if c.isprintable()).strip()[:150]
    return f"{stem or 'policy'}.{checked.extension}"


def _store(target, data: bytes, checked: documents.Checked, name: str | None) -> None:
    target.document_key = storage().save(data, checked.extension)
    target.document_name = _document_name(name, checked)
    target.document_type = checked.media_type
    target.document_size = checked.size


def _lock(template_id: int) -> None:
    """Takes the template's row lock until the transaction ends, so two people drafting, publishing or
    superseding its versions at once take turns; then reloads its versions as they now are. FOR NO KEY UPDATE
    (key_share): rows that only refer to the template (adoptions, tasks) are written meanwhile as before."""
    take_writer_lock(PolicyTemplate.__table__, template_id)
    db.session.execute(
        select(PolicyTemplate.id).where(PolicyTemplate.id == template_id).with_for_update(key_share=True)
    )
    template = db.session.get(PolicyTemplate, template_id)
    if template is not None:
        db.session.expire(template, ["versions"])
    current = select(PolicyVersion).where(PolicyVersion.template_id == template_id)
    db.session.scalars(current.execution_options(populate_existing=True)).all()


def _lock_member(member_id: int) -> None:
    """One member's decisions and acknowledgements are written one at a time: a second one at the same moment
    finds the first and answers 409, not a duplicate row."""
    take_writer_lock(Member.__table__, member_id)
    db.session.execute(select(Member.id).where(Member.id == member_id).with_for_update(key_share=True))


def add_version(actor: User, template: PolicyTemplate, draft: Draft) -> PolicyVersion:
    """A new draft version; one draft or version in review at a time."""
    if not can_run(actor, template):
        raise Forbidden("Only the template's consortium secretary (or an admin) writes its versions.")
    _lock(template.id)
    if any(v.status in OPEN_STATES for v in template.versions):
        raise Conflict("This template already has a version in draft or in review: finish that one first.")
    markdown, checked = _check_draft(draft, keeps_document=False)
    number = (
        db.session.scalar(select(func.max(PolicyVersion.number)).where(PolicyVersion.template_id == template.id)) or 0
    ) + 1
    version = PolicyVersion(
        template=template,
        number=number,
        status=VersionStatus.DRAFT,
        change_note=draft.change_note.strip(),
        effective_date=draft.effective_date,
        review_by=draft.review_by,
        body_markdown=markdown,
        created_by_id=actor.id,
    )
    if checked is not None and draft.document is not None:
        _store(version, draft.document, checked, draft.document_name)
    db.session.add(version)
    db.session.flush()
    return version


def edit_version(actor: User, version: PolicyVersion, draft: Draft) -> PolicyVersion:
    """Only a draft changes; a version in review goes back to draft first, a published one never changes."""
    if not can_run(actor, version.template):
        raise Forbidden("Only the template's consortium secretary (or an admin) edits its versions.")
    _lock(version.template_id)
    if version.status is not VersionStatus.DRAFT:
        raise Conflict(
            f"Only a draft can be edited; this version is {version.status.value}. "
            + ("A published version never changes: write a new version." if version.status in SHOWN_STATES else "")
        )
    markdown, checked = _check_draft(draft, keeps_document=version.document_key is not None)
    version.change_note = draft.change_note.strip()
    version.effective_date = draft.effective_date
    version.review_by = draft.review_by
    if checked is not None and draft.document is not None:
        _store(version, draft.document, checked, draft.document_name)
        version.body_markdown = None
    elif markdown is not None:
        version.body_markdown = markdown
        version.document_key = version.document_name = version.document_type = None
        version.document_size = None
    db.session.flush()
    return version


def submit_for_review(actor: User, version: PolicyVersion) -> PolicyVersion:
    _lock(version.template_id)
    VERSION_LIFECYCLE.move(version, VersionStatus.IN_REVIEW, actor)
    return version


def return_to_draft(actor: User, version: PolicyVersion, reason: str | None = None) -> PolicyVersion:
    _lock(version.template_id)
    VERSION_LIFECYCLE.move(version, VersionStatus.DRAFT, actor, reason)
    return version


def publish(actor: User, version: PolicyVersion) -> list[ReviewTask]:
    """Publishes the version, supersedes the one before, and gives each member that had adopted the template
    (as is or with local changes) a task to review the new version and adopt it again."""
    _lock(version.template_id)
    template = version.template
    before = current_version(template)
    VERSION_LIFECYCLE.move(version, VersionStatus.PUBLISHED, actor)
    if before is None:
        return []
    VERSION_LIFECYCLE.move(
        before, VersionStatus.SUPERSEDED, actor, f"Replaced by version {version.number}", by=Who.SYSTEM
    )
    today = uk_today()
    due = max(version.effective_date, today + timedelta(days=REVIEW_DAYS))
    tasks = [
        ReviewTask(
            member_id=adoption.member_id,
            template_id=template.id,
            version_id=version.id,
            previous_version_id=adoption.version_id,
            due_on=due,
        )
        for adoption in latest_adoptions(template_ids=[template.id]).values()
        if adoption.kind.adopts
    ]
    db.session.add_all(tasks)
    db.session.flush()
    _tell_reviewers(version, before, tasks)
    return tasks


REVIEW_KIND = "policy_review"


def _tell_reviewers(version: PolicyVersion, before: PolicyVersion, tasks: list[ReviewTask]) -> None:
    """One event; library.messages tells each member with a new task through its users."""
    if tasks:
        outbox.record(REVIEW_KIND, version.id, f"{REVIEW_KIND}:{version.id}", before_id=before.id)


# Adoption, reviews, acknowledgements


def latest_adoptions(
    template_ids: list[int] | None = None, member_ids: list[int] | None = None
) -> dict[tuple[int, int], Adoption]:
    """Each member's latest decision on each template, by (member id, template id), in one query."""
    newest = select(func.max(Adoption.id)).group_by(Adoption.member_id, Adoption.template_id)
    if template_ids is not None:
        newest = newest.where(Adoption.template_id.in_(template_ids or [-1]))
    if member_ids is not None:
        newest = newest.where(Adoption.member_id.in_(member_ids or [-1]))
    rows = db.session.scalars(select(Adoption).where(Adoption.id.in_(newest)).options(selectinload(Adoption.version)))
    return {(a.member_id, a.template_id): a for a in rows}


def adopt(
    actor: User,
    version: PolicyVersion,
    kind: AdoptionKind,
    board_approved_on: date | None,
    next_review_on: date | None,
    member_id: int | None = None,
    document: bytes | None = None,
    document_name: str | None = None,
) -> Adoption:
    """The member's decision on the published version: adopted as is, with its own document, or not applicable.
    Completes the member's review task for this version."""
    member = _acting_member(actor, version.template, member_id)
    _lock_member(member.id)
    if version.status is not VersionStatus.PUBLISHED:
        raise Conflict(f"Only the published version can be adopted; this one is {version.status.value}.")
    if db.session.scalar(select(Adoption.id).where(Adoption.member_id == member.id, Adoption.version_id == version.id)):
        raise Conflict(f"{member.name} has already recorded its decision on {version.label}.")
    errors: dict[str, list[str]] = {}
    today = uk_today()
    if kind.adopts:
        if board_approved_on is None:
            errors["board_approved_on"] = ["Give the date the board approved it."]
        elif board_approved_on > today:
            errors["board_approved_on"] = ["The board's approval cannot be in the future."]
        if next_review_on is None:
            errors["next_review_on"] = ["Give the date it is next reviewed."]
        elif next_review_on <= today:
            errors["next_review_on"] = ["The next review is after today."]
    else:
        board_approved_on = next_review_on = None
    checked = None
    if kind is not AdoptionKind.LOCAL_CHANGES and document is not None:
        errors["document"] = ["Upload a document only when adopting with local changes."]
    elif kind is AdoptionKind.LOCAL_CHANGES:
        if document is None:
            errors["document"] = ["Upload your own version of the policy (PDF, DOCX or ODT)."]
        else:
            try:
                checked = documents.check(document)
            except documents.NotAPolicyDocument as refused:
                errors["document"] = [str(refused)]
    if errors:
        raise ValidationFailed("Some fields are not valid.", errors)
    adoption = Adoption(
        member_id=member.id,
        template_id=version.template_id,
        version=version,
        kind=kind,
        board_approved_on=board_approved_on,
        next_review_on=next_review_on,
        adopted_by_id=actor.id,
    )
    if checked is not None and document is not None:
        _store(adoption, document, checked, document_name)
    db.session.add(adoption)
    db.session.flush()
    for task in db.session.scalars(
        select(ReviewTask).where(
            ReviewTask.member_id == member.id,
            ReviewTask.template_id == version.template_id,
            ReviewTask.done_at.is_(None),
        )
    ):
        task.done_at = utcnow()
        task.adoption_id = adoption.id
    db.session.flush()
    return adoption


def acknowledge(actor: User, template: PolicyTemplate, member_id: int | None = None) -> Acknowledgement:
    """The staff member has read the version their member has in force (the one it last adopted)."""
    member = _acting_member(actor, template, member_id)
    _lock_member(member.id)
    in_force = latest_adoptions([template.id], [member.id]).get((member.id, template.id))
    if in_force is None or not in_force.kind.adopts:
        raise Conflict(f"{member.name} has no version of this policy in force to acknowledge.")
    found = db.session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.user_id == actor.id,
            Acknowledgement.member_id == member.id,
            Acknowledgement.version_id == in_force.version_id,
        )
    )
    if found is not None:
        return found
    acknowledgement = Acknowledgement(user_id=actor.id, member_id=member.id, version_id=in_force.version_id)
    db.session.add(acknowledgement)
    db.session.flush()
    return acknowledgement


def acknowledged_version_ids(user: User, member_ids: list[int]) -> set[tuple[int, int]]:
    """(member id, version id) the user has acknowledged."""
    rows = db.session.execute(
        select(Acknowledgement.member_id, Acknowledgement.version_id).where(
            Acknowledgement.user_id == user.id, Acknowledgement.member_id.in_(member_ids or [-1])
        )
    )
    return {(r[0], r[1]) for r in rows}


def acknowledgements_of(version_id: int, member_id: int) -> list[Acknowledgement]:
    return list(
        db.session.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.version_id == version_id, Acknowledgement.member_id == member_id)
            .order_by(Acknowledgement.acknowledged_at)
        )
    )


def tasks_query(user: User, consortium_id: int | None = None, open_only: bool = True) -> Select:
    """Review tasks: a member's people see their members'; a secretary (with `consortium_id`) the consortium's;
    the overdue first."""
    query = (
        select(ReviewTask)
        .join(Member, Member.id == ReviewTask.member_id)
        .options(
            selectinload(ReviewTask.member),
            selectinload(ReviewTask.template),
            selectinload(ReviewTask.version),
            selectinload(ReviewTask.previous_version),
        )
    )
    if consortium_id is not None:
        if not (user.is_admin or consortium_id in user.secretary_consortium_ids):
            raise NotFound("There is no such consortium, or it is not yours to see.")
        query = query.join(Network, Network.id == Member.network_id).where(Network.consortium_id == consortium_id)
    elif not user.is_admin:
        query = query.where(ReviewTask.member_id.in_(user.member_ids or {-1}))
    if open_only:
        query = query.where(ReviewTask.done_at.is_(None))
    return query.order_by(ReviewTask.done_at.is_not(None), ReviewTask.due_on, ReviewTask.id)


@dataclass(frozen=True)
class Overdue:
    tasks: int
    reviews: int  # adoptions whose next review date has passed

    @property
    def total(self) -> int:
        return self.tasks + self.reviews


def overdue(member_ids: list[int] | None = None, consortium_id: int | None = None) -> Overdue:
    """Overdue review tasks, and adoptions in force past their next review date, of some members or a consortium."""
    today = uk_today()
    newest = select(func.max(Adoption.id)).group_by(Adoption.member_id, Adoption.template_id)
    tasks = select(func.count(ReviewTask.id)).where(ReviewTask.done_at.is_(None), ReviewTask.due_on < today)
    reviews = select(func.count(Adoption.id)).where(Adoption.id.in_(newest), Adoption.next_review_on < today)
    if member_ids is not None:
        tasks = tasks.where(ReviewTask.member_id.in_(member_ids or [-1]))
        reviews = reviews.where(Adoption.member_id.in_(member_ids or [-1]))
    if consortium_id is not None:
        in_consortium = select(Member.id).join(Network).where(Network.consortium_id == consortium_id)
        tasks = tasks.where(ReviewTask.member_id.in_(in_consortium))
        reviews = reviews.where(Adoption.member_id.in_(in_consortium))
    return Overdue(db.session.scalar(tasks) or 0, db.session.scalar(reviews) or 0)


# The secretary's grid


@dataclass(frozen=True)
class Cell:
    adoption: Adoption | None
    current: PolicyVersion | None
    task: ReviewTask | None

    @property
    def up_to_date(self) -> bool:
        return self.adoption is not None and self.current is not None and self.adoption.version_id == self.current.id

    def state(self, today: date) -> str:
        if self.adoption is None:
            return "not adopted"
        if self.task is not None and self.task.done_at is None:
            return "review overdue" if self.task.overdue(today) else "to review"
        if not self.up_to_date:
            return "older version"
        if not self.adoption.kind.adopts:
            return "not applicable"
        if self.adoption.next_review_on is not None and self.adoption.next_review_on < today:
            return "review date passed"
        return "adopted"

    def text(self, today: date) -> str:
        if self.adoption is None:
            return "not adopted"
        state = self.state(today)
        version = f"v{self.adoption.version.number}"
        if state in ("adopted", "not applicable"):
            return f"{version} {self.adoption.kind.label}"
        return f"{version} {self.adoption.kind.label}; {state}"


@dataclass
class Grid:
    consortium: Consortium
    templates: list[PolicyTemplate]
    members: list[Member]
    cells: dict[tuple[int, int], Cell]
    current: dict[int, PolicyVersion]
    today: date

    def cell(self, member: Member, template: PolicyTemplate) -> Cell:
        return self.cells[(member.id, template.id)]


def grid_members(consortium: Consortium) -> Select:
    """The consortium's active members in the grid's order: the page pages them, the CSV takes them all."""
    return (
        select(Member)
        .join(Network, Network.id == Member.network_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .where(Network.consortium_id == consortium.id, Member.active)
        .order_by(Organisation.legal_name, Member.id)
    )


def grid(actor: User, consortium: Consortium, members: Sequence[Member] | None = None) -> Grid:
    """Every published template the consortium's members may adopt (its own and national ones) x its active
    members, or the page of them given: each member's latest decision, and whether it is on the current
    version. A handful of queries."""
    if not (actor.is_admin or consortium.id in actor.secretary_consortium_ids):
        raise NotFound("There is no such consortium, or it is not yours to see.")
    published = exists().where(
        PolicyVersion.template_id == PolicyTemplate.id, PolicyVersion.status == VersionStatus.PUBLISHED
    )
    templates = list(
        db.session.scalars(
            select(PolicyTemplate)
            .where(
                or_(PolicyTemplate.consortium_id == consortium.id, PolicyTemplate.consortium_id.is_(None)), published
            )
            .order_by(PolicyTemplate.consortium_id.is_(None), PolicyTemplate.title, PolicyTemplate.id)
        )
    )
    template_ids = [t.id for t in templates]
    current = {
        v.template_id: v
        for v in db.session.scalars(
            select(PolicyVersion).where(
                PolicyVersion.template_id.in_(template_ids or [-1]), PolicyVersion.status == VersionStatus.PUBLISHED
            )
        )
    }
    members = list(db.session.scalars(grid_members(consortium)) if members is None else members)
    member_ids = [m.id for m in members]
    adoptions = latest_adoptions(template_ids, member_ids)
    tasks = {
        (t.member_id, t.template_id): t
        for t in db.session.scalars(
            select(ReviewTask)
            .where(ReviewTask.template_id.in_(template_ids or [-1]), ReviewTask.member_id.in_(member_ids or [-1]))
            .order_by(ReviewTask.id)
        )
    }
    cells = {
        (m.id, t.id): Cell(adoptions.get((m.id, t.id)), current.get(t.id), tasks.get((m.id, t.id)))
        for m in members
        for t in templates
    }
    return Grid(consortium, templates, members, cells, current, uk_today())


GRID_HEADER_START = ["Member", "Network"]


def grid_header(found: Grid) -> list[str]:
    """A column per template, named with its current version: a cell on an older one says so."""
    return GRID_HEADER_START + [f"{t.title} (current: v{found.current[t.id].number})" for t in found.templates]


def grid_rows(found: Grid) -> list[list]:
    return [
        [m.name, m.network.name] + [found.cell(m, t).text(found.today) for t in found.templates] for m in found.members
    ]


def current_versions(template_ids: list[int]) -> dict[int, PolicyVersion]:
    """The published version of each template, by template id, in one query."""
    rows = db.session.scalars(
        select(PolicyVersion).where(
            PolicyVersion.template_id.in_(template_ids or [-1]), PolicyVersion.status == VersionStatus.PUBLISHED
        )
    )
    return {v.template_id: v for v in rows}


def decided_member_ids(version_id: int, member_ids: list[int]) -> set[int]:
    """Of `member_ids`, those that have recorded a decision on the version."""
    return set(
        db.session.scalars(
            select(Adoption.member_id).where(
                Adoption.version_id == version_id, Adoption.member_id.in_(member_ids or [-1])
            )
        )
    )
