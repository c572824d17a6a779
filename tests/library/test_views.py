"""The policy pages as people use them: publish, find, adopt, review, acknowledge, the grid and its CSV."""

import io
from datetime import timedelta

from kernel.clock import uk_today
from kernel.extensions import db
from library.models import Adoption, PolicyTemplate, PolicyVersion, VersionStatus
from tests.factories import sign_in
from tests.library.conftest import PDF, adopt_as_is, published


def _version_form(text="# Safeguarding\n\nEveryone is safe.\n", note="First version", **extra):
    today = uk_today()
    return {
        "change_note": note,
        "effective_date": today.isoformat(),
        "review_by": (today + timedelta(days=365)).isoformat(),
        "body_markdown": text,
    } | extra


def test_a_secretary_writes_sends_for_review_and_publishes_and_a_member_finds_and_adopts_it(client, world):
    sign_in(client, world.secretary)
    made = client.post(
        "/library/new",
        data={"consortium_id": world.consortium.id, "title": "Lone working", "category": "lone_working"},
    )
    assert made.status_code == 302
    template = db.session.scalar(db.select(PolicyTemplate))
    saved = client.post(
        f"/library/templates/{template.id}/versions/new",
        data=_version_form("# Lone working\n\nCall in every two hours.\n"),
    )
    assert saved.status_code == 302
    version = db.session.scalar(db.select(PolicyVersion))
    assert client.post(f"/library/versions/{version.id}/submit").status_code == 302
    page = client.post(f"/library/versions/{version.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "Version 1 is published." in page and version.status is VersionStatus.PUBLISHED
    client.post("/sign-out")

    sign_in(client, world.member_user)
    found = client.get("/library/?q=two+hours").get_data(as_text=True)
    assert "Lone working" in found and "1 template matching" in found
    assert "No templates match" in client.get("/library/?q=nothing+like+it").get_data(as_text=True)
    today = uk_today()
    adopted = client.post(
        f"/library/versions/{version.id}/adopt",
        data={
            "member_id": world.member.id,
            "kind": "as_is",
            "board_approved_on": today.isoformat(),
            "next_review_on": (today + timedelta(days=365)).isoformat(),
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"{world.member.name}: Lone working version 1, adopted as is." in adopted
    assert "Version 1 adopted as is" in adopted
    read = client.post(
        f"/library/templates/{template.id}/acknowledge", data={"member_id": world.member.id}, follow_redirects=True
    ).get_data(as_text=True)
    assert "you have read Lone working" in read and "Yes, version 1" in read


def test_html_in_a_markdown_policy_is_shown_as_text(client, world, template):
    published(world.secretary, template, '# Policy\n\n<script>alert("x")</script>\n\n[click](javascript:alert(1))\n')
    sign_in(client, world.member_user)
    page = client.get(f"/library/templates/{template.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert 'href="javascript:' not in page


def test_a_file_that_only_pretends_to_be_a_pdf_is_refused_next_to_the_field(client, world, template):
    sign_in(client, world.secretary)
    response = client.post(
        f"/library/templates/{template.id}/versions/new",
        data=_version_form("", document=(io.BytesIO(b"<html>not a pdf</html>"), "policy.pdf")),
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not a PDF, Word (DOCX) or OpenDocument text (ODT) document, whatever its name says" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(db.select(db.func.count()).select_from(PolicyVersion)) == 0
    ok = client.post(
        f"/library/templates/{template.id}/versions/new",
        data=_version_form("", document=(io.BytesIO(PDF), "policy.pdf")),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    version = db.session.scalar(db.select(PolicyVersion))
    download = client.get(f"/library/versions/{version.id}/document")
    assert download.data == PDF and download.mimetype == "application/pdf"


def test_adopting_with_local_changes_without_a_document_says_so(client, world, template):
    version = published(world.secretary, template)
    db.session.commit()
    sign_in(client, world.member_user)
    today = uk_today()
    response = client.post(
        f"/library/versions/{version.id}/adopt",
        data={
            "member_id": world.member.id,
            "kind": "local_changes",
            "board_approved_on": today.isoformat(),
            "next_review_on": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "Upload your own version of the policy" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Adoption)) == 0


def test_a_new_version_shows_what_changed_and_asks_for_review_and_the_grid_shows_who_re_adopted(
    client, world, template
):
    first = published(world.secretary, template, "# Safeguarding\n\nReport to the lead.\n")
    adopt_as_is(world, first)
    second = published(world.secretary, template, "# Safeguarding\n\nReport to the lead within a day.\n", "Timing")
    db.session.commit()

    sign_in(client, world.member_user)
    tasks = client.get("/library/tasks").get_data(as_text=True)
    assert "Safeguarding policy" in tasks and "Version 2 (you have 1)" in tasks and "To review" in tasks
    page = client.get(f"/library/versions/{second.id}").get_data(as_text=True)
    assert "<del>Report to the lead.</del>" in page and "<ins>Report to the lead within a day.</ins>" in page
    # every row is headed for a screen reader, the unchanged lines too (no empty row header)
    assert '<span class="visually-hidden">unchanged</span></th><td>Safeguarding</td>' in page.replace("# ", "")
    client.post("/sign-out")

    sign_in(client, world.secretary)
    grid = client.get(f"/library/consortia/{world.consortium.id}").get_data(as_text=True)
    assert "v1 adopted as is; to review" in grid
    adopt_as_is(world, second)
    db.session.commit()
    csv = client.get(f"/library/consortia/{world.consortium.id}.csv").get_data(as_text=True)
    assert "Safeguarding policy (current: v2)" in csv.splitlines()[0]
    assert f"{world.member.name},{world.network.name},v2 adopted as is" in csv


def test_a_published_version_cannot_be_edited_from_its_page(client, world, template):
    version = published(world.secretary, template)
    db.session.commit()
    sign_in(client, world.secretary)
    response = client.post(
        f"/library/versions/{version.id}/edit", data=_version_form("# Changed\n"), follow_redirects=True
    )
    assert "Only a draft can be edited; version 1 is published." in response.get_data(as_text=True)
    assert db.session.get(PolicyVersion, version.id).body_markdown == "# Safeguarding\n\nEveryone is safe."
