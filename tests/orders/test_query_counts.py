"""The pool page and endpoint cost the same number of queries however many members pledge."""

from kernel.extensions import db
from orders import services
from tests import factories
from tests.factories import api_token, sign_in
from tests.query_counts import counted_queries


def _pledge_from_new_members(world, pool, how_many):
    for _ in range(how_many):
        services.pledge(world.admin, pool.id, 3, 1, member_id=factories.member(world.network).id)
    db.session.commit()


def _queries_for(client, url, **kwargs) -> int:
    with counted_queries() as statements:
        assert client.get(url, **kwargs).status_code == 200
    return len(statements)


def test_pool_page_and_endpoint_queries_do_not_grow_with_pledges(client, world, pool):
    services.pledge(world.member_user, pool.id, 4, member_id=world.member.id)
    _pledge_from_new_members(world, pool, 1)
    headers = api_token(world.member_user)
    sign_in(client, world.member_user)
    client.get("/api/v1/me", headers=headers)  # the token's first use is noted once
    page_few = _queries_for(client, f"/pools/{pool.id}")
    api_few = _queries_for(client, f"/api/v1/pools/{pool.id}", headers=headers)
    list_few = _queries_for(client, "/api/v1/pools", headers=headers)

    _pledge_from_new_members(world, pool, 40)
    assert _queries_for(client, f"/pools/{pool.id}") == page_few
    assert _queries_for(client, f"/api/v1/pools/{pool.id}", headers=headers) == api_few
    assert _queries_for(client, "/api/v1/pools", headers=headers) == list_few


# Every other pledge into the pool waits while one holds the pool's lock, so the statements a
# pledge sends are its cost: the lock, the read under it (which finds the member too) and one write on
# PostgreSQL; SQLite has no writable CTEs, so the writes go one by one after a statement that takes its lock.
PLEDGE_STATEMENTS = {"postgresql": 3, "sqlite": 7}


def test_making_changing_and_withdrawing_a_pledge_each_cost_a_fixed_few_statements(world, pool, backend):
    pool_id, member_id = pool.id, factories.member(world.network).id
    db.session.commit()
    assert world.admin.is_admin  # the actor's roles are loaded once per request, not per pledge
    actions = [
        lambda: services.pledge(world.admin, pool_id, 3, 1, member_id=member_id),
        lambda: services.pledge(world.admin, pool_id, 5, 0, member_id=member_id),
        lambda: services.withdraw_pledge(world.admin, pool_id, member_id),
        lambda: services.pledge(world.admin, pool_id, 2, member_id=member_id),
    ]
    for action in actions:
        with counted_queries() as statements:
            action()
        assert len(statements) == PLEDGE_STATEMENTS[backend], statements
    db.session.commit()
    db.session.refresh(pool)
    assert (pool.pledged_quantity, pool.pledged_flexible, pool.member_count) == (2, 0, 1)
