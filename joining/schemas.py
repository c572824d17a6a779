"""JSON shapes of invitations, applications and membership imports."""

from marshmallow import Schema, fields, validate

from joining.models import ApplicationStatus
from kernel.clock import utcnow
from organisations.forms import UK_POSTCODE, UK_VAT
from organisations.models import Role, TurnoverBand


class InvitationSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.Function(lambda i: i.role.value, required=True)
    organisation_id = fields.Function(lambda i: i.scope_id, allow_none=True)
    organisation_name = fields.String(required=True)
    state = fields.Function(lambda i: i.state(utcnow()), required=True)
    sent_at = fields.AwareDateTime(required=True)
    times_sent = fields.Integer(required=True)
    expires_at = fields.AwareDateTime(required=True)


class InvitationInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))
    organisation_id = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "The member, consortium (for a secretary) or supplier; none for an admin."},
    )


class ApplicationInSchema(Schema):
    network_id = fields.Integer(required=True)
    legal_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address_line1 = fields.String(required=True, validate=validate.Length(min=1, max=200))
    address_line2 = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    city = fields.String(required=True, validate=validate.Length(min=1, max=100))
    postcode = fields.String(required=True, validate=validate.Regexp(UK_POSTCODE, error="Enter a UK postcode."))
    contact_email = fields.Email(required=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=30))
    vat_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(UK_VAT, error="Enter a UK VAT number.")
    )
    company_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10))
    turnover_band = fields.Enum(TurnoverBand, by_value=True, required=True)
    headcount = fields.Integer(load_default=1, validate=validate.Range(min=0, max=100_000))
    person_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    person_email = fields.Email(required=True, validate=validate.Length(max=254))
    about = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class ApplicationSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.Function(lambda a: a.status.value, required=True)
    network_id = fields.Integer(required=True)
    network_name = fields.Function(lambda a: a.network.name, required=True)
    legal_name = fields.String(required=True)
    address_line1 = fields.String(required=True)
    address_line2 = fields.String(allow_none=True)
    city = fields.String(required=True)
    postcode = fields.String(required=True)
    contact_email = fields.String(required=True)
    phone = fields.String(allow_none=True)
    vat_number = fields.String(allow_none=True)
    company_number = fields.String(allow_none=True)
    turnover_band = fields.Function(lambda a: a.turnover_band.value, required=True)
    headcount = fields.Integer(required=True)
    person_name = fields.String(required=True)
    person_email = fields.String(required=True)
    about = fields.String(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decline_reason = fields.String(allow_none=True)
    member_id = fields.Integer(allow_none=True)


class ApplicationReceivedSchema(Schema):
    received = fields.Boolean(required=True)


class ApplicationQuerySchema(Schema):
    status = fields.String(
        load_default=ApplicationStatus.PENDING.value, validate=validate.OneOf([s.value for s in ApplicationStatus])
    )


class DeclineInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ImportInSchema(Schema):
    filename = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Ends .csv or .xlsx; says how `content_base64` is read."},
    )
    content_base64 = fields.String(required=True, validate=validate.Length(max=2_700_000))
    dry_run = fields.Boolean(load_default=True, metadata={"description": "Only check and preview (the default)."})


class RowErrorSchema(Schema):
    row = fields.Integer(required=True)
    column = fields.String(required=True)
    message = fields.String(required=True)


class PlannedMemberSchema(Schema):
    row = fields.Integer(required=True)
    name = fields.String(required=True)
    network = fields.String(required=True)
    contacts = fields.Function(lambda m: [{"name": n, "email": e} for n, e in m.contacts], required=True)


class ImportResultSchema(Schema):
    imported = fields.Boolean(required=True, metadata={"description": "False for a dry run or a file with errors."})
    errors = fields.List(fields.Nested(RowErrorSchema), required=True)
    new_networks = fields.List(fields.String(), required=True)
    members = fields.List(fields.Nested(PlannedMemberSchema), required=True)
