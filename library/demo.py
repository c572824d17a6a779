"""Demo policies and impact: national and Tayside templates, their versions, members' adoptions (one review
task overdue), an acknowledgement, and Tayside's measures with members' figures, some verified."""

from datetime import timedelta

from sqlalchemy import select

from kernel.clock import uk_today
from kernel.extensions import db
from library import impact, services
from library.models import AdoptionKind, PolicyCategory, PolicyTemplate, ReviewTask
from organisations.demo import DEMO_MEMBER, manager_of
from organisations.models import Consortium, Member, User

# A one-page PDF: the expenses policy is a document, not Markdown, as many members' are.
EXPENSES_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SAFEGUARDING = """# Safeguarding policy

## Who this covers
Everyone who works or volunteers with us, and everyone we work with.

## What we do
- We name a **designated safeguarding lead** and a deputy.
- Anyone with a concern tells the lead the same day.
- The lead records every concern and what was done.
"""
DATA_V1 = """# Data protection policy

We collect only the personal data we need, keep it safe and delete it when we no longer need it.

## Retention
We keep records for six years.
"""
DATA_V2 = """# Data protection policy

We collect only the personal data we need, keep it safe and delete it when we no longer need it.

## Retention
We keep financial records for six years and other records for two years.

## Breaches
We report a personal data breach to the ICO within 72 hours.
"""
LONE_WORKING = """# Lone working procedure

Before working alone, tell a colleague where you are and when you expect to finish.
"""
LONE_WORKING_V2 = LONE_WORKING + "\nCall in every two hours.\n"


def seed() -> None:
    """Idempotent: does nothing once any policy template exists."""
    if db.session.scalar(select(PolicyTemplate.id).limit(1)) is not None:
        return
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org"))
    secretary = db.session.scalar(select(User).where(User.email == "secretary@example.org"))
    tayside = db.session.scalar(select(Consortium).where(Consortium.code == "TAY"))
    if admin is None or secretary is None or tayside is None:
        return
    members = {m.name: m for m in db.session.scalars(select(Member)) if m.consortium_id == tayside.id}
    today = uk_today()
    year_ago = today - timedelta(days=365)

    def publish(actor, template, text=None, note="First version", document=None):
        draft = services.Draft(note, year_ago, today + timedelta(days=365), text, document, "expenses-policy.pdf")
        version = services.add_version(actor, template, draft)
        services.submit_for_review(actor, version)
        services.publish(actor, version)
        return version

    data = services.create_template(admin, None, "Data protection policy", PolicyCategory.DATA_PROTECTION, None)
    safeguarding = services.create_template(
        secretary, tayside.id, "Safeguarding policy", PolicyCategory.SAFEGUARDING, "Keeping people safe from harm."
    )
    lone = services.create_template(secretary, tayside.id, "Lone working procedure", PolicyCategory.LONE_WORKING, None)
    expenses = services.create_template(secretary, tayside.id, "Expenses policy", PolicyCategory.FINANCE, None)
    data_v1 = publish(admin, data, DATA_V1)
    safeguarding_v1 = publish(secretary, safeguarding, SAFEGUARDING)
    publish(secretary, lone, LONE_WORKING)
    publish(secretary, expenses, document=EXPENSES_PDF)
    in_review = services.add_version(
        secretary, lone, services.Draft("Call in every two hours", today, today + timedelta(days=365), LONE_WORKING_V2)
    )
    services.submit_for_review(secretary, in_review)

    approved, review = today - timedelta(days=200), today + timedelta(days=165)
    for name, kind in (
        (DEMO_MEMBER, AdoptionKind.AS_IS),
        ("Taybank Community Cafe", AdoptionKind.AS_IS),
        ("Hilltown Print Collective", AdoptionKind.LOCAL_CHANGES),
        ("Eat Well Dundee", AdoptionKind.NOT_APPLICABLE),
    ):
        member = members.get(name)
        if member is None:
            continue
        actor = manager_of(member)
        document = EXPENSES_PDF if kind is AdoptionKind.LOCAL_CHANGES else None
        services.adopt(actor, safeguarding_v1, kind, approved, review, member.id, document, "our-safeguarding.pdf")
        if kind is not AdoptionKind.NOT_APPLICABLE:
            services.adopt(actor, data_v1, AdoptionKind.AS_IS, approved, review, member.id)
    demo_member = members.get(DEMO_MEMBER)
    if demo_member is not None:
        services.acknowledge(manager_of(demo_member), safeguarding, demo_member.id)
    data_v2 = services.add_version(
        admin,
        data,
        services.Draft("Retention by kind of record; breaches", today, today + timedelta(days=730), DATA_V2),
    )
    services.submit_for_review(admin, data_v2)
    services.publish(admin, data_v2)
    # One member let its review slip: the demo dates its task back so the overdue flags show.
    slipped = members.get("Hilltown Print Collective")
    for task in db.session.scalars(select(ReviewTask).where(ReviewTask.member_id == (slipped.id if slipped else -1))):
        task.due_on = today - timedelta(days=10)

    measures = {
        name: impact.add_measure(secretary, tayside, name, unit, description)
        for name, unit, description in (
            ("Jobs created", "jobs", "Paid posts created in the period"),
            ("Volunteers", "volunteers", "People who volunteered at least once"),
            ("People supported", "people", None),
        )
    }
    quarter_start, quarter_end = today - timedelta(days=120), today - timedelta(days=30)
    for name, jobs, volunteers, people, verified in (
        (DEMO_MEMBER, 3, 12, 240, True),
        ("Taybank Community Cafe", 2, 8, 1_150, True),
        ("Hilltown Print Collective", 1, 4, 60, False),
    ):
        member = members.get(name)
        if member is None:
            continue
        actor = manager_of(member)
        for measure, value in (("Jobs created", jobs), ("Volunteers", volunteers), ("People supported", people)):
            made = impact.record(
                actor, member, measures[measure].id, value, quarter_start, quarter_end, "Quarterly return to the board"
            )
            if verified:
                impact.verify(secretary, made)
    db.session.flush()
