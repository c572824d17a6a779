"""The policy library over JSON: search, templates, versions and their lifecycle, adoptions, acknowledgements,
review tasks and the consortium's adoption grid. Documents are uploaded on the pages, or base64 in an adoption."""

import base64
import binascii

from kernel.api import api_blueprint, json_body, operation, page_of, page_schema, query_args
from kernel.clock import uk_today
from kernel.errors import ValidationFailed
from library import services, text
from library.models import AdoptionKind, PolicyCategory, PolicyTemplate, PolicyVersion
from library.schemas import (
    AcknowledgementInSchema,
    AcknowledgementSchema,
    AdoptionInSchema,
    AdoptionSchema,
    GridSchema,
    ReviewTaskSchema,
    TemplateCreateSchema,
    TemplateDetailSchema,
    TemplateQuerySchema,
    TemplateSchema,
    VersionCreateSchema,
    VersionExtrasSchema,
    VersionHeadSchema,
    VersionSchema,
)
from organisations.access import consortium_or_404, require_actor, roles_required
from organisations.models import Role, User

bp = api_blueprint("library_api", __name__)
TAGS = ["policy library"]
READERS = (Role.MEMBER, Role.SECRETARY)


def _template(template: PolicyTemplate, current: PolicyVersion | None) -> dict:
    return {
        "id": template.id,
        "title": template.title,
        "category": template.category.value,
        "summary": template.summary,
        "consortium_id": template.consortium_id,
        "is_national": template.is_national,
        "current_version": current,
    }


@bp.get("/library/templates")
@roles_required(*READERS)
@operation(
    "Policy templates the caller sees, by text and category",
    tags=TAGS,
    query=TemplateQuerySchema,
    response=page_schema(TemplateSchema),
)
def list_templates():
    user = require_actor()
    args = query_args(TemplateQuerySchema())
    category = PolicyCategory(args["category"]) if "category" in args else None
    templates, facts = page_of(services.templates_query(user, args.get("q"), category))
    current = services.current_versions([t.id for t in templates])
    items = [_template(t, current.get(t.id)) for t in templates]
    return {"items": TemplateSchema(many=True).dump(items)} | facts


@bp.post("/library/templates")
@roles_required(Role.SECRETARY)
@operation(
    "Create a policy template for a consortium (its secretary), or a national one (admins)",
    tags=TAGS,
    body=TemplateCreateSchema,
    response=TemplateSchema,
    status=201,
)
def create_template():
    user = require_actor()
    data = json_body(TemplateCreateSchema())
    template = services.create_template(
        user, data["consortium_id"], data["title"], PolicyCategory(data["category"]), data["summary"]
    )
    return TemplateSchema().dump(_template(template, None)), 201


def _detail(user: User, template: PolicyTemplate) -> dict:
    current = services.current_version(template)
    members = services.acting_members(user, template)
    positions = services.latest_adoptions([template.id], [m.id for m in members])
    acknowledged = services.acknowledged_version_ids(user, [m.id for m in members])
    mine = []
    for m in members:
        a = positions.get((m.id, template.id))
        mine.append(
            {
                "member_id": m.id,
                "member_name": m.name,
                "version_number": a.version.number if a else None,
                "kind": a.kind.value if a else None,
                "board_approved_on": a.board_approved_on if a else None,
                "next_review_on": a.next_review_on if a else None,
                "on_current_version": bool(a and current and a.version_id == current.id),
                "acknowledged_by_me": bool(a and (m.id, a.version_id) in acknowledged),
            }
        )
    return _template(template, current) | {"versions": services.visible_versions(user, template), "mine": mine}


@bp.get("/library/templates/<int:template_id>")
@roles_required(*READERS)
@operation(
    "One template: its versions (drafts only to those who run it) and the caller's members' decisions",
    tags=TAGS,
    response=TemplateDetailSchema,
)
def get_template(template_id: int):
    user = require_actor()
    return TemplateDetailSchema().dump(_detail(user, services.template_for(user, template_id)))


def _version(version: PolicyVersion) -> dict:
    previous = services.previous_published(version)
    before, after = (previous.body_markdown if previous else None), version.body_markdown
    extras = {
        "body_markdown": after,
        "body_html": text.render(after) if after else None,
        "previous_version": previous.number if previous else None,
        "changes": text.changes(before, after) if before is not None and after is not None else None,
    }
    return VersionHeadSchema().dump(version) | VersionExtrasSchema().dump(extras)


@bp.get("/library/versions/<int:version_id>")
@roles_required(*READERS)
@operation(
    "One version: its Markdown (and the HTML it renders to) and the lines changed since the version before",
    tags=TAGS,
    response=VersionSchema,
)
def get_version(version_id: int):
    return _version(services.version_for(require_actor(), version_id))


@bp.post("/library/templates/<int:template_id>/versions")
@roles_required(Role.SECRETARY)
@operation(
    "Write a new draft version in Markdown (a document is uploaded on the page)",
    tags=TAGS,
    body=VersionCreateSchema,
    response=VersionSchema,
    status=201,
    errors=(409,),
)
def create_version(template_id: int):
    user = require_actor()
    template = services.template_for(user, template_id)
    data = json_body(VersionCreateSchema())
    return _version(services.add_version(user, template, services.Draft(**data))), 201


def _move(version_id: int, change) -> dict:
    user = require_actor()
    version = services.version_for(user, version_id)
    change(user, version)
    return _version(version)


@bp.post("/library/versions/<int:version_id>/submit")
@roles_required(Role.SECRETARY)
@operation("Send a draft for review", tags=TAGS, response=VersionSchema, errors=(409,))
def submit_version(version_id: int):
    return _move(version_id, services.submit_for_review)


@bp.post("/library/versions/<int:version_id>/return")
@roles_required(Role.SECRETARY)
@operation("Return a version in review to draft", tags=TAGS, response=VersionSchema, errors=(409,))
def return_version(version_id: int):
    return _move(version_id, services.return_to_draft)


@bp.post("/library/versions/<int:version_id>/publish")
@roles_required(Role.SECRETARY)
@operation(
    "Publish a version in review: the one before is superseded and its adopters get a review task",
    tags=TAGS,
    response=VersionSchema,
    errors=(409,),
)
def publish_version(version_id: int):
    return _move(version_id, services.publish)


def _document(data: dict) -> bytes | None:
    if data["document_base64"] is None:
        return None
    try:
        return base64.b64decode(data["document_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.field("document_base64", "Not valid base64.") from None


@bp.post("/library/versions/<int:version_id>/adoptions")
@roles_required(Role.MEMBER)
@operation(
    "Record a member's decision on the published version: as is, with local changes (its own document), "
    "or not applicable; completes its review task",
    tags=TAGS,
    body=AdoptionInSchema,
    response=AdoptionSchema,
    status=201,
    errors=(409,),
)
def adopt(version_id: int):
    user = require_actor()
    version = services.version_for(user, version_id)
    data = json_body(AdoptionInSchema())
    adoption = services.adopt(
        user,
        version,
        AdoptionKind(data["kind"]),
        data["board_approved_on"],
        data["next_review_on"],
        data["member_id"],
        _document(data),
        data["document_name"],
    )
    return AdoptionSchema().dump(adoption), 201


@bp.post("/library/templates/<int:template_id>/acknowledgements")
@roles_required(Role.MEMBER)
@operation(
    "The caller has read the version their member has in force",
    tags=TAGS,
    body=AcknowledgementInSchema,
    response=AcknowledgementSchema,
    status=201,
    errors=(409,),
)
def acknowledge(template_id: int):
    user = require_actor()
    template = services.template_for(user, template_id)
    data = json_body(AcknowledgementInSchema())
    return AcknowledgementSchema().dump(services.acknowledge(user, template, data["member_id"])), 201


def _tasks(query) -> dict:
    today = uk_today()
    tasks, facts = page_of(query)
    items = [ReviewTaskSchema().dump(t) | {"overdue": t.overdue(today)} for t in tasks]
    return {"items": items} | facts


@bp.get("/library/tasks")
@roles_required(Role.MEMBER)
@operation(
    "The caller's members' review tasks, open and done, overdue first",
    tags=TAGS,
    response=page_schema(ReviewTaskSchema),
)
def list_tasks():
    return _tasks(services.tasks_query(require_actor(), open_only=False))


@bp.get("/library/consortia/<int:consortium_id>/adoption")
@roles_required(Role.SECRETARY)
@operation(
    "The consortium's adoption grid: each member's latest decision on each published template",
    tags=TAGS,
    response=GridSchema,
)
def get_grid(consortium_id: int):
    user = require_actor()
    found = services.grid(user, consortium_or_404(user, consortium_id))
    rows = []
    for m in found.members:
        cells = []
        for t in found.templates:
            c = found.cell(m, t)
            cells.append(
                {
                    "template_id": t.id,
                    "state": c.state(found.today),
                    "version_number": c.adoption.version.number if c.adoption else None,
                    "kind": c.adoption.kind.value if c.adoption else None,
                }
            )
        rows.append({"member_id": m.id, "member_name": m.name, "cells": cells})
    templates = [{"id": t.id, "title": t.title, "current_version": found.current[t.id].number} for t in found.templates]
    return GridSchema().dump({"consortium_id": found.consortium.id, "templates": templates, "rows": rows})
