"""Call-offs arriving at once: the framework's row lock keeps consumption within the ceiling (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

from sqlalchemy import func, select

from frameworks import services
from frameworks.models import CallOff, FrameworkStatus
from frameworks.terms import LotTerms
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token
from tests.frameworks.conftest import make_framework

FIXED = LotTerms("Press release", "release", "releases", [(1, Decimal("100.00"))])


def test_concurrent_call_offs_take_exactly_the_room_left(app, world, postgresql_only):
    # Room for 3 call-offs of £100: a ceiling of £250 with a 20% allowance is £300.
    framework = make_framework(world, lots=[FIXED], ceiling_pence=25_000, allowance_percent=Decimal("20"))
    users = [world.member_user] + [factories.user(None, (Role.MEMBER, world.member.id)) for _ in range(5)]
    headers = [api_token(user) for user in users]
    barrier = Barrier(len(headers))
    url = f"/api/v1/frameworks/{framework.id}/call-offs"
    body = {"lot_id": framework.lots[0].id, "member_id": world.member.id, "quantity": 1}

    def place(header):
        client = app.test_client()
        barrier.wait(timeout=30)
        response = client.post(url, json=body, headers=header)
        return response.status_code, response.get_json()["error"]["message"] if response.status_code != 201 else ""

    with ThreadPoolExecutor(max_workers=len(headers)) as executor:
        answers = sorted(executor.map(place, headers))
    assert [status for status, _ in answers] == [201] * 3 + [409] * 3
    assert all("£0.00 is left to call off" in message for status, message in answers if status == 409)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CallOff)) == 3
    assert framework.consumed_pence == 30_000
    assert sorted(db.session.scalars(select(CallOff.number))) == [f"{framework.reference}-000{n}" for n in (1, 2, 3)]


def test_two_hosts_expiring_at_once_expire_each_framework_once(app, world, postgresql_only):
    framework = make_framework(world)
    framework.ends_on = uk_today() - timedelta(days=1)
    db.session.commit()
    framework_id, today = framework.id, uk_today()
    barrier = Barrier(2)

    def expire(_):
        with app.app_context():
            barrier.wait(timeout=30)
            done = services.expire(framework_id, today)
            db.session.commit()
            db.session.remove()
            return done

    with ThreadPoolExecutor(max_workers=2) as executor:
        assert sorted(executor.map(expire, range(2))) == [False, True]
    db.session.expire_all()
    assert framework.status is FrameworkStatus.EXPIRED
    assert [c.to_state for c in services.history(framework)] == ["live", "expired"]
