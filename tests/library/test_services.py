"""The policy library's rules: the version lifecycle, immutability, adoption, review tasks, overdue, who sees what."""

from datetime import timedelta

import pytest

from kernel.clock import uk_today
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from library import services
from library.models import (
    AdoptionKind,
    PolicyCategory,
    PolicyVersion,
    PublishedVersionChanged,
    ReviewTask,
    VersionStatus,
)
from tests import factories
from tests.library.conftest import PDF, adopt_as_is, docx, draft, other_member_user, other_secretary, published, sibling


def test_a_version_goes_from_draft_through_review_to_published_and_is_superseded_by_the_next(world, template):
    first = services.add_version(world.secretary, template, draft())
    assert first.number == 1 and first.status is VersionStatus.DRAFT
    with pytest.raises(Conflict, match="Only an in review policy version can be published"):
        services.publish(world.secretary, first)
    services.submit_for_review(world.secretary, first)
    services.publish(world.secretary, first)
    assert first.status is VersionStatus.PUBLISHED and first.published_at is not None

    second = published(world.secretary, template, "# Safeguarding\n\nEveryone is safe and heard.\n", "Listening")
    assert second.number == 2
    assert (first.status, second.status) == (VersionStatus.SUPERSEDED, VersionStatus.PUBLISHED)
    assert services.current_version(template) is second
    moves = [(c.from_state, c.to_state) for c in services.VERSION_LIFECYCLE.history(first.id)]
    assert moves == [("draft", "in review"), ("in review", "published"), ("published", "superseded")]


def test_one_version_in_the_making_at_a_time(world, template):
    services.add_version(world.secretary, template, draft())
    with pytest.raises(Conflict, match="already has a version in draft"):
        services.add_version(world.secretary, template, draft())


def test_a_published_version_never_changes_through_the_service_or_the_orm(world, template):
    version = published(world.secretary, template)
    with pytest.raises(Conflict, match="A published version never changes"):
        services.edit_version(world.secretary, version, draft("# Changed\n"))
    db.session.commit()

    version.body_markdown = "# Sneaked in\n"
    with pytest.raises(PublishedVersionChanged, match="body_markdown"):
        db.session.flush()
    db.session.rollback()
    stored = db.session.get(PolicyVersion, version.id)
    assert stored.body_markdown == "# Safeguarding\n\nEveryone is safe."
    db.session.delete(stored)
    with pytest.raises(PublishedVersionChanged, match="never deleted"):
        db.session.flush()
    db.session.rollback()


def test_a_draft_can_be_edited_and_must_have_text_or_a_document_and_sensible_dates(world, template):
    version = services.add_version(world.secretary, template, draft())
    services.edit_version(world.secretary, version, draft("# Better\n", "Better"))
    assert version.body_markdown == "# Better" and version.change_note == "Better"
    today = uk_today()
    with pytest.raises(ValidationFailed) as refused:
        services.edit_version(
            world.secretary, version, draft("", "", effective_date=today, review_by=today - timedelta(days=1))
        )
    assert set(refused.value.fields) == {"change_note", "review_by", "body_markdown"}


def test_an_uploaded_document_is_checked_by_its_contents_and_kept_in_storage(world, template):
    with pytest.raises(ValidationFailed) as refused:
        services.add_version(
            world.secretary, template, draft(None, document=b"MZ\x90 not a pdf", document_name="p.pdf")
        )
    assert "not a PDF, Word (DOCX) or OpenDocument text (ODT)" in refused.value.fields["document"][0]
    version = services.add_version(
        world.secretary, template, draft(None, document=docx(), document_name="x/Policy.pdf")
    )
    assert version.document_name == "Policy.docx"  # the real type names the file, not what it was called
    assert version.document_type.endswith("wordprocessingml.document")
    assert services.storage().load(version.document_key) == docx()


def test_only_the_consortiums_secretary_or_an_admin_runs_a_template(world, template):
    outsider = other_secretary(world)
    with pytest.raises(Forbidden):
        services.add_version(outsider, template, draft())
    with pytest.raises(Forbidden, match="Only an admin publishes national templates"):
        services.create_template(world.secretary, None, "National", PolicyCategory.HR, None)
    national = services.create_template(world.admin, None, "Lone working", PolicyCategory.LONE_WORKING, None)
    assert national.is_national


def test_members_of_another_consortium_see_nothing_of_ours_and_members_see_no_drafts(world, template):
    version = services.add_version(world.secretary, template, draft())
    with pytest.raises(NotFound):
        services.template_for(world.member_user, template.id)  # nothing published yet
    services.submit_for_review(world.secretary, version)
    services.publish(world.secretary, version)
    assert services.template_for(world.member_user, template.id) is template
    outsider = other_member_user(world)
    with pytest.raises(NotFound):
        services.template_for(outsider, template.id)
    with pytest.raises(NotFound):
        services.version_for(outsider, version.id)
    assert db.session.scalars(services.templates_query(outsider)).all() == []
    assert db.session.scalars(services.templates_query(world.supplier_user)).all() == []
    later = services.add_version(world.secretary, template, draft("# Two\n", "Two"))
    with pytest.raises(NotFound):
        services.version_for(world.member_user, later.id)


def test_search_by_text_and_category(world, template):
    published(world.secretary, template, "# Safeguarding\n\nReport concerns to the designated lead.\n")
    other = services.create_template(world.secretary, world.consortium.id, "Expenses", PolicyCategory.FINANCE, None)
    published(world.secretary, other, "# Expenses\n\nMileage at 45p a mile.\n")

    def found(q=None, category=None):
        return [t.title for t in db.session.scalars(services.templates_query(world.member_user, q, category))]

    assert found() == ["Expenses", "Safeguarding policy"]
    assert found("designated lead") == ["Safeguarding policy"]
    assert found("mileage") == ["Expenses"]
    assert found(category=PolicyCategory.FINANCE) == ["Expenses"]
    assert found("100%") == []  # the % is text, not a wildcard


def test_a_new_version_gives_each_adopter_a_review_task_with_what_changed_and_readoption_completes_it(world, template):
    first = published(world.secretary, template)
    adopt_as_is(world, first)
    declined = services.adopt(world.admin, first, AdoptionKind.NOT_APPLICABLE, None, None, sibling(world).id)
    assert declined.board_approved_on is None

    second = published(world.secretary, template, "# Safeguarding\n\nEveryone is safe and heard.\n", "Listening")
    tasks = db.session.scalars(db.select(ReviewTask)).all()
    assert [(t.member_id, t.version_id, t.previous_version_id) for t in tasks] == [
        (world.member.id, second.id, first.id)
    ]
    assert tasks[0].due_on == max(second.effective_date, uk_today() + timedelta(days=services.REVIEW_DAYS))
    cell = services.grid(world.secretary, world.consortium).cell(world.member, template)
    assert cell.state(uk_today()) == "to review" and not cell.up_to_date

    with pytest.raises(Conflict, match="Only the published version"):
        adopt_as_is(world, first)
    adoption = adopt_as_is(world, second)
    assert tasks[0].done_at is not None and tasks[0].adoption_id == adoption.id
    cell = services.grid(world.secretary, world.consortium).cell(world.member, template)
    assert cell.up_to_date and cell.text(uk_today()) == "v2 adopted as is"


def test_adopting_with_local_changes_needs_the_members_own_document(world, template):
    version = published(world.secretary, template)
    today = uk_today()
    with pytest.raises(ValidationFailed) as refused:
        services.adopt(world.member_user, version, AdoptionKind.LOCAL_CHANGES, today, today + timedelta(days=9))
    assert "Upload your own version" in refused.value.fields["document"][0]
    with pytest.raises(ValidationFailed) as refused:
        services.adopt(world.member_user, version, AdoptionKind.AS_IS, None, today, None, PDF, "ours.pdf")
    assert set(refused.value.fields) == {"board_approved_on", "next_review_on", "document"}
    adoption = services.adopt(
        world.member_user, version, AdoptionKind.LOCAL_CHANGES, today, today + timedelta(days=9), None, PDF, "ours.pdf"
    )
    assert adoption.document_name == "ours.pdf" and services.storage().load(adoption.document_key) == PDF
    with pytest.raises(Conflict, match="already recorded"):
        adopt_as_is(world, version)


def test_a_member_of_another_consortium_cannot_adopt_our_template(world, template):
    version = published(world.secretary, template)
    with pytest.raises(NotFound):
        services.version_for(other_member_user(world), version.id)
    with pytest.raises(Forbidden):
        services.adopt(world.secretary, version, AdoptionKind.NOT_APPLICABLE, None, None)


def test_overdue_reviews_are_counted_for_the_member_and_the_consortium(world, template, frozen_clock):
    from datetime import UTC, datetime

    first = published(world.secretary, template)
    adopt_as_is(world, first)
    published(world.secretary, template, "# Two\n", "Two")
    assert services.overdue(member_ids=[world.member.id]).tasks == 0
    db.session.commit()
    later = datetime.combine(uk_today() + timedelta(days=400), datetime.min.time(), UTC)
    frozen_clock.set(later)
    assert services.overdue(member_ids=[world.member.id]) == services.Overdue(tasks=1, reviews=1)
    assert services.overdue(consortium_id=world.consortium.id).total == 2
    assert services.overdue(consortium_id=world.other_consortium.id).total == 0


def test_staff_acknowledge_the_exact_version_in_force(world, template):
    first = published(world.secretary, template)
    with pytest.raises(Conflict, match="no version of this policy in force"):
        services.acknowledge(world.member_user, template)
    adopt_as_is(world, first)
    read = services.acknowledge(world.member_user, template)
    assert read.version_id == first.id
    assert services.acknowledge(world.member_user, template).id == read.id  # once per version
    second = published(world.secretary, template, "# Two\n", "Two")
    assert services.acknowledge(world.member_user, template).version_id == first.id  # still the one in force
    adopt_as_is(world, second)
    assert services.acknowledge(world.member_user, template).version_id == second.id


def test_each_adopting_members_people_are_emailed_of_the_new_version_once(world, template):
    first = published(world.secretary, template)
    adopt_as_is(world, first)
    second = published(world.secretary, template, "# Two\n", "Shorter")
    db.session.commit()
    messages = factories.outbox_messages("policy_review")
    assert [m.to_email for m in messages] == [world.member_user.email]
    assert messages[0].subject.startswith(f"{world.consortium.name}: Safeguarding policy version 2 to review by ")
    assert (
        "What changed: Shorter" in messages[0].body_text and f"/library/versions/{second.id}" in messages[0].body_text
    )
