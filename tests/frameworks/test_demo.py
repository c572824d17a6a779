"""The demo's framework: live in Tayside, call-offs at every step, invoiced ones through billing; seeding twice adds nothing."""

from sqlalchemy import func, select

from billing.models import Invoice
from frameworks import demo
from frameworks.models import CallOff, CallOffStatus, Framework, FrameworkStatus
from kernel.extensions import db
from organisations import demo as people_demo


def test_the_demo_framework_is_live_with_call_offs_at_every_step(app):
    people_demo.seed()
    demo.seed()
    db.session.commit()
    demo.seed()
    (framework,) = db.session.scalars(select(Framework)).all()
    assert framework.status is FrameworkStatus.LIVE and [c.code for c in framework.consortia] == ["TAY"]
    statuses = sorted(c.status.value for c in db.session.scalars(select(CallOff)))
    assert statuses == ["confirmed", "delivered", "invoiced", "invoiced", "placed"]
    invoiced = db.session.scalars(select(CallOff).where(CallOff.status == CallOffStatus.INVOICED)).all()
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2
    assert sum(c.net_pence for c in invoiced) == 24 * 5850 + 5 * 4800
    assert framework.consumed_pence == sum(db.session.scalars(select(CallOff.net_pence)))
