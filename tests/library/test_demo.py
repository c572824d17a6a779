"""The demo's policies and impact: templates adopted, a review task overdue, verified figures; seeding twice
changes nothing."""

from sqlalchemy import func, select

from catalogue import demo as catalogue_demo
from kernel.clock import uk_today
from kernel.extensions import db
from library import demo, services
from library.models import Adoption, ImpactRecord, PolicyTemplate, ReviewTask
from organisations import demo as people_demo
from organisations.models import Consortium


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (PolicyTemplate, Adoption, ReviewTask, ImpactRecord)
    )


def test_demo_policies_are_adopted_one_review_is_overdue_and_seeding_twice_changes_nothing(app):
    people_demo.seed()
    catalogue_demo.seed()
    demo.seed()
    db.session.commit()
    counts = _counts()
    assert counts[0] == 4 and counts[1] >= 6 and counts[2] >= 2 and counts[3] == 9
    tayside = db.session.scalar(select(Consortium).where(Consortium.code == "TAY"))
    assert services.overdue(consortium_id=tayside.id).tasks == 1
    tasks = db.session.scalars(select(ReviewTask)).all()
    assert {t.version.number for t in tasks} == {2} and any(t.overdue(uk_today()) for t in tasks)
    demo.seed()
    db.session.commit()
    assert _counts() == counts
