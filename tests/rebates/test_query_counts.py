"""Rebate pages cost the same number of queries however many agreements and members' shares they list."""

import pytest

from kernel.clock import uk_today
from kernel.extensions import db
from rebates import cli, services
from tests import factories
from tests.factories import sign_in
from tests.query_counts import queries_for
from tests.rebates.conftest import agreement, invoiced_order, tomorrow


def _round(world, members: int, agreements: int) -> int:
    buyers = [world.member] + [factories.member(world.network) for _ in range(members - 1)]
    db.session.commit()
    invoiced_order(world, world.supplier, world.consortium, [(m, 3) for m in buyers], name=f"Paper {members}")
    made = [agreement(world, name=f"Rebate {members}.{n}") for n in range(agreements)]
    cli.claim_due(tomorrow())
    for one in made:
        services.record_received(world.secretary, one, 90, uk_today(), "BACS")
        services.share(world.secretary, one)
    db.session.commit()
    return made[0].id


PAGES = {
    "agreements": ("secretary", lambda agreement_id: "/rebates/"),
    "agreement with shares": ("secretary", lambda agreement_id: f"/rebates/{agreement_id}"),
    "member's shares": ("member", lambda agreement_id: "/rebates/shares"),
    "agreements over the API": ("supplier", lambda agreement_id: "/api/v1/rebates"),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_the_query_count_does_not_grow_with_the_data(client, world, page):
    role, url = PAGES[page]
    user = world.user_for(role)
    headers = factories.api_token(user) if url(0).startswith("/api/") else {}
    if not headers:
        sign_in(client, user)
    small_url = url(_round(world, 2, 1))
    queries_for(client, small_url, headers=headers)  # the first use of a token records it: not the page's cost
    small = queries_for(client, small_url, headers=headers)
    large = queries_for(client, url(_round(world, 6, 4)), headers=headers)
    assert len(large) == len(small), "\n".join(large)
