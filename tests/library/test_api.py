"""The policy library over JSON: the same rules as the pages."""

import base64
from datetime import timedelta

from kernel.clock import uk_today
from tests.factories import api_token
from tests.library.conftest import PDF, other_member_user


def test_publish_adopt_republish_and_the_grid_over_the_api(client, world):
    secretary, member = api_token(world.secretary), api_token(world.member_user)
    made = client.post(
        "/api/v1/library/templates",
        headers=secretary,
        json={"consortium_id": world.consortium.id, "title": "Data protection", "category": "data_protection"},
    )
    assert made.status_code == 201, made.json
    template_id = made.json["id"]
    today = uk_today()
    body = {
        "change_note": "First",
        "effective_date": today.isoformat(),
        "review_by": (today + timedelta(days=365)).isoformat(),
        "body_markdown": "# Data\n\nKeep it safe.",
    }
    version = client.post(f"/api/v1/library/templates/{template_id}/versions", headers=secretary, json=body).json
    assert version["status"] == "draft" and version["changes"] is None
    assert client.post(f"/api/v1/library/versions/{version['id']}/publish", headers=secretary).status_code == 409
    client.post(f"/api/v1/library/versions/{version['id']}/submit", headers=secretary)
    assert (
        client.post(f"/api/v1/library/versions/{version['id']}/publish", headers=secretary).json["status"]
        == "published"
    )

    listed = client.get("/api/v1/library/templates?q=keep+it+safe", headers=member).json
    assert [t["title"] for t in listed["items"]] == ["Data protection"] and listed["total"] == 1
    assert client.get("/api/v1/library/templates", headers=api_token(other_member_user(world))).json["total"] == 0

    adoption = client.post(
        f"/api/v1/library/versions/{version['id']}/adoptions",
        headers=member,
        json={
            "kind": "local_changes",
            "board_approved_on": today.isoformat(),
            "next_review_on": (today + timedelta(days=200)).isoformat(),
            "document_base64": base64.b64encode(PDF).decode(),
            "document_name": "ours.pdf",
        },
    )
    assert adoption.status_code == 201, adoption.json
    assert adoption.json["kind"] == "local_changes" and adoption.json["document_name"] == "ours.pdf"

    second = client.post(
        f"/api/v1/library/templates/{template_id}/versions",
        headers=secretary,
        json=body | {"change_note": "Retention", "body_markdown": "# Data\n\nKeep it safe for six years."},
    ).json
    client.post(f"/api/v1/library/versions/{second['id']}/submit", headers=secretary)
    published = client.post(f"/api/v1/library/versions/{second['id']}/publish", headers=secretary).json
    assert [line["kind"] for line in published["changes"]] == ["same", "same", "removed", "added"]

    tasks = client.get("/api/v1/library/tasks", headers=member).json
    assert [(t["version_number"], t["overdue"], t["done_at"]) for t in tasks["items"]] == [(2, False, None)]
    grid = client.get(f"/api/v1/library/consortia/{world.consortium.id}/adoption", headers=secretary).json
    row = next(r for r in grid["rows"] if r["member_id"] == world.member.id)
    assert row["cells"] == [
        {"template_id": template_id, "state": "to review", "version_number": 1, "kind": "local_changes"}
    ]


def test_bad_input_is_a_422_naming_the_field(client, world, template):
    secretary = api_token(world.secretary)
    today = uk_today()
    response = client.post(
        f"/api/v1/library/templates/{template.id}/versions",
        headers=secretary,
        json={
            "change_note": "x",
            "effective_date": today.isoformat(),
            "review_by": today.isoformat(),
            "body_markdown": "x",
        },
    )
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"review_by": ["The review-by date comes after the effective date."]}
