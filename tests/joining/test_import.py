"""Bringing a consortium's membership in from CSV or XLSX, all or nothing, and exporting it in the same format."""

import base64
import io

from sqlalchemy import func, select

from joining import importing, services, sheet
from joining.models import Invitation
from kernel.extensions import db
from organisations.audit import AuditEntry
from organisations.models import Member, Network, Organisation, Role
from tests import factories
from tests.factories import api_token, sign_in

GOOD = (
    ",".join(sheet.COLUMNS) + "\r\n"
    "Perth Network,Tay Valley Bikes CIC,2 Mill Wynd,,Perth,PH1 5AA,hello@bikes.example.org,01738 000000,"
    "GB123456789,SC000111,under_100k,4,Iona Bike,iona@bikes.example.org\r\n"
    "Perth Network,Tay Valley Bikes CIC,2 Mill Wynd,,Perth,PH1 5AA,hello@bikes.example.org,01738 000000,"
    "GB123456789,SC000111,under_100k,4,Angus Bike,angus@bikes.example.org\r\n"
    "Dundee Network,Dundee Print Co-op,5 Dock St,Unit 2,Dundee,DD1 3AA,print@coop.example.org,,,,500k_2m,30,,\r\n"
    "Angus Network,,,,,,,,,,,,,\r\n"
)
BAD = GOOD.replace(
    "PH1 5AA,hello@bikes.example.org,01738 000000,GB123456789,SC000111,under_100k,4,Angus",
    "PH1,hello@bikes.example.org,01738 000000,GB123456789,SC000111,under_100k,4,Angus",
).replace("500k_2m,30", "enormous,30")


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Network, Member, Invitation))


def _upload(client, consortium_id: int, content: bytes, filename: str = "members.csv"):
    return client.post(
        f"/consortia/{consortium_id}/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def test_a_file_with_errors_names_each_by_row_and_column_and_makes_nothing(client, world):
    before = _counts()
    sign_in(client, world.secretary)
    response = _upload(client, world.consortium.id, BAD.encode())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "2 errors: nothing will be imported" in page
    assert "<td>3</td><td>postcode</td>" in page and "<td>3</td><td>address_line1</td>" not in page
    assert "<td>4</td><td>turnover_band</td>" in page
    confirmed = client.post(
        f"/consortia/{world.consortium.id}/import",
        data={"content": base64.b64encode(BAD.encode()).decode(), "filename": "members.csv", "confirm": "1"},
    )
    assert confirmed.status_code == 422 and "2 errors: nothing will be imported" in confirmed.get_data(as_text=True)
    assert _counts() == before


def test_a_valid_file_is_previewed_then_imported_in_one_go_and_its_contacts_invited(client, world):
    before = _counts()
    sign_in(client, world.secretary)
    preview = _upload(client, world.consortium.id, GOOD.encode())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "2 new networks (Perth Network, Angus Network)" in page and "2 members" in page and "2 invitations" in page
    assert _counts() == before, "the preview writes nothing"
    content = base64.b64encode(GOOD.encode()).decode()
    done = client.post(
        f"/consortia/{world.consortium.id}/import", data={"content": content, "filename": "members.csv", "confirm": "1"}
    )
    assert done.status_code == 302
    assert _counts() == (before[0] + 2, before[1] + 2, before[2] + 2)
    bikes = db.session.scalar(
        select(Member).join(Member.organisation).where(Organisation.legal_name == "Tay Valley Bikes CIC")
    )
    assert (bikes.name, bikes.network.name, bikes.organisation.vat_number) == (
        "Tay Valley Bikes CIC",
        "Perth Network",
        "GB123456789",
    )
    assert {i.email for i in db.session.scalars(select(Invitation))} == {
        "iona@bikes.example.org",
        "angus@bikes.example.org",
    }
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "members_imported"))
    assert entry.actor_id == world.secretary.id and "2 members" in entry.subject
    again = _upload(client, world.consortium.id, GOOD.encode())
    assert again.status_code == 422 and "is a member of Tayside already" in again.get_data(as_text=True)


def test_export_then_import_into_an_empty_consortium_gives_the_same_data(client, world):
    importing.run(world.admin, world.consortium, "members.csv", GOOD.encode())
    services.invite(world.admin, "morag2@example.org", "Morag Two", Role.MEMBER, world.member.id)
    db.session.commit()
    sign_in(client, world.admin)
    for kind in ("csv", "xlsx"):
        exported = client.get(f"/consortia/{world.consortium.id}/export.{kind}")
        assert exported.status_code == 200 and exported.headers["Cache-Control"] == "private, no-store"
        empty = factories.consortium()
        db.session.commit()
        for rows in (sheet.read(f"x.{kind}", exported.data),):
            assert any(r["member"] == world.member.name and r["contact_email"] == "member@example.org" for r in rows)
        assert importing.preview(world.admin, empty, f"export.{kind}", exported.data).errors == []
        made = importing.run(world.admin, empty, f"export.{kind}", exported.data)
        db.session.commit()
        assert made.members == 3 and made.networks == 3 and made.invitations == 4
        again = client.get(f"/consortia/{empty.id}/export.{kind}")
        assert sheet.read(f"x.{kind}", again.data) == sheet.read(f"x.{kind}", exported.data)


def test_another_consortiums_secretary_cannot_import_or_export(client, world):
    sign_in(client, world.secretary)
    assert _upload(client, world.other_consortium.id, GOOD.encode()).status_code == 404
    assert client.get(f"/consortia/{world.other_consortium.id}/export.csv").status_code == 404


def test_the_api_dry_run_previews_and_the_import_refuses_a_bad_file_whole(client, world):
    headers = api_token(world.secretary)
    url = f"/api/v1/consortia/{world.consortium.id}/import"
    before = _counts()
    dry = client.post(
        url, headers=headers, json={"filename": "m.csv", "content_base64": base64.b64encode(BAD.encode()).decode()}
    )
    assert dry.status_code == 200 and dry.json["imported"] is False
    assert [(e["row"], e["column"]) for e in dry.json["errors"]] == [(3, "postcode"), (4, "turnover_band")]
    refused = client.post(
        url,
        headers=headers,
        json={"filename": "m.csv", "content_base64": base64.b64encode(BAD.encode()).decode(), "dry_run": False},
    )
    assert refused.status_code == 422 and _counts() == before
    done = client.post(
        url,
        headers=headers,
        json={"filename": "m.csv", "content_base64": base64.b64encode(GOOD.encode()).decode(), "dry_run": False},
    )
    assert done.status_code == 200 and done.json["imported"] is True
    exported = client.get(f"/api/v1/consortia/{world.consortium.id}/export", headers=headers)
    assert exported.status_code == 200 and "Tay Valley Bikes CIC" in exported.get_data(as_text=True)
