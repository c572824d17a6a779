"""The report pages, CSVs, charts and API as each role sees them, and what they cost in queries."""

import csv
import io
import re
from datetime import date

from billing.models import CreditNote, Invoice
from catalogue.models import Offer
from kernel.extensions import db
from kernel.formatting import pounds
from reports import exports
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.test_query_counts import counted_queries
from tests.reports.conftest import build_trading, deliver_pool

API = "/api/v1/reports"


def switch_to(client, user):
    client.post("/sign-out")
    assert sign_in(client, user).status_code == 302


def read_csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_members_page_shows_its_saving_net_of_vat_with_charts_and_tables(client, trading):
    world = trading.world
    switch_to(client, world.member_user)
    response = client.get(f"/reports/member/{world.member.id}")
    assert response.status_code == 200
    page = _text(response)
    report = client.get(f"{API}/savings?scope=member&id={world.member.id}", headers=api_token(world.member_user))
    totals = report.get_json()["totals"]
    assert "All amounts are net of VAT." in page
    assert f"<strong>{pounds(totals['saving_pence'])}</strong> ({totals['saving_percent']}% off list price)" in page
    assert pounds(totals["spend_pence"]) in page and "Pools joined</dt><dd>2 " in page
    assert f'<td class="num">{pounds(totals["list_value_pence"] - 55 * 420)}</td>' in page  # April: the IT support
    for chart in ("saving-by-month.svg", "spend-by-category.svg"):
        assert f'src="/reports/member/{world.member.id}/{chart}"' in page
        svg = client.get(f"/reports/member/{world.member.id}/{chart}")
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert (
            svg.headers["Content-Security-Policy"]
            == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
        )
        assert b"<script" not in svg.data and b"net of VAT" in svg.data
    assert "February 2026" in page and "March 2026" in page and "Stationery" in page


def test_a_secretary_reads_the_consortium_then_its_networks_and_members(client, trading):
    world = trading.world
    switch_to(client, world.secretary)
    page = _text(client.get(f"/reports/consortium/{world.consortium.id}"))
    assert f'href="/reports/network/{world.network.id}">Dundee Network</a>' in page
    network = _text(client.get(f"/reports/network/{world.network.id}"))
    assert f'href="/reports/member/{world.member.id}">Re-Tweed Dundee CIC</a>' in network
    member_page = _text(client.get(f"/reports/member/{trading.neighbour.id}"))
    assert (
        f'› <a href="/reports/consortium/{world.consortium.id}">Tayside (consortium)</a> › '
        f'<a href="/reports/network/{world.network.id}">Dundee Network (network)</a>'
    ) in member_page
    assert client.get(f"/reports/member/{world.other_member.id}").status_code == 404
    assert client.get(f"/reports/network/{world.other_network.id}").status_code == 404
    assert client.get(f"/reports/consortium/{world.other_consortium.id}").status_code == 404
    assert client.get("/reports/platform").status_code == 403


def test_members_see_only_their_member_and_suppliers_only_their_sales(client, trading):
    world = trading.world
    switch_to(client, world.member_user)
    assert client.get(f"/reports/member/{trading.neighbour.id}").status_code == 404
    assert client.get(f"/reports/network/{world.network.id}").status_code == 404
    assert client.get(f"/reports/consortium/{world.consortium.id}").status_code == 404
    assert client.get(f"/reports/supplier/{world.supplier.id}").status_code == 403
    assert "/reports/network/" not in _text(client.get(f"/reports/member/{world.member.id}"))
    index = _text(client.get("/reports/"))
    assert f'href="/reports/member/{world.member.id}"' in index and "/reports/consortium/" not in index
    switch_to(client, world.supplier_user)
    assert client.get(f"/reports/member/{world.member.id}").status_code == 403
    assert client.get(f"/reports/supplier/{trading.commercial.id}").status_code == 404
    page = _text(client.get(f"/reports/supplier/{world.supplier.id}"))
    assert "Tayside" in page and "Copier paper (per ream)" in page and "All amounts are net of VAT." in page


def test_an_admin_sees_the_platform_broken_down_by_consortium(client, trading):
    world = trading.world
    switch_to(client, world.admin)
    page = _text(client.get("/reports/platform"))
    assert f'href="/reports/consortium/{world.other_consortium.id}">Lothians</a>' in page
    invoiced = db.session.scalar(db.select(db.func.sum(Invoice.net_pence)))
    credited = db.session.scalar(db.select(db.func.sum(CreditNote.net_pence)))
    assert f"<dt>Invoiced</dt><dd>{pounds(invoiced - credited)} on 7 invoices" in page
    dashboard = _text(client.get("/"))
    assert 'href="/reports/platform"' in dashboard and 'href="/reports/"' in dashboard


def test_the_csv_has_every_table_and_the_api_speaks_it_too(client, trading):
    world = trading.world
    switch_to(client, world.secretary)
    response = client.get(f"/reports/consortium/{world.consortium.id}.csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="tayside-savings-')
    header, *rows = read_csv(response)
    assert header == exports.SAVINGS_HEADER
    sections = {row[0] for row in rows}
    assert sections == {"total", "category", "month", "supplier", "network"}
    report = client.get(
        f"{API}/savings?scope=consortium&id={world.consortium.id}", headers=api_token(world.secretary)
    ).get_json()
    total = dict(zip(header, rows[0], strict=True))
    assert total["Spend (£, ex VAT)"] == f"{report['totals']['spend_pence'] / 100:.2f}"
    assert total["Saving (%)"] == report["totals"]["saving_percent"]
    api_csv = client.get(
        f"{API}/savings?scope=consortium&id={world.consortium.id}",
        headers=api_token(world.secretary) | {"Accept": "text/csv"},
    )
    assert read_csv(api_csv) == [header, *rows]
    switch_to(client, world.supplier_user)
    header, *rows = read_csv(client.get(f"/reports/supplier/{world.supplier.id}.csv"))
    assert header == exports.SUPPLIER_HEADER and len(rows) == 2


def test_the_api_answers_in_pence_and_names_bad_fields(client, trading):
    world = trading.world
    admin = api_token(world.admin)
    body = client.get(f"{API}/savings?scope=platform", headers=admin).get_json()
    assert isinstance(body["totals"]["spend_pence"], int) and isinstance(body["totals"]["saving_percent"], str)
    assert body["scope"] == {"kind": "platform", "id": None, "name": "All consortia", "child_kind": "consortium"}
    assert [row["label"] for row in body["by_child"]] == ["Lothians", "Tayside"]
    assert [row["key"] for row in body["by_month"]] == ["2026-02", "2026-03", "2026-04"]
    for query, field in (
        ("", "scope"),
        ("scope=county&id=1", "scope"),
        ("scope=member", "id"),
        ("scope=member&id=x", "id"),
        ("scope=member&id=0", "id"),
        ("scope=platform&id=3", "id"),
    ):
        response = client.get(f"{API}/savings?{query}", headers=admin)
        assert response.status_code == 422, query
        assert field in response.get_json()["error"]["fields"], query
    assert client.get(f"{API}/savings?scope=member&id=999999", headers=admin).status_code == 404
    member = api_token(world.member_user)
    assert client.get(f"{API}/savings?scope=member&id={world.member.id}", headers=member).status_code == 200
    assert client.get(f"{API}/savings?scope=member&id={world.other_member.id}", headers=member).status_code == 404
    assert client.get(f"{API}/savings?scope=network&id={world.network.id}", headers=member).status_code == 404
    assert client.get(f"{API}/savings?scope=platform", headers=member).status_code == 403
    supplier = api_token(world.supplier_user)
    assert client.get(f"{API}/savings?scope=member&id={world.member.id}", headers=supplier).status_code == 403
    sales = client.get(f"{API}/supplier", headers=supplier).get_json()
    assert sales["supplier"]["name"] == world.supplier.name
    assert sum(c["value_pence"] for c in sales["cells"]) == sales["totals"]["value_pence"]
    assert client.get(f"{API}/supplier?id={trading.commercial.id}", headers=supplier).status_code == 404
    assert client.get(f"{API}/supplier?id={trading.commercial.id}", headers=admin).status_code == 200
    assert "id" in client.get(f"{API}/supplier", headers=admin).get_json()["error"]["fields"]


def test_the_reports_are_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    savings = document["paths"][f"{API}/savings"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(savings["responses"])
    assert {"application/json", "text/csv"} == set(savings["responses"]["200"]["content"])
    assert f"{API}/supplier" in document["paths"]
    assert "spend_pence" in document["components"]["schemas"]["SavingsFigures"]["properties"]


def _queries_for(client, url, headers=None) -> int:
    with counted_queries() as statements:
        assert client.get(url, headers=headers or {}).status_code == 200
    return len(statements)


def test_report_queries_do_not_grow_with_the_number_of_invoices(client, world):
    build_trading(world, extra_members=1)
    switch_to(client, world.admin)
    urls = [
        "/reports/platform",
        f"/reports/consortium/{world.consortium.id}",
        f"/reports/network/{world.network.id}",
        f"/reports/member/{world.member.id}",
        f"/reports/supplier/{world.supplier.id}",
    ]
    token = api_token(world.admin)
    client.get("/api/v1/me", headers=token)  # the token's first use is noted once
    api_urls = [
        f"{API}/savings?scope=platform",
        f"{API}/savings?scope=member&id={world.member.id}",
        f"{API}/supplier?id={world.supplier.id}",
    ]
    few = [_queries_for(client, url) for url in urls] + [_queries_for(client, url, token) for url in api_urls]
    invoices_before = db.session.scalar(db.select(db.func.count()).select_from(Invoice))
    paper = db.session.scalar(db.select(Offer).where(Offer.name == "Copier paper"))
    members = [factories.member(world.network) for _ in range(25)] + [world.member]
    deliver_pool(world.admin, paper, [world.consortium], [(m, 4) for m in members], date(2026, 6, 5))
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == invoices_before + 26
    many = [_queries_for(client, url) for url in urls] + [_queries_for(client, url, token) for url in api_urls]
    assert many == few
