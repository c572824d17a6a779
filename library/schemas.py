"""JSON shapes of the policy library: templates, versions, adoptions, review tasks, acknowledgements, the grid."""

from marshmallow import Schema, fields, validate

from kernel.api import Paragraphs
from library.models import AdoptionKind, PolicyCategory, VersionStatus
from library.services import MARKDOWN_MAX, NOTE_MAX, SEARCH_MAX, SUMMARY_MAX, TITLE_MAX

CATEGORIES = [c.value for c in PolicyCategory]


class TemplateQuerySchema(Schema):
    q = fields.String(
        validate=validate.Length(max=SEARCH_MAX),
        metadata={"description": "Words in the title, summary or a published Markdown version."},
    )
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    page = fields.Integer()
    per_page = fields.Integer()


class TemplateCreateSchema(Schema):
    consortium_id = fields.Integer(
        strict=True, allow_none=True, load_default=None, metadata={"description": "None: a national template (admins)."}
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=TITLE_MAX))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    summary = Paragraphs(allow_none=True, load_default=None, validate=validate.Length(max=SUMMARY_MAX))


class VersionHeadSchema(Schema):
    id = fields.Integer(required=True)
    template_id = fields.Integer(required=True)
    number = fields.Integer(required=True)
    status = fields.Function(
        lambda v: v.status.value, required=True, metadata={"enum": [s.value for s in VersionStatus]}
    )
    change_note = fields.String(required=True)
    effective_date = fields.Date(required=True)
    review_by = fields.Date(required=True)
    format = fields.Function(lambda v: "markdown" if v.is_markdown else "document", required=True)
    document_name = fields.String(allow_none=True, required=True)
    document_type = fields.String(allow_none=True, required=True)
    document_size = fields.Integer(allow_none=True, required=True)
    published_at = fields.AwareDateTime(allow_none=True, required=True)
    superseded_at = fields.AwareDateTime(allow_none=True, required=True)


class ChangeLineSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": ["added", "removed", "same", "gap"]})
    text = fields.String(required=True)


class VersionExtrasSchema(Schema):
    body_markdown = fields.String(allow_none=True, required=True)
    body_html = fields.String(
        allow_none=True, required=True, metadata={"description": "The Markdown rendered with HTML off."}
    )
    previous_version = fields.Integer(allow_none=True, required=True)
    changes = fields.List(
        fields.Nested(ChangeLineSchema),
        allow_none=True,
        required=True,
        metadata={"description": "Lines changed since the previous published version, both in Markdown."},
    )


class VersionSchema(VersionHeadSchema, VersionExtrasSchema):
    """A version with its text and what changed since the one before."""


class PositionSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    version_number = fields.Integer(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True, metadata={"enum": [k.value for k in AdoptionKind]})
    board_approved_on = fields.Date(allow_none=True, required=True)
    next_review_on = fields.Date(allow_none=True, required=True)
    on_current_version = fields.Boolean(required=True)
    acknowledged_by_me = fields.Boolean(required=True)


class TemplateSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True, metadata={"enum": CATEGORIES})
    summary = fields.String(allow_none=True, required=True)
    consortium_id = fields.Integer(allow_none=True, required=True)
    is_national = fields.Boolean(required=True)
    current_version = fields.Nested(VersionHeadSchema, allow_none=True, required=True)


class TemplateDetailSchema(TemplateSchema):
    versions = fields.List(fields.Nested(VersionHeadSchema), required=True)
    mine = fields.List(fields.Nested(PositionSchema), required=True)


class VersionCreateSchema(Schema):
    change_note = Paragraphs(required=True, validate=validate.Length(min=1, max=NOTE_MAX))
    effective_date = fields.Date(required=True)
    review_by = fields.Date(required=True, metadata={"description": "After the effective date."})
    body_markdown = Paragraphs(required=True, validate=validate.Length(min=1, max=MARKDOWN_MAX))


class AdoptionInSchema(Schema):
    member_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in AdoptionKind]))
    board_approved_on = fields.Date(allow_none=True, load_default=None)
    next_review_on = fields.Date(allow_none=True, load_default=None)
    document_base64 = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=14_000_000),
        metadata={"description": "With local changes: the member's own PDF, DOCX or ODT, base64-encoded."},
    )
    document_name = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))


class AdoptionSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    template_id = fields.Integer(required=True)
    version_id = fields.Integer(required=True)
    kind = fields.Function(lambda a: a.kind.value, required=True)
    board_approved_on = fields.Date(allow_none=True, required=True)
    next_review_on = fields.Date(allow_none=True, required=True)
    document_name = fields.String(allow_none=True, required=True)
    adopted_at = fields.AwareDateTime(required=True)


class AcknowledgementInSchema(Schema):
    member_id = fields.Integer(strict=True, allow_none=True, load_default=None)


class AcknowledgementSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    version_id = fields.Integer(required=True)
    acknowledged_at = fields.AwareDateTime(required=True)


class ReviewTaskSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    template_id = fields.Integer(required=True)
    template_title = fields.Function(lambda t: t.template.title, required=True)
    version_id = fields.Integer(required=True)
    version_number = fields.Function(lambda t: t.version.number, required=True)
    previous_version_id = fields.Integer(allow_none=True, required=True)
    due_on = fields.Date(required=True)
    done_at = fields.AwareDateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)


class GridCellSchema(Schema):
    template_id = fields.Integer(required=True)
    state = fields.String(required=True)
    version_number = fields.Integer(allow_none=True, required=True)
    kind = fields.String(allow_none=True, required=True)


class GridRowSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    cells = fields.List(fields.Nested(GridCellSchema), required=True)


class GridTemplateSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    current_version = fields.Integer(required=True)


class GridSchema(Schema):
    consortium_id = fields.Integer(required=True)
    templates = fields.List(fields.Nested(GridTemplateSchema), required=True)
    rows = fields.List(fields.Nested(GridRowSchema), required=True)


class ImpactLineSchema(Schema):
    section = fields.String(required=True)
    figure = fields.String(required=True)
    value = fields.Raw(
        allow_none=True,
        required=True,
        metadata={
            "description": "Integer pence, a count, or a percentage as a one-place decimal string; "
            "null when there is nothing to divide by."
        },
    )
    unit = fields.String(required=True)
    shown = fields.String(required=True, metadata={"description": "As the page and the PDF show it."})


class ImpactReportSchema(Schema):
    scope = fields.String(required=True)
    id = fields.Integer(allow_none=True, required=True)
    name = fields.String(required=True)
    lines = fields.List(fields.Nested(ImpactLineSchema), required=True)
    not_included = fields.String(required=True)


class MeasureSchema(Schema):
    id = fields.Integer(required=True)
    consortium_id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class MeasureInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=40))
    description = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class MeasureUpdateSchema(MeasureInSchema):
    active = fields.Boolean(allow_none=True, load_default=None, metadata={"description": "Left out: unchanged."})


class RecordSchema(Schema):
    id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    measure_id = fields.Integer(required=True)
    measure = fields.Function(lambda r: r.measure.name, required=True)
    unit = fields.Function(lambda r: r.measure.unit, required=True)
    value = fields.Integer(required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    evidence = fields.String(required=True)
    recorded_at = fields.AwareDateTime(required=True)
    verified_at = fields.AwareDateTime(allow_none=True, required=True)


class RecordInSchema(Schema):
    measure_id = fields.Integer(required=True, strict=True)
    value = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000_000))
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    evidence = Paragraphs(required=True, validate=validate.Length(min=1, max=2000))
