"""Every page and export that lists things costs the same number of queries with 3 or 12 of each thing,
and every page shows the same rows with 3 or 12 of each thing once its lists are one row a page:
what it lists is paged, or summed up.

Each case builds a round of data of one size (members pledging into an open pool, a delivered
and invoiced purchase order, payments, our member's own invoices, a shared-service pool and its
participants, offers), counts the statements of one request for the round's objects, builds a
bigger round and counts again. The lists that span rounds (invoices, pools, aged debt...) hold
both rounds by then, so they grow too. The catalogue's categories are the platform's fixed
taxonomy, so every offer of a round is in one.
"""

from dataclasses import dataclass
from datetime import timedelta

from billing import payments
from billing import services as billing_services
from joining import services as joining
from kernel.clock import uk_today, utcnow
from kernel.extensions import db
from library import impact
from library import services as library
from library.models import AdoptionKind, PolicyCategory
from orders import closing, purchase_orders
from orders import services as orders_services
from organisations.models import Role
from shared_services import services as shared_services
from shared_services.models import AllocationKey, PeriodLength
from tests import factories
from tests.billing.conftest import issued_invoice
from tests.factories import World, sign_in
from tests.query_counts import queries_for, rows_shown

SMALL, LARGE = 3, 12


@dataclass
class Round:
    """The objects of one round of data, by the URL argument that names them."""

    pool_id: int
    order_id: int
    invoice_id: int
    service_pool_id: int
    offer_id: int
    credit_note_id: int
    template_id: int
    version_id: int
    measure_id: int
    application_id: int


def _round(w: World, size: int) -> Round:
    members = [factories.member(w.network) for _ in range(size)]
    for _ in range(size):
        factories.network(factories.consortium())
        factories.supplier()
    for _ in range(size):
        factories.user(None, (Role.MEMBER, members[0].id))
    category = factories.category("round-category")
    offers = [factories.offer(w.supplier, category, actor=w.admin) for _ in range(size)]
    terms = orders_services.PoolTerms(deadline=utcnow() + timedelta(days=14), minimum_quantity=1)

    open_pool = orders_services.create_pool(w.admin, offers[0], [w.consortium], terms)
    orders_services.open_pool(w.admin, open_pool)
    for member in [w.member, *members]:
        orders_services.pledge(w.admin, open_pool.id, 10, 2, member_id=member.id)

    closed = orders_services.create_pool(w.admin, offers[1], [w.consortium], terms)
    orders_services.open_pool(w.admin, closed)
    for member in [w.member, *members]:
        orders_services.pledge(w.admin, closed.id, 10, member_id=member.id)
    order = closing.close_pool(w.admin, closed.id).purchase_orders[0]
    purchase_orders.send(w.admin, order)
    purchase_orders.record_delivery(w.admin, order)
    issued = billing_services.issue_invoices(w.admin, order.id)
    ours = next(i for i in issued if i.member_id == w.member.id)
    for invoice in issued:
        if invoice.member_id != members[-1].id:
            payments.record_payment(w.admin, invoice, invoice.total_pence // 2, uk_today(), f"BACS {invoice.number}")
    for _ in range(size):
        own = issued_invoice(w.member, issue_date=uk_today() - timedelta(days=40))
        payments.record_payment(w.admin, own, 3_000, uk_today(), f"BACS {own.number}")
        payments.record_refund(w.admin, own, 1_000, uk_today(), f"Refund {own.number}")
        note = billing_services.issue_credit_note(w.admin, own, billing_services.full_credit(own)[:1], "Damaged")

    start = (uk_today().replace(day=1) + timedelta(days=32)).replace(day=1)
    service_terms = shared_services.PoolTerms(
        cost_per_period_pence=50_000,
        period=PeriodLength.MONTH,
        term_periods=12,
        start_date=start,
        minimum_participants=2,
        allocation_key=AllocationKey.EQUAL,
    )
    service = shared_services.create_pool(w.admin, offers[2], [w.consortium], service_terms)
    shared_services.open_pool(w.admin, service)
    for member in [w.member, *members]:
        shared_services.join(w.admin, service.id, member_id=member.id)
    template, version, measure = _library_round(w, [w.member, *members], size)
    db.session.commit()
    for member in members:
        joining.invite(w.admin, f"colleague-{member.id}@example.org", "A Colleague", Role.MEMBER, member.id)
        application = joining.submit_application(factories.application_data(w.network, f"Applicant {member.id} CIC"))
    db.session.commit()
    return Round(
        open_pool.id,
        order.id,
        ours.id,
        service.id,
        offers[0].id,
        note.id,
        template.id,
        version.id,
        measure.id,
        application.id,
    )


def _library_round(w: World, members, size: int):
    """`size` templates adopted by every member, one of them republished (a review task each), and `size` figures
    per member of the consortium's measure, half verified."""
    today = uk_today()
    made = []
    for n in range(size):
        template = library.create_template(w.secretary, w.consortium.id, f"Policy {n}", PolicyCategory.HR, None)
        draft = library.Draft("First", today, today + timedelta(days=300), f"# Policy {n}\n\nText.\n")
        version = library.add_version(w.secretary, template, draft)
        library.submit_for_review(w.secretary, version)
        library.publish(w.secretary, version)
        for member in members:
            library.adopt(w.admin, version, AdoptionKind.AS_IS, today, today + timedelta(days=9), member.id)
        made.append((template, version))
    template, _ = made[0]
    second = library.add_version(
        w.secretary, template, library.Draft("Two", today, today + timedelta(days=9), "# Two\n")
    )
    library.submit_for_review(w.secretary, second)
    library.publish(w.secretary, second)
    library.acknowledge(w.member_user, made[1][0], w.member.id)
    # Measures are the consortium's short list (impact.MAX_MEASURES), like categories: the rounds share one.
    measure = next(iter(impact.measures(w.consortium.id)), None) or impact.add_measure(
        w.secretary, w.consortium, "Jobs", "jobs", None
    )
    for member in members:
        for n in range(size):
            figure = impact.record(w.admin, member, measure.id, n, today - timedelta(days=9), today, "Payroll")
            if n % 2:
                impact.verify(w.secretary, figure)
    return template, second, measure


# (role, URL from the world and a round)
PAGES = {
    "dashboard": ("member", lambda w, r: "/"),
    "dashboard as secretary": ("secretary", lambda w, r: "/"),
    "dashboard as supplier": ("supplier", lambda w, r: "/"),
    "dashboard as admin": ("admin", lambda w, r: "/"),
    "pools": ("member", lambda w, r: "/pools/"),
    "pool page as member": ("member", lambda w, r: f"/pools/{r.pool_id}"),
    "pool page as secretary": ("secretary", lambda w, r: f"/pools/{r.pool_id}"),
    "my pledges": ("member", lambda w, r: "/pledges"),
    "close preview": ("secretary", lambda w, r: f"/pools/{r.pool_id}/close"),
    "purchase orders": ("secretary", lambda w, r: "/purchase-orders/"),
    "purchase order": ("secretary", lambda w, r: f"/purchase-orders/{r.order_id}"),
    "purchase order as supplier": ("supplier", lambda w, r: f"/purchase-orders/{r.order_id}"),
    "purchase order csv": ("supplier", lambda w, r: f"/purchase-orders/{r.order_id}.csv"),
    "invoices as member": ("member", lambda w, r: "/invoices/"),
    "invoices as secretary": ("secretary", lambda w, r: "/invoices/"),
    "invoice": ("member", lambda w, r: f"/invoices/{r.invoice_id}"),
    "invoice ubl": ("member", lambda w, r: f"/invoices/{r.invoice_id}.xml"),
    "credit note pdf": ("member", lambda w, r: f"/credit-notes/{r.credit_note_id}.pdf"),
    "credit note ubl": ("member", lambda w, r: f"/credit-notes/{r.credit_note_id}.xml"),
    "invoice pdf": ("member", lambda w, r: f"/invoices/{r.invoice_id}.pdf"),
    "member invoices csv": ("member", lambda w, r: "/invoices/export.csv"),
    "statement": ("member", lambda w, r: "/statement"),
    "statement pdf": ("member", lambda w, r: "/statement.pdf"),
    "statement csv": ("member", lambda w, r: "/statement.csv"),
    "billing page": ("secretary", lambda w, r: f"/billing/{w.consortium.id}"),
    "billing page, paid": ("secretary", lambda w, r: f"/billing/{w.consortium.id}?status=paid"),
    "payments received": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/payments"),
    "payments received csv": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/payments.csv"),
    "aged debt": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/aged-debt"),
    "aged debt csv": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/aged-debt.csv"),
    "xero export": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/xero.csv"),
    "shared-service pools": ("member", lambda w, r: "/shared-services/"),
    "shared-service pool as member": ("member", lambda w, r: f"/shared-services/{r.service_pool_id}"),
    "shared-service pool as secretary": ("secretary", lambda w, r: f"/shared-services/{r.service_pool_id}"),
    "shared-service calendar": ("secretary", lambda w, r: f"/consortia/{w.consortium.id}/shared-services/calendar"),
    "shared-service pool as admin": ("admin", lambda w, r: f"/shared-services/{r.service_pool_id}"),
    "shared-service calendar as admin": (
        "admin",
        lambda w, r: f"/consortia/{w.consortium.id}/shared-services/calendar",
    ),
    "catalogue": ("member", lambda w, r: "/catalogue/"),
    "offer": ("member", lambda w, r: f"/catalogue/offers/{r.offer_id}"),
    "supplier offers": ("supplier", lambda w, r: f"/catalogue/supplier/{w.supplier.id}/offers"),
    "supplier demand": ("supplier", lambda w, r: f"/supplier/{w.supplier.id}/demand"),
    "supplier demand csv": ("supplier", lambda w, r: f"/supplier/{w.supplier.id}/demand.csv"),
    "consortium dashboard": ("secretary", lambda w, r: f"/consortium/{w.consortium.id}/dashboard"),
    "member report": ("member", lambda w, r: f"/reports/member/{w.member.id}"),
    "member report csv": ("member", lambda w, r: f"/reports/member/{w.member.id}.csv"),
    "network report": ("secretary", lambda w, r: f"/reports/network/{w.network.id}"),
    "consortium report": ("secretary", lambda w, r: f"/reports/consortium/{w.consortium.id}"),
    "consortium saving by month": (
        "secretary",
        lambda w, r: f"/reports/consortium/{w.consortium.id}/saving-by-month.svg",
    ),
    "consortium spend by category": (
        "secretary",
        lambda w, r: f"/reports/consortium/{w.consortium.id}/spend-by-category.svg",
    ),
    "consortium report csv": ("secretary", lambda w, r: f"/reports/consortium/{w.consortium.id}.csv"),
    "platform report": ("admin", lambda w, r: "/reports/platform"),
    "supplier report": ("supplier", lambda w, r: f"/reports/supplier/{w.supplier.id}"),
    "supplier value by month": ("supplier", lambda w, r: f"/reports/supplier/{w.supplier.id}/value-by-month.svg"),
    "supplier pledged units chart": ("supplier", lambda w, r: f"/supplier/{w.supplier.id}/demand/pledged-units.svg"),
    "reports": ("secretary", lambda w, r: "/reports/"),
    "supplier report csv": ("supplier", lambda w, r: f"/reports/supplier/{w.supplier.id}.csv"),
    "new pool form": ("secretary", lambda w, r: "/pools/new"),
    "new shared-service pool form": ("secretary", lambda w, r: "/shared-services/new"),
    "pool prices form": ("supplier", lambda w, r: f"/supplier/pools/{r.pool_id}/prices"),
    "new offer form": ("supplier", lambda w, r: f"/catalogue/supplier/{w.supplier.id}/offers/new"),
    "price chart": ("member", lambda w, r: f"/catalogue/offers/{r.offer_id}/price-chart.svg"),
    "member profile": ("member", lambda w, r: f"/members/{w.member.id}/profile"),
    "email choices": ("member", lambda w, r: "/account/notifications"),
    "change password": ("member", lambda w, r: "/account/password"),
    "where you are signed in": ("member", lambda w, r: "/account/sessions"),
    "two-factor sign-in": ("secretary", lambda w, r: "/account/two-factor"),
    "forgotten password": ("member", lambda w, r: "/password/forgot"),
    "admin new member form": ("admin", lambda w, r: "/admin/members/new"),
    "admin member": ("admin", lambda w, r: f"/admin/members/{w.member.id}"),
    "admin user": ("admin", lambda w, r: f"/admin/users/{w.member_user.id}"),
    "admin": ("admin", lambda w, r: "/admin/"),
    "admin consortia": ("admin", lambda w, r: "/admin/consortia"),
    "admin networks": ("admin", lambda w, r: "/admin/networks"),
    "admin members": ("admin", lambda w, r: "/admin/members"),
    "admin suppliers": ("admin", lambda w, r: "/admin/suppliers"),
    "admin users": ("admin", lambda w, r: "/admin/users"),
    "outbox": ("admin", lambda w, r: "/admin/outbox"),
    "outbox by kind and state": ("admin", lambda w, r: "/admin/outbox?kind=pool_opened&state=not+sent"),
    "policy library as member": ("member", lambda w, r: "/library/"),
    "policy library as secretary": ("secretary", lambda w, r: "/library/?q=policy"),
    "policy template as member": ("member", lambda w, r: f"/library/templates/{r.template_id}"),
    "policy template as secretary": ("secretary", lambda w, r: f"/library/templates/{r.template_id}"),
    "policy version as member": ("member", lambda w, r: f"/library/versions/{r.version_id}"),
    "new policy version form": ("secretary", lambda w, r: f"/library/templates/{r.template_id}/versions/new"),
    "policy review tasks": ("member", lambda w, r: "/library/tasks"),
    "policy adoption grid": ("secretary", lambda w, r: f"/library/consortia/{w.consortium.id}"),
    "policy adoption grid csv": ("secretary", lambda w, r: f"/library/consortia/{w.consortium.id}.csv"),
    "impact as member": ("member", lambda w, r: f"/impact/member/{w.member.id}"),
    "impact of a consortium": ("secretary", lambda w, r: f"/impact/consortium/{w.consortium.id}"),
    "impact of a consortium pdf": ("secretary", lambda w, r: f"/impact/consortium/{w.consortium.id}.pdf"),
    "impact of a consortium csv": ("secretary", lambda w, r: f"/impact/consortium/{w.consortium.id}.csv"),
    "impact of a consortium chart": ("secretary", lambda w, r: f"/impact/consortium/{w.consortium.id}/measures.svg"),
    "impact of the platform": ("admin", lambda w, r: "/impact/platform"),
    "impact measures": ("secretary", lambda w, r: f"/impact/consortia/{w.consortium.id}/measures"),
    "impact records": ("member", lambda w, r: f"/impact/members/{w.member.id}/records"),
    "impact of a network": ("secretary", lambda w, r: f"/impact/network/{w.network.id}"),
    "edit impact measure form": ("secretary", lambda w, r: f"/impact/measures/{r.measure_id}/edit"),
    "audit log": ("admin", lambda w, r: "/admin/audit"),
    "invitations as secretary": ("secretary", lambda w, r: "/invitations"),
    "invitations as member": ("member", lambda w, r: "/invitations"),
    "applications": ("secretary", lambda w, r: "/applications"),
    "application": ("secretary", lambda w, r: f"/applications/{r.application_id}"),
    "join": ("member", lambda w, r: "/join"),
    "membership import": ("secretary", lambda w, r: f"/consortia/{w.consortium.id}/import"),
    "membership export csv": ("secretary", lambda w, r: f"/consortia/{w.consortium.id}/export.csv"),
    "membership export xlsx": ("secretary", lambda w, r: f"/consortia/{w.consortium.id}/export.xlsx"),
    "my data": ("member", lambda w, r: "/account/my-data"),
    # The choosers' searches
    "new pool form, searching": ("admin", lambda w, r: "/pools/new?offer_search=offer&consortium_search=a"),
    "catalogue, finding a supplier": ("member", lambda w, r: "/catalogue/?supplier_search=a"),
    "supplier demand, finding an offer": ("supplier", lambda w, r: f"/supplier/{w.supplier.id}/demand?offer_search=o"),
    "admin member, finding a network": ("admin", lambda w, r: f"/admin/members/{w.member.id}?network_search=n"),
    "admin user, finding an organisation": ("admin", lambda w, r: f"/admin/users/{w.member_user.id}?grant_search=a"),
}

# Later pages: their rows are those past the first page, which the first round may not fill, so
# only their query counts are compared.
LATER_PAGES = {
    "statement, page 2": ("member", lambda w, r: "/statement?page=2"),
    "aged debt, page 2": ("secretary", lambda w, r: f"/billing/{w.consortium.id}/aged-debt?page=2"),
    "close preview, page 2": ("secretary", lambda w, r: f"/pools/{r.pool_id}/close?page=2"),
    "shared-service pool, later pages": (
        "secretary",
        lambda w, r: f"/shared-services/{r.service_pool_id}?participants_page=2&history_page=2",
    ),
    "consortium dashboard, later pages": (
        "secretary",
        lambda w, r: f"/consortium/{w.consortium.id}/dashboard?page=2&risk_page=2&orders_page=2&members_page=2",
    ),
    "network report, page 2": ("secretary", lambda w, r: f"/reports/network/{w.network.id}?children_page=2"),
    "platform report, later pages": ("admin", lambda w, r: "/reports/platform?children_page=2&suppliers_page=2"),
    "supplier demand, offers page 2": ("supplier", lambda w, r: f"/supplier/{w.supplier.id}/demand?offers_page=2"),
    "supplier report, offers page 2": ("supplier", lambda w, r: f"/reports/supplier/{w.supplier.id}?offers_page=2"),
}


# The cases are split between this file and test_query_counts_second_half.py so that the suite's workers,
# which take a file each, share them. Each half builds its two rounds once and measures all its pages on them:
# pages only read, so they can share the rounds, and building rounds is what takes the time.
ALL_PAGES = [*PAGES, *LATER_PAGES]
FIRST_HALF, SECOND_HALF = ALL_PAGES[: len(ALL_PAGES) // 2], ALL_PAGES[len(ALL_PAGES) // 2 :]


def test_the_query_count_does_not_grow_with_the_data(app, world):
    check_pages(app, world, FIRST_HALF)


@dataclass
class Measure:
    queries: list[str]
    rows: int | None


def check_pages(app, world, pages: list[str]) -> None:
    """Every page's statements, and rows where compared, on a small round and then a large one: all equal."""
    clients = {}

    def measure(page: str, objects: Round) -> Measure:
        role, url = PAGES.get(page) or LATER_PAGES[page]
        if role not in clients:
            clients[role] = app.test_client()
            sign_in(clients[role], world.user_for(role))
        client, address = clients[role], url(world, objects)
        rows_compared = page in PAGES
        return Measure(queries_for(client, address), rows_shown(client, address) if rows_compared else None)

    small_round = _round(world, SMALL)
    small = {page: measure(page, small_round) for page in pages}
    large_round = _round(world, LARGE)
    problems = []
    for page in pages:
        large = measure(page, large_round)
        if len(large.queries) != len(small[page].queries):
            problems.append(
                f"{page}: {len(small[page].queries)} queries with {SMALL}, {len(large.queries)} with {LARGE}:\n"
                + "\n".join(large.queries)
            )
        if large.rows != small[page].rows:
            problems.append(
                f"{page}: the page lists more rows with more data ({small[page].rows} -> {large.rows}): page or sum them"
            )
    assert not problems, "\n\n".join(problems)


def test_a_signed_in_request_finds_its_person_in_one_query(client, world):
    """The session, its user, their roles and authenticator: one indexed lookup by the cookie's key."""
    sign_in(client, world.secretary)
    statements = queries_for(client, "/account/password")
    assert len(statements) == 1, "\n".join(statements)
    assert "sign_in_session.key_hash" in statements[0]


def test_the_sessions_page_costs_the_same_with_more_sessions(app, client, world):
    def sign_in_elsewhere(count: int) -> None:
        for _ in range(count):
            sign_in(app.test_client(), world.member_user)

    sign_in(client, world.member_user)
    sign_in_elsewhere(SMALL)
    small = queries_for(client, "/account/sessions")
    sign_in_elsewhere(LARGE)
    large = queries_for(client, "/account/sessions")
    assert len(large) == len(small), "\n".join(large)
