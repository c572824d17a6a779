"""The supplier's demand dashboard, its CSV, chart and API, and the secretary's consortium dashboard."""

import csv
import io
from datetime import timedelta

from kernel.clock import utcnow
from kernel.extensions import db
from orders import demand, portal, services
from orders.models import PurchaseOrderStatus
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_closed_pool, make_offer, make_pool
from tests.orders.test_demand import build_demand
from tests.orders.test_query_counts import counted_queries


def switch_to(client, user):
    client.post("/sign-out")
    assert sign_in(client, user).status_code == 302


def read_csv(response) -> list[list[str]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


# The supplier's demand page


def test_supplier_sees_forecast_orders_and_totals_without_member_details(client, world):
    _offer, pools = build_demand(world)
    switch_to(client, world.supplier_user)
    page = client.get(f"/supplier/{world.supplier.id}/demand")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"Demand for {world.supplier.name}" in html
    assert f"Pool {pools['a'].id}" in html and f"Pool {pools['b'].id}" in html and f"Pool {pools['d'].id}" in html
    assert f"Pool {pools['c'].id}" not in html and "Laptops" not in html
    assert f"Pool {pools['e'].id}" not in html
    assert "About to tip" in html and "5 to go" in html and "145 to go" in html
    assert "£990.00" in html and "£1,100.00" in html and "£2,960.00" in html
    assert "1 sent, " not in html and "1 confirmed, 1 sent" in html
    for private in (world.member.name, world.other_member.name, "1 High Street", "DD1 1AA", "office@"):
        assert private not in html
    # Every offer together: no chart, as one offer's units never add to another's
    assert "pledged-units.svg" not in html and "Choose an offer" in html
    chosen = client.get(f"/supplier/{world.supplier.id}/demand?offer_id={_offer.id}").get_data(as_text=True)
    assert f'src="/supplier/{world.supplier.id}/demand/pledged-units.svg?offer_id={_offer.id}"' in chosen
    assert 'alt="Bar chart of the' in chosen


def test_demand_page_pages_the_pools_and_keeps_the_totals(client, world, monkeypatch):
    _offer, pools = build_demand(world)
    monkeypatch.setattr(portal, "POOLS_PER_PAGE", 1)
    switch_to(client, world.supplier_user)
    url = f"/supplier/{world.supplier.id}/demand"
    first = client.get(url).get_data(as_text=True)
    assert f"Pool {pools['a'].id}" in first and f"Pool {pools['b'].id}" not in first
    assert "2 open pools, soonest deadline first; page 1 of 2" in first
    assert f"Pool {pools['f'].id}" in first and f"Pool {pools['d'].id}" not in first  # latest order first
    assert (
        f'href="{url}?orders_page=1&amp;page=2">Next' in first
        and f'href="{url}?page=1&amp;orders_page=2">Next' in first
    )
    second = client.get(f"{url}?page=2&orders_page=2").get_data(as_text=True)
    assert f"Pool {pools['b'].id}" in second and f"Pool {pools['a'].id}" not in second
    assert f"Pool {pools['d'].id}" in second and f"Pool {pools['f'].id}" not in second
    for page in (first, second):
        assert "£2,090.00" in page  # the overview sums every open pool, not the page's
    beyond = client.get(f"{url}?page=9").get_data(as_text=True)
    assert "No open pools on this page: there are 2." in beyond


def test_demand_page_filters_by_offer_and_pools_about_to_tip(client, world):
    _offer, pools = build_demand(world)
    envelopes = make_offer(world.supplier, name="Envelopes")
    db.session.commit()
    other = make_pool(world.admin, envelopes, [world.consortium])
    services.pledge(world.admin, other.id, 3, member_id=world.member.id)
    db.session.commit()
    switch_to(client, world.supplier_user)
    url = f"/supplier/{world.supplier.id}/demand"
    html = client.get(f"{url}?offer_id={envelopes.id}").get_data(as_text=True)
    assert (
        f"Pool {other.id}" in html
        and f"Pool {pools['a'].id}" not in html
        and "No orders sent to you yet for this offer" in html
    )
    assert "Overview: Envelopes" in html and f'demand.csv?offer_id={envelopes.id}"' in html
    assert ">A4 copier paper</a>" in html  # the offers table still lists every offer
    tipping = client.get(f"{url}?about_to_tip=y").get_data(as_text=True)
    assert f"Pool {pools['a'].id}" in tipping and f"Pool {pools['b'].id}" not in tipping
    assert "1 open pool about to tip" in tipping
    for bad in ("abc", str(make_offer(world.other_supplier, name="Toner").id)):
        refused = client.get(f"{url}?offer_id={bad}")
        assert refused.status_code == 422 and 'class="invalid-feedback' in refused.get_data(as_text=True)
    rows = read_csv(client.get(f"/supplier/{world.supplier.id}/demand.csv?offer_id={envelopes.id}"))
    assert [row[3] for row in rows[1:]] == [str(other.id)]


def test_another_suppliers_demand_is_hidden_and_other_roles_are_refused(client, world):
    switch_to(client, world.supplier_user)
    for path in ("demand", "demand.csv", "demand/pledged-units.svg"):
        assert client.get(f"/supplier/{world.other_supplier.id}/{path}").status_code == 404
    switch_to(client, world.member_user)
    assert client.get(f"/supplier/{world.supplier.id}/demand").status_code == 403


def test_admin_sees_any_suppliers_demand(client, world):
    build_demand(world)
    switch_to(client, world.admin)
    assert client.get(f"/supplier/{world.other_supplier.id}/demand").status_code == 200
    assert "£990.00" in client.get(f"/supplier/{world.supplier.id}/demand").get_data(as_text=True)


def test_demand_csv_has_one_row_per_pool_with_the_pages_figures(client, world):
    offer, pools = build_demand(world)
    switch_to(client, world.supplier_user)
    response = client.get(f"/supplier/{world.supplier.id}/demand.csv")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="demand-supplier-')
    header, *rows = read_csv(response)
    assert header == demand.DEMAND_CSV_HEADER
    table = {(row[0], int(row[3])): dict(zip(header, row, strict=True)) for row in rows}
    assert set(table) == {
        ("forecast", pools["a"].id),
        ("forecast", pools["b"].id),
        ("order", pools["d"].id),
        ("order", pools["f"].id),
    }
    a = table["forecast", pools["a"].id]
    assert (
        a["Offer"],
        a["Units"],
        a["Members"],
        a["Unit price (£)"],
        a["Next tier from"],
        a["Units to next tier"],
        a["About to tip"],
        a["Value (£)"],
    ) == (offer.name, "45", "3", "22.0000", "50", "5", "yes", "990.00")
    assert table["forecast", pools["b"].id]["Consortia"] == "Lothians; Tayside"
    d = table["order", pools["d"].id]
    assert (d["Units"], d["Packs"], d["Value (£)"], d["Orders sent"], d["Orders confirmed"]) == (
        "160",
        "160",
        "2960.00",
        "1",
        "1",
    )


# The chart


def test_pledged_units_chart_is_a_script_free_svg_with_its_own_policy(client, world, pool):
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    db.session.commit()
    switch_to(client, world.supplier_user)
    response = client.get(f"/supplier/{world.supplier.id}/demand/pledged-units.svg?offer_id={pool.offer_id}")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert (
        response.headers["Content-Security-Policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    body = response.get_data(as_text=True)
    assert "<script" not in body and "pledged, by the week pools close" in body and ">12<" in body


# The API


def test_api_demand_shape(client, world):
    offer, pools = build_demand(world)
    response = client.get("/api/v1/supplier/demand", headers=api_token(world.supplier_user))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["supplier"] == {"id": world.supplier.id, "name": world.supplier.name}
    [item] = body["offers"]
    assert (item["id"], item["list_price"], item["forecast_units"], item["forecast_value_pence"]) == (
        offer.id,
        "25.0000",
        100,
        209000,
    )
    assert (
        item["open_pools"],
        item["pools_about_to_tip"],
        item["closed_pools"],
        item["orders"],
        item["ordered_units"],
        item["ordered_goods_pence"],
    ) == (2, 1, 2, 3, 160, 296000)
    assert item["tiers"][0] == {"min_quantity": 10, "unit_price": "22.0000"}
    assert body["forecast"] | {"items": None} == {"items": None, "page": 1, "per_page": 50, "total": 2}
    a = body["forecast"]["items"][0]
    assert (
        a["pool_id"] == pools["a"].id
        and a["offer_id"] == offer.id
        and a["pledged_units"] == 45
        and a["unit_price"] == "22.0000"
    )
    assert a["next_tier"] == {"min_quantity": 50, "unit_price": "20.0000", "units_to_go": 5, "progress_percent": 90}
    assert a["tier"] == {"min_quantity": 10, "unit_price": "22.0000"} and a["about_to_tip"] is True
    assert a["value_pence"] == 99000 and a["deadline"].endswith("+00:00")
    assert body["orders"]["total"] == 2
    d = next(o for o in body["orders"]["items"] if o["pool_id"] == pools["d"].id)
    assert d == d | {
        "units": 160,
        "packs": 160,
        "goods_pence": 296000,
        "pool_status": "ordered",
        "orders_by_status": {"sent": 1, "confirmed": 1},
        "consortia": ["Lothians", "Tayside"],
    }
    tay = next(t for t in body["by_consortium"] if t["label"] == "Tayside")
    assert tay == {
        "key": str(world.consortium.id),
        "label": "Tayside",
        "open_pools": 2,
        "forecast_units": 75,
        "forecast_value_pence": 159000,
        "orders": 1,
        "ordered_units": 100,
        "ordered_goods_pence": 185000,
    }
    assert [m["key"] for m in body["by_month"]] == ["2030-04", "2030-05", "2030-06"]
    for private in (world.member.name, world.other_member.name, "High Street"):
        assert private not in response.get_data(as_text=True)


def test_api_demand_pages_and_filters(client, world):
    offer, pools = build_demand(world)
    headers = api_token(world.supplier_user)
    url = "/api/v1/supplier/demand"
    page = client.get(f"{url}?per_page=1&page=2&orders_page=2", headers=headers).json
    assert [p["pool_id"] for p in page["forecast"]["items"]] == [pools["b"].id]
    assert (page["forecast"]["total"], page["forecast"]["page"], page["forecast"]["per_page"]) == (2, 2, 1)
    assert [p["pool_id"] for p in page["orders"]["items"]] == [pools["d"].id] and page["orders"]["total"] == 2
    assert page["offers"][0]["forecast_units"] == 100
    tipping = client.get(f"{url}?about_to_tip=true", headers=headers).json["forecast"]
    assert [p["pool_id"] for p in tipping["items"]] == [pools["a"].id] and tipping["total"] == 1
    assert client.get(f"{url}?offer_id={offer.id}", headers=headers).json["forecast"]["total"] == 2
    for bad, field in (
        ("per_page=201", "per_page"),
        ("page=0", "page"),
        ("orders_page=0", "orders_page"),
        ("offer_id=999999", "offer_id"),
        ("about_to_tip=maybe", "about_to_tip"),
    ):
        refused = client.get(f"{url}?{bad}", headers=headers)
        assert refused.status_code == 422 and field in refused.json["error"]["fields"], bad


def test_api_demand_as_csv_matches_the_pages_csv(client, world):
    build_demand(world)
    headers = api_token(world.supplier_user)
    api_csv = client.get("/api/v1/supplier/demand", headers=headers | {"Accept": "text/csv"})
    switch_to(client, world.supplier_user)
    page_csv = client.get(f"/supplier/{world.supplier.id}/demand.csv")
    assert read_csv(api_csv) == read_csv(page_csv) and len(read_csv(api_csv)) == 5


def test_api_demand_who_may_ask_for_which_supplier(client, world):
    url = "/api/v1/supplier/demand"
    supplier = api_token(world.supplier_user)
    assert client.get(f"{url}?supplier_id={world.supplier.id}", headers=supplier).status_code == 200
    assert client.get(f"{url}?supplier_id={world.other_supplier.id}", headers=supplier).status_code == 404
    assert client.get(f"{url}?supplier_id=abc", headers=supplier).status_code == 422
    assert client.get(url, headers=api_token(world.member_user)).status_code == 403
    assert client.get(url, headers=api_token(world.secretary)).status_code == 403
    admin = api_token(world.admin)
    missing = client.get(url, headers=admin)
    assert missing.status_code == 422 and "supplier_id" in missing.json["error"]["fields"]
    assert (
        client.get(f"{url}?supplier_id={world.other_supplier.id}", headers=admin).json["supplier"]["id"]
        == world.other_supplier.id
    )
    two = factories.user(
        "two@example.org",
        (factories.Role.SUPPLIER, world.supplier.id),
        (factories.Role.SUPPLIER, world.other_supplier.id),
    )
    db.session.commit()
    assert client.get(url, headers=api_token(two)).status_code == 422
    assert client.get(f"{url}?supplier_id={world.other_supplier.id}", headers=api_token(two)).status_code == 200


def test_api_demand_is_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/supplier/demand"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Demand"}
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "422"}
    assert operation["parameters"][0]["in"] == "query"


# The dashboard cards


def test_dashboard_cards_link_to_the_portal(client, world):
    switch_to(client, world.supplier_user)
    assert f"/supplier/{world.supplier.id}/demand" in client.get("/").get_data(as_text=True)
    switch_to(client, world.secretary)
    assert f"/consortium/{world.consortium.id}/dashboard" in client.get("/").get_data(as_text=True)


# The secretary's consortium dashboard


def test_secretary_dashboard_page(client, world, offer):
    now = utcnow()
    slow = make_pool(world.secretary, offer, [world.consortium], minimum=100, deadline=now + timedelta(days=2))
    services.pledge(world.admin, slow.id, 30, member_id=world.member.id)
    slow.opened_at = now - timedelta(days=2)
    quiet = factories.member(world.network, "Quiet Bakery CIC")
    closed = make_closed_pool(world.admin, offer, [(world.consortium, 100, PurchaseOrderStatus.CONFIRMED, [])])
    db.session.commit()
    switch_to(client, world.secretary)
    page = client.get(f"/consortium/{world.consortium.id}/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "at this pace: " in html and " of 100 by the deadline" in html
    assert f"TAY-PO-{closed.id:04d}" in html and "delivery" in html
    assert quiet.name in html and world.member.name not in html.split("never pledged")[1]
    assert "£660.00" in html  # 30 units at the £22 tier
    assert client.get(f"/consortium/{world.other_consortium.id}/dashboard").status_code == 404
    switch_to(client, world.supplier_user)
    assert client.get(f"/consortium/{world.consortium.id}/dashboard").status_code == 403


# Query counts do not grow with data


def _count(client, url, **kwargs) -> int:
    with counted_queries() as statements:
        response = client.get(url, **kwargs)
        assert response.status_code == 200, response.data[:500]
    return len(statements)


def _grow(world, offer):
    """More pools (one national), more pledges from more members, more orders."""
    for _ in range(3):
        pool = make_pool(world.admin, offer, [world.consortium])
        for _ in range(4):
            services.pledge(world.admin, pool.id, 7, 1, member_id=factories.member(world.network).id)
    national = make_pool(world.admin, offer, [world.consortium, world.other_consortium])
    services.pledge(world.admin, national.id, 9, member_id=factories.member(world.other_network).id)
    for _ in range(2):
        make_closed_pool(
            world.admin,
            offer,
            [
                (world.consortium, 30, PurchaseOrderStatus.SENT, []),
                (world.other_consortium, 20, PurchaseOrderStatus.CONFIRMED, []),
            ],
        )
    db.session.commit()


def test_portal_query_counts_do_not_grow_with_pools_pledges_or_orders(client, world):
    offer, _ = build_demand(world)
    supplier_headers = api_token(world.supplier_user)
    client.get("/api/v1/me", headers=supplier_headers)  # the token's first use is noted once
    urls = [
        f"/supplier/{world.supplier.id}/demand",
        f"/supplier/{world.supplier.id}/demand.csv",
        f"/supplier/{world.supplier.id}/demand/pledged-units.svg",
    ]
    switch_to(client, world.supplier_user)
    few = [_count(client, url) for url in urls] + [_count(client, "/api/v1/supplier/demand", headers=supplier_headers)]
    switch_to(client, world.secretary)
    few.append(_count(client, f"/consortium/{world.consortium.id}/dashboard"))

    _grow(world, offer)
    switch_to(client, world.supplier_user)
    more = [_count(client, url) for url in urls] + [_count(client, "/api/v1/supplier/demand", headers=supplier_headers)]
    switch_to(client, world.secretary)
    more.append(_count(client, f"/consortium/{world.consortium.id}/dashboard"))
    assert more == few, (few, more)
    assert few[0] <= 14, few
