"""Secretaries pressing publish at the same moment: one publication, one supersession, one task per adopter."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from kernel.extensions import db
from library import services
from library.models import ReviewTask, VersionStatus
from organisations.models import Role
from tests import factories
from tests.factories import api_token
from tests.library.conftest import adopt_as_is, draft, published


def test_publishing_one_version_at_once_publishes_it_once(app, world, template):
    first = published(world.secretary, template)
    adopt_as_is(world, first)
    second = services.add_version(world.secretary, template, draft("# Two\n", "Two"))
    services.submit_for_review(world.secretary, second)
    other_secretary = factories.user(None, (Role.SECRETARY, world.consortium.id))
    db.session.commit()
    publishers = [api_token(world.secretary), api_token(other_secretary), api_token(world.admin)] * 2
    barrier = Barrier(len(publishers))
    url = f"/api/v1/library/versions/{second.id}/publish"

    def publish(headers):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post(url, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(publishers)) as executor:
        statuses = sorted(executor.map(publish, publishers))
    assert statuses == [200] + [409] * (len(publishers) - 1)
    db.session.expire_all()
    assert [v.status for v in sorted(template.versions, key=lambda v: v.number)] == [
        VersionStatus.SUPERSEDED,
        VersionStatus.PUBLISHED,
    ]
    assert db.session.scalar(db.select(db.func.count()).select_from(ReviewTask)) == 1
    assert len(services.VERSION_LIFECYCLE.history(first.id)) == 3


def test_two_people_adopting_for_one_member_at_once_record_one_decision(app, world, template):
    from datetime import timedelta

    from kernel.clock import uk_today
    from library.models import Adoption

    version = published(world.secretary, template)
    colleagues = [factories.user(None, (Role.MEMBER, world.member.id)) for _ in range(5)]
    db.session.commit()
    today = uk_today()
    body = {
        "kind": "as_is",
        "board_approved_on": today.isoformat(),
        "next_review_on": (today + timedelta(days=90)).isoformat(),
    }
    adopters = [api_token(user) for user in [world.member_user, *colleagues]]
    barrier = Barrier(len(adopters))
    url = f"/api/v1/library/versions/{version.id}/adoptions"

    def adopt(headers):
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post(url, headers=headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(adopters)) as executor:
        statuses = sorted(executor.map(adopt, adopters))
    assert statuses == [201] + [409] * (len(adopters) - 1)
    assert db.session.scalar(db.select(db.func.count()).select_from(Adoption)) == 1
