"""Demo directory: the skill categories, skills and spare hours for a few Tayside members (with a gap or two),
two verified social enterprises (Hilltown Print Collective, which also sells in the catalogue, and Re-Tweed
Dundee CIC), and an enquiry from one member to another, replied to."""

from datetime import timedelta

from sqlalchemy import select

from directory import services
from directory.levels import SkillLevel
from directory.models import SkillCategory
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.demo import DEMO_MEMBER, manager_of
from organisations.models import Member, Organisation, User

CATEGORIES = [
    ("Bookkeeping and payroll", SkillLevel.SKILLED),
    ("Marketing and social media", SkillLevel.WORKING),
    ("Graphic design and print", SkillLevel.WORKING),
    ("HR and recruitment", SkillLevel.SKILLED),
    ("IT support", SkillLevel.WORKING),
    ("Bid and grant writing", SkillLevel.SKILLED),
    ("Joinery and repairs", SkillLevel.WORKING),
    ("Safeguarding", SkillLevel.SKILLED),
]
SKILLS: dict[str, list[tuple[str, str, SkillLevel, int, str | None]]] = {
    DEMO_MEMBER: [
        ("Isla Grant", "Bookkeeping and payroll", SkillLevel.EXPERT, 8, "Sage and Xero; year-end accounts"),
        ("Callum Reid", "Marketing and social media", SkillLevel.WORKING, 4, None),
    ],
    "Hilltown Print Collective": [
        ("Priya Shah", "Graphic design and print", SkillLevel.EXPERT, 12, "Risograph and screen print"),
        ("Tom Baird", "Marketing and social media", SkillLevel.SKILLED, 6, None),
    ],
    "Taybank Community Cafe": [("Ailsa Munro", "HR and recruitment", SkillLevel.WORKING, 2, None)],
    "Dundee Bike Works": [
        ("Euan Fraser", "Joinery and repairs", SkillLevel.SKILLED, 10, "Bikes, trailers and workshop fit-outs"),
        ("Mhairi Ross", "IT support", SkillLevel.BASIC, 3, None),
    ],
}


def _member(name: str) -> Member:
    return db.session.execute(select(Member).join(Organisation).where(Organisation.legal_name == name)).scalar_one()


def seed() -> None:
    """Idempotent: does nothing once any skill category exists."""
    if db.session.scalar(select(SkillCategory.id).limit(1)) is not None:
        return
    admin = db.session.execute(select(User).where(User.email == "admin@example.org")).scalar_one()
    secretary = db.session.execute(select(User).where(User.email == "secretary@example.org")).scalar_one()
    ids = {name: services.add_category(admin, name, level).id for name, level in CATEGORIES}
    for member_name, skills in SKILLS.items():
        member = _member(member_name)
        for person, category, level, hours, note in skills:
            services.add_skill(admin, member, person, ids[category], level, hours, note)
    today = uk_today()
    for member_name, months, note in (
        ("Hilltown Print Collective", 11, "CIC articles with an asset lock (clause 4); annual CIC34 report read."),
        (DEMO_MEMBER, 1, "Community interest company; mission and reinvestment in the 2026 accounts."),
    ):
        check = services.Check(True, True, True, note, today + timedelta(days=30 * months))
        services.verify(secretary, _member(member_name), check)
    cafe = _member("Taybank Community Cafe")
    enquiry = services.send_enquiry(
        manager_of(cafe),
        _member("Hilltown Print Collective"),
        "Menus and loyalty cards",
        "Could you print 500 menus and 1,000 loyalty cards on recycled card by the end of the month?",
    )
    printer = manager_of(_member("Hilltown Print Collective"))
    services.reply(printer, enquiry, "Yes: about £180 for both. We can have proofs to you on Monday.")
