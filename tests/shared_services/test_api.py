"""Shared-service pools over JSON: the same rules as the pages, in the design's error format."""

from kernel.extensions import db
from shared_services import services
from tests.factories import api_token
from tests.shared_services.conftest import make_pool, month_text, next_month


def _body(offer, consortium, **overrides) -> dict:
    return {
        "offer_id": offer.id,
        "consortium_ids": [consortium.id],
        "cost_per_period_pence": 60_000,
        "period": "quarter",
        "term_periods": 4,
        "start_date": next_month().isoformat(),
        "minimum_participants": 2,
        "allocation_key": "units",
        "notice_periods": 1,
    } | overrides


def test_create_open_join_and_list_participants(client, world, offer, members):
    secretary = api_token(world.secretary)
    response = client.post("/api/v1/shared-services", headers=secretary, json=_body(offer, world.consortium))
    assert response.status_code == 201, response.json
    pool_id = response.json["id"]
    assert response.json["status"] == "draft" and response.json["allocation_key"] == "units"
    assert client.post(f"/api/v1/shared-services/{pool_id}/open", headers=secretary).json["status"] == "open"
    assert client.post(f"/api/v1/shared-services/{pool_id}/open", headers=secretary).status_code == 409

    for (_member, user), units in zip(members, (1, 2, 3), strict=True):
        response = client.put(
            f"/api/v1/shared-services/{pool_id}/participation", headers=api_token(user), json={"units": units}
        )
        assert response.status_code == 201, response.json
        assert response.json["joined_from"] == 1 and response.json["history"][0]["action"] == "join"

    changed = client.put(
        f"/api/v1/shared-services/{pool_id}/participation", headers=api_token(world.member_user), json={"units": 1}
    )
    assert changed.status_code == 200 and len(changed.json["history"]) == 1  # no change, nothing recorded
    mine = client.get(f"/api/v1/shared-services/{pool_id}", headers=api_token(world.member_user)).json["mine"]
    assert mine[0]["this_period"] == {"period": 1, "label": mine[0]["this_period"]["label"], "share_pence": 10_000}
    participants = client.get(f"/api/v1/shared-services/{pool_id}/participants?per_page=2", headers=secretary).json
    assert participants["total"] == 3 and len(participants["items"]) == 2
    listed = client.get("/api/v1/shared-services?status=open", headers=api_token(world.member_user)).json
    assert [p["id"] for p in listed["items"]] == [pool_id] and listed["total"] == 1


def test_errors_are_404_409_and_422_with_field_messages(client, world, offer):
    secretary = api_token(world.secretary)
    bad = client.post(
        "/api/v1/shared-services",
        headers=secretary,
        json=_body(offer, world.consortium, period="fortnight", cost_per_period_pence="lots"),
    )
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"period", "cost_per_period_pence"}
    pool = make_pool(world.secretary, offer, [world.consortium], allocation_key=services.AllocationKey.UNITS)
    member = api_token(world.member_user)
    missing = client.put(f"/api/v1/shared-services/{pool.id}/participation", headers=member, json={})
    assert missing.status_code == 422 and "units" in missing.json["error"]["fields"]
    theirs = make_pool(world.admin, offer, [world.other_consortium])
    for response in (
        client.get(f"/api/v1/shared-services/{theirs.id}", headers=member),
        client.put(f"/api/v1/shared-services/{theirs.id}/participation", headers=member, json={"units": "x"}),
        client.get(f"/api/v1/shared-services/{theirs.id}/periods", headers=member),
    ):
        assert response.status_code == 404
    no_reason = client.post(f"/api/v1/shared-services/{pool.id}/cancel", headers=secretary, json={})
    assert no_reason.status_code == 422
    assert (
        client.post(f"/api/v1/shared-services/{pool.id}/cancel", headers=secretary, json={"reason": "No agency."}).json[
            "status"
        ]
        == "cancelled"
    )
    late = client.put(f"/api/v1/shared-services/{pool.id}/participation", headers=member, json={"units": 2})
    assert late.status_code == 409 and late.json["error"]["code"] == "conflict"


def test_leaving_and_the_billed_periods(client, runner, world, offer, members):
    pool = make_pool(world.secretary, offer, [world.consortium], notice_periods=1)
    for _, user in members:
        services.join(user, pool.id)
    db.session.commit()
    assert runner.invoke(args=["bill-shared-services", "--period", month_text(pool.start_date)]).exit_code == 0
    member = api_token(world.member_user)
    too_soon = client.post(
        f"/api/v1/shared-services/{pool.id}/participation/leave", headers=member, json={"after_period": 0}
    )
    assert (
        too_soon.status_code == 422
        and "asks 1 period of notice." in too_soon.json["error"]["fields"]["after_period"][0]
    )
    left = client.delete(f"/api/v1/shared-services/{pool.id}/participation", headers=member)
    assert left.status_code == 200 and left.json["left_after"] >= 1
    assert client.delete(f"/api/v1/shared-services/{pool.id}/participation", headers=member).status_code == 409

    page = client.get(f"/api/v1/shared-services/{pool.id}/periods", headers=member).json
    assert page["total"] == 1 and page["items"][0]["cost_pence"] == 100_000
    # a member reads its own share only; the secretary every share of the consortium's members
    assert [(c["member_id"], c["share_pence"], c["list_unit_price"]) for c in page["items"][0]["charges"]] == [
        (world.member.id, 50_000, "65.0000")
    ]
    secretary_view = client.get(f"/api/v1/shared-services/{pool.id}/periods", headers=api_token(world.secretary)).json
    charges = secretary_view["items"][0]["charges"]
    assert sum(c["share_pence"] for c in charges) == 100_000 and all(c["invoice_number"] for c in charges)
    own = client.get(f"/api/v1/shared-services/{pool.id}/participants", headers=member).json
    assert [p["member_id"] for p in own["items"]] == [world.member.id] and own["total"] == 1


def test_the_openapi_document_describes_the_shared_service_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"put", "delete"} <= set(paths["/api/v1/shared-services/{service_pool_id}/participation"])
    assert "/api/v1/shared-services/{service_pool_id}/periods" in paths
