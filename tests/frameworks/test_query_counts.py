"""Framework pages and API lists cost the same queries with one call-off or many, one member or many."""

import pytest

from frameworks import services
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.factories import api_token, sign_in
from tests.frameworks.conftest import call_off
from tests.query_counts import queries_for


def _grow(world, framework, members: int) -> None:
    """Each new member calls off twice; every third call-off is delivered."""
    for n in range(members):
        member = factories.member(world.network, f"Growth member {n} CIC")
        for quantity in (2, 25):
            made = call_off(world, framework, quantity, actor=world.secretary, member_id=member.id)
            if made.id % 3 == 0:
                services.deliver(world.supplier_user, made.id)
    db.session.commit()


@pytest.mark.parametrize("role", ["secretary", "member", "supplier"])
def test_framework_pages_do_not_grow_with_call_offs(client, world, framework, role):
    user = world.user_for(role)
    sign_in(client, user)
    services.deliver(world.supplier_user, call_off(world, framework, 3).id)
    db.session.commit()
    today = uk_today()
    urls = [
        "/frameworks/",
        f"/frameworks/{framework.id}",
        "/frameworks/call-offs",
        f"/frameworks/{framework.id}/consumption.csv",
    ]
    if role != "member":
        urls.append(f"/frameworks/statements/{world.supplier.id}/{today.year}/{today.month}")
    headers = api_token(user)
    api = [f"/api/v1/frameworks/{framework.id}/consumption", f"/api/v1/frameworks/{framework.id}/call-offs"]
    for url in urls:
        client.get(url)  # warm-up: what a first request does once (a token's last use) is not the page's cost
    for url in api:
        client.get(url, headers=headers)
    before = [len(queries_for(client, url)) for url in urls] + [
        len(queries_for(client, u, headers=headers)) for u in api
    ]
    _grow(world, framework, 3)
    after = [len(queries_for(client, url)) for url in urls] + [
        len(queries_for(client, u, headers=headers)) for u in api
    ]
    assert after == before, list(zip(urls + api, before, after, strict=True))


def test_a_member_sees_only_its_own_consumption_however_many_others(client, world, framework):
    _grow(world, framework, 2)
    call_off(world, framework, 3)
    body = client.get(f"/api/v1/frameworks/{framework.id}/consumption", headers=api_token(world.member_user)).get_json()
    assert [m["name"] for m in body["members"]] == ["Re-Tweed Dundee CIC"] and body["lots"][0]["units"] == 3
    outsider = factories.user(None, (Role.MEMBER, world.other_member.id))
    assert client.get(f"/api/v1/frameworks/{framework.id}/consumption", headers=api_token(outsider)).status_code == 404
