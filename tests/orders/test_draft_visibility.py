"""The rule for issue 15's last hole: members do not see their consortium's draft pools.

A draft is the secretary's work in progress: its terms and prices may still change and nobody can
pledge to it. Members see a pool from the moment it opens; its secretaries and admins see it throughout.
"""

from organisations.models import Role
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_pool


def _listed(client, user) -> set[int]:
    return {p["id"] for p in client.get("/api/v1/pools?per_page=200", headers=api_token(user)).json["items"]}


def test_members_see_a_pool_only_once_it_opens(client, world, offer):
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    opened = make_pool(world.secretary, offer, [world.consortium])

    assert _listed(client, world.member_user) == {opened.id}
    assert client.get(f"/api/v1/pools/{draft.id}", headers=api_token(world.member_user)).status_code == 404
    sign_in(client, world.member_user)
    assert client.get(f"/pools/{draft.id}").status_code == 404
    assert f"/pools/{draft.id}" not in client.get("/pools/").get_data(as_text=True)

    assert _listed(client, world.secretary) == {draft.id, opened.id}
    assert _listed(client, world.admin) == {draft.id, opened.id}


def test_a_member_who_is_also_a_secretary_sees_the_drafts_of_the_consortium_they_run_only(client, world, offer):
    ours = make_pool(world.secretary, offer, [world.consortium], open_=False)
    theirs = make_pool(world.admin, offer, [world.other_consortium], open_=False)
    both = factories.user(None, (Role.SECRETARY, world.consortium.id), (Role.MEMBER, world.other_member.id))
    assert _listed(client, both) == {ours.id}
    assert theirs.id not in _listed(client, both)
