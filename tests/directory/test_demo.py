"""The demo's directory: skills for a few Tayside members with a gap, two verified enterprises, an enquiry replied
to; seeding twice changes nothing."""

from sqlalchemy import func, select

from catalogue import demo as catalogue_demo
from directory import demo, services
from directory.models import Enquiry, EnquiryStatus, Skill, Verification
from kernel.extensions import db
from organisations import demo as people_demo
from organisations.models import Consortium, User


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Skill, Verification, Enquiry))


def test_demo_directory_has_skills_with_gaps_two_verified_enterprises_and_a_replied_enquiry(app):
    people_demo.seed()
    catalogue_demo.seed()
    demo.seed()
    db.session.commit()
    assert _counts() == (7, 2, 1)
    tayside = db.session.scalar(select(Consortium).where(Consortium.code == "TAY"))
    gaps = {c.name: c.gap for c in services.skills_coverage(tayside.id)}
    assert gaps["Safeguarding"] == "nobody" and gaps["IT support"] == "below the wanted level"
    assert gaps["Bookkeeping and payroll"] is None
    member = db.session.scalar(select(User).where(User.email == "member@example.org"))
    verified = db.session.scalars(services.directory_query(member, services.Search(verified_only=True))).all()
    assert sorted(m.name for m in verified) == ["Hilltown Print Collective", "Re-Tweed Dundee CIC"]
    printer = next(m for m in verified if m.name == "Hilltown Print Collective")
    assert services.offers_of([printer.id])[printer.id], "the printer sells through the catalogue"
    assert db.session.scalars(select(Enquiry)).one().status is EnquiryStatus.REPLIED
    demo.seed()
    db.session.commit()
    assert _counts() == (7, 2, 1)
