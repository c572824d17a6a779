"""Every HTML page of the demo, as each demo account, small and grown (issue 14).

    .venv/bin/python -m bench.pages [--members 10000] [--pools 1000] [--repeat 20]

Loads the demo (`flask demo`) into a throwaway database and finds, for each demo account, every
HTML page it can reach by following links from its dashboard (one page for each route and set of
query arguments). It counts each page's queries in process, then grows the world with
bench.seeding: thousands of members with their users pledging into the secretary's open pools and
taking part in its shared services, more open pools, and one more pool closed, delivered and
invoiced to every member (thousands of invoices and allocations). It counts the queries again
and, under gunicorn (2 workers), signs in as each account, warms each page up and requests it
`--repeat` times. Targets (issue 14, PostgreSQL): p95 under 100 ms, and the same query count at
both sizes.
"""

import argparse
import http.client
import re
import statistics
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import event, select, text
from werkzeug.exceptions import HTTPException

from bench.common import (
    AUTHENTICATOR_SCOPE,
    Figure,
    add_backend_option,
    bench_app,
    chosen_backends,
    gunicorn,
    sign_in_cookie,
    throwaway_database,
)
from bench.seeding import add_members, add_participants, add_pledges, add_users, bulk
from billing import services as billing_services
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, purchase_orders
from orders import services as orders_services
from orders.models import Pool, PoolStatus, PoolTier, pool_consortium
from organisations.demo import DEMO_PASSWORD, demo_authenticator_code
from organisations.models import Consortium, Network, Role, RoleGrant, User
from shared_services.models import ServicePool, ServicePoolStatus, service_pool_consortium

TARGET_MS = 100
ACCOUNTS = ("admin@example.org", "secretary@example.org", "member@example.org", "supplier@example.org")
NOT_PAGES = (".csv", ".pdf", ".xml", ".svg", ".json")
SKIPPED = {"marketplace.sign_out", "notifications.unsubscribe"}  # leaving, or a link from an email
_LINK = re.compile(r'href="(/[^"#]*)"')


ANONYMOUS = "signed out"


@dataclass
class Page:
    account: str
    url: str
    queries: dict[str, int] = field(default_factory=dict)  # by size: "small", "grown"
    latencies: list[float] = field(default_factory=list)

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000

    @property
    def met(self) -> bool:
        return self.percentile(95) < TARGET_MS and self.queries["small"] == self.queries["grown"]


def _sign_in(client, email: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post(
        "/sign-in",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/sign-in"},  # the test client speaks https, as production prefers
    )
    if answer.status_code == 302 and answer.headers["Location"].endswith("/sign-in/code"):
        page = client.get("/sign-in/code").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        code = demo_authenticator_code(AUTHENTICATOR_SCOPE, email)
        answer = client.post(
            "/sign-in/code",
            data={"code": code, "csrf_token": token},
            headers={"Referer": "https://localhost/sign-in/code"},
        )
    if answer.status_code != 302:
        raise RuntimeError(f"{email} could not sign in: {answer.status_code}")


def _route(app, url: str) -> tuple[str, tuple[str, ...]] | None:
    """The page's kind: its endpoint and the names of its query arguments; None for what is not a page."""
    parts = urlsplit(url)
    if parts.path.startswith(("/static/", "/api/")) or parts.path.endswith(NOT_PAGES):
        return None
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return None
    if endpoint in SKIPPED:
        return None
    return endpoint, tuple(sorted({name for name, _ in parse_qsl(parts.query)}))


def find_pages(app, email: str, limit: int = 200) -> list[str]:
    """One URL for each kind of HTML page the account reaches from its dashboard by following links."""
    client = app.test_client()
    _sign_in(client, email)
    seen: dict[tuple, str] = {}
    queue = deque(["/"])
    while queue and len(seen) < limit:
        url = queue.popleft()
        kind = _route(app, url)
        if kind is None or kind in seen:
            continue
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        seen[kind] = url
        queue.extend(_LINK.findall(response.get_data(as_text=True).replace("&amp;", "&")))
    return sorted(seen.values())


def count_queries(app, pages: list[Page], size: str) -> None:
    """Each page's statements, counted in process on its second request (the first warms the caches)."""
    clients = {}
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    # No app context is held across requests: each request has its own, so `g` (the signed-in user,
    # the CSRF token) is never carried from one account's request to another's.
    for page in pages:
        if page.account not in clients:
            clients[page.account] = app.test_client()
            _sign_in(clients[page.account], page.account)
        clients[page.account].get(page.url)
        event.listen(engine, "before_cursor_execute", count)
        try:
            status = clients[page.account].get(page.url).status_code
        finally:
            event.remove(engine, "before_cursor_execute", count)
        page.queries[size] = len(statements) if status == 200 else -status
        statements.clear()


def grow(app, members: int, pools: int) -> dict[str, int]:
    """The secretary's consortium grown: members and users, their pledges and participations, pools, invoices."""
    with app.app_context():
        secretary = db.session.scalar(select(User).where(User.email == "secretary@example.org"))
        consortium_id = next(g.consortium_id for g in secretary.grants if g.role is Role.SECRETARY)
        demo_member = db.session.scalar(
            select(RoleGrant.member_id).join(User).where(User.email == "member@example.org")
        )
        networks = db.session.scalars(select(Network.id).where(Network.consortium_id == consortium_id)).all()
        member_ids = add_members(list(networks), members)
        users = add_users(member_ids)
        in_consortium = select(pool_consortium.c.pool_id).where(pool_consortium.c.consortium_id == consortium_id)
        open_pools = db.session.scalars(
            select(Pool).where(Pool.id.in_(in_consortium), Pool.status == PoolStatus.OPEN).order_by(Pool.id)
        ).all()
        pledges = add_pledges([p.id for p in open_pools], member_ids)
        template = open_pools[0]
        first_pool = (db.session.scalar(select(db.func.max(Pool.id))) or 0) + 1
        copied = {
            c.key: getattr(template, c.key)
            for c in Pool.__table__.columns
            if c.key not in ("id", "pledged_quantity", "pledged_flexible", "member_count")
        }
        bulk(
            Pool,
            [
                copied
                | {
                    "id": first_pool + n,
                    "deadline": utcnow() + timedelta(days=1 + n % 60),
                    "pledged_quantity": 0,
                    "pledged_flexible": 0,
                    "member_count": 0,
                }
                for n in range(pools)
            ],
        )
        bulk(pool_consortium, [{"pool_id": first_pool + n, "consortium_id": consortium_id} for n in range(pools)])
        bulk(
            PoolTier,
            [
                {"pool_id": first_pool + n, "min_quantity": t.min_quantity, "unit_price": t.unit_price}
                for n in range(pools)
                for t in template.held_tiers
            ],
        )
        services = db.session.scalars(
            select(ServicePool.id).where(
                ServicePool.id.in_(
                    select(service_pool_consortium.c.service_pool_id).where(
                        service_pool_consortium.c.consortium_id == consortium_id
                    )
                ),
                ServicePool.status.in_([ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE]),
            )
        ).all()
        participants = add_participants(list(services), member_ids, secretary.id)
        _reset_sequences()
        db.session.commit()

        invoiced = orders_services.create_pool(
            secretary,
            template.offer,
            [db.session.get(Consortium, consortium_id)],
            orders_services.PoolTerms(deadline=utcnow() + timedelta(days=1), minimum_quantity=1),
        )
        orders_services.open_pool(secretary, invoiced)
        add_pledges([invoiced.id], [demo_member, *member_ids])
        db.session.commit()
        order = closing.close_pool(secretary, invoiced.id).purchase_orders[0]
        purchase_orders.send(secretary, order)
        purchase_orders.record_delivery(secretary, order)
        invoices = len(billing_services.issue_invoices(secretary, order.id))
        db.session.commit()
        _analyse()
        return {
            "members": len(member_ids),
            "users": len(users),
            "pledges": pledges,
            "pools": pools,
            "participations": participants,
            "invoices": invoices,
        }


def _reset_sequences() -> None:
    """Bulk inserts name their ids; PostgreSQL's sequences must move past them before the app inserts."""
    if db.engine.dialect.name != "postgresql":
        return
    for table in ("organisation", "member", "user", "pool", "pool_tier", "participation", "participation_change"):
        db.session.execute(
            text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), (SELECT max(id) FROM \"{table}\"))")
        )


def _analyse() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def time_pages(host: str, port: int, pages: list[Page], repeat: int, warmup: int = 3) -> None:
    """Each page requested one after another on a kept-alive connection: warm-up first, then `repeat` times.
    A page of the account ANONYMOUS is requested signed out."""
    accounts = {p.account for p in pages} - {ANONYMOUS}
    cookies = {account: sign_in_cookie(host, port, account, DEMO_PASSWORD) for account in accounts}
    connection = http.client.HTTPConnection(host, port, timeout=60)
    for page in pages:
        headers = {"Cookie": cookies[page.account]} if page.account in cookies else {}
        for n in range(warmup + repeat):
            started = time.perf_counter()
            connection.request("GET", page.url, headers=headers)
            response = connection.getresponse()
            response.read()
            if n >= warmup:
                page.latencies.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"{page.account} GET {page.url}: {response.status}")
    connection.close()


def run(backend: str, members: int, pools: int, repeat: int) -> list[dict]:
    with throwaway_database(backend) as url:
        app = bench_app(url)
        started = time.monotonic()
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["demo"])
            db.engine.dispose()
        if result.exit_code != 0:
            raise RuntimeError(f"flask demo failed: {result.output}") from result.exception
        pages = [Page(account, page_url) for account in ACCOUNTS for page_url in find_pages(app, account)]
        count_queries(app, pages, "small")
        grown = grow(app, members, pools)
        built = time.monotonic() - started
        count_queries(app, pages, "grown")
        with app.app_context():
            db.engine.dispose()
        # The baseline: the cheapest page through the same server, middleware and templates, signed out, no query.
        baseline = Page(ANONYMOUS, "/sign-in")
        with gunicorn(url) as (host, port):
            time_pages(host, port, [baseline, *pages], repeat)
    scale = ", ".join(f"{value:,} {name}" for name, value in grown.items())
    print(
        f"\n{backend}: the demo, grown by {scale} (built in {built:.0f} s); gunicorn 2 workers, {repeat} requests each"
    )
    print(f"{'account':<24}{'page':<64}{'median ms':>10}{'p95 ms':>9}{'queries':>12}   target")
    figures = []
    for page in pages:
        queries = f"{page.queries['small']} -> {page.queries['grown']}"
        print(
            f"{page.account:<24}{page.url[:63]:<64}{page.percentile(50):>10.1f}{page.percentile(95):>9.1f}"
            f"{queries:>12}   {'met' if page.met else 'NOT met'}"
        )
        figures.append(
            Figure(
                "pages",
                f"{page.account.split('@')[0]} GET {page.url} ({backend})",
                f"p95 < {TARGET_MS} ms, queries equal",
                f"median {page.percentile(50):.0f}, p95 {page.percentile(95):.0f} ms; queries {queries}",
                page.met,
            )
        )
    base = f"median {baseline.percentile(50):.1f}, p95 {baseline.percentile(95):.1f} ms"
    print(f"baseline: GET /sign-in signed out, {base}")
    figures.append(
        Figure("pages", f"baseline: GET /sign-in signed out, same server ({backend})", "reported", base, None)
    )
    missed = sum(not p.met for p in pages)
    print(f"{len(pages)} pages, {missed} missing a target")
    return [{"backend": backend, "grown": grown, "pages": len(pages), "missed": missed, "figures": figures}]


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--pools", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=20)
    add_backend_option(parser)
    args = parser.parse_args(argv)
    return [row for backend in chosen_backends(args) for row in run(backend, args.members, args.pools, args.repeat)]


if __name__ == "__main__":
    main()
