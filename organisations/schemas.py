"""JSON shapes of people and organisations."""

from marshmallow import Schema, ValidationError, fields, validate

from organisations.forms import UK_POSTCODE, UK_VAT


class RoleGrantSchema(Schema):
    role = fields.Function(lambda g: g.role.value, required=True)
    organisation_type = fields.Function(
        lambda g: (
            "member" if g.member_id else "consortium" if g.consortium_id else "supplier" if g.supplier_id else None
        ),
        allow_none=True,
    )
    organisation_id = fields.Function(lambda g: g.scope_id, allow_none=True)
    organisation_name = fields.Function(
        lambda g: (g.member or g.consortium or g.supplier).name if g.scope_id else None, allow_none=True
    )


class CallerTokenSchema(Schema):
    """The token the call was made with, so a script can tell when it must be replaced."""

    name = fields.String(required=True)
    expires_at = fields.AwareDateTime(required=True, allow_none=True, metadata={"description": "null: never"})
    read_only = fields.Boolean(required=True)


class MeSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.Nested(RoleGrantSchema), attribute="grants", required=True)
    token = fields.Nested(CallerTokenSchema, required=True)


class MemberProfileSchema(Schema):
    """A member's billing details as its invoices print them, and the Peppol ID its e-invoices go to."""

    id = fields.Integer(required=True)
    legal_name = fields.String(attribute="organisation.legal_name", required=True)
    address_line1 = fields.String(attribute="organisation.address_line1", required=True)
    address_line2 = fields.String(attribute="organisation.address_line2", allow_none=True)
    city = fields.String(attribute="organisation.city", required=True)
    postcode = fields.String(attribute="organisation.postcode", required=True)
    contact_email = fields.String(attribute="organisation.contact_email", required=True)
    phone = fields.String(attribute="organisation.phone", allow_none=True)
    vat_number = fields.String(attribute="organisation.vat_number", allow_none=True)
    company_number = fields.String(attribute="organisation.company_number", allow_none=True)
    peppol_scheme = fields.String(
        attribute="organisation.peppol_scheme",
        allow_none=True,
        metadata={"description": "A code of Peppol's electronic address scheme list, e.g. 9932 (UK VAT number)."},
    )
    peppol_id = fields.String(attribute="organisation.peppol_id", allow_none=True)
    billing_email = fields.String(allow_none=True)


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("Missing data for required field.")


class MemberProfileUpdateSchema(Schema):
    """The fields to change; a Peppol ID's scheme and identifier are given together (null for none)."""

    legal_name = fields.String(validate=[validate.Length(max=200), _not_blank])
    address_line1 = fields.String(validate=[validate.Length(max=200), _not_blank])
    address_line2 = fields.String(allow_none=True, validate=validate.Length(max=200))
    city = fields.String(validate=[validate.Length(max=100), _not_blank])
    postcode = fields.String(validate=validate.Regexp(UK_POSTCODE, error="Enter a UK postcode, e.g. DD1 4HN."))
    contact_email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=validate.Length(max=30))
    vat_number = fields.String(
        allow_none=True, validate=validate.Regexp(UK_VAT, error="Enter a UK VAT number, e.g. GB123456789.")
    )
    company_number = fields.String(allow_none=True, validate=validate.Length(max=10))
    peppol_scheme = fields.String(allow_none=True, validate=validate.Length(max=4))
    peppol_id = fields.String(allow_none=True, validate=validate.Length(max=60))
    billing_email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.AwareDateTime(required=True)
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.Function(lambda e: e.actor.name if e.actor else None, allow_none=True)
    action = fields.String(required=True)
    subject = fields.String(required=True)
    consortium_id = fields.Integer(allow_none=True)
    origin = fields.String(required=True, metadata={"description": "The client's address, or 'command line'."})
    detail = fields.String(allow_none=True)


class AuditQuerySchema(Schema):
    action = fields.String(load_default=None, validate=validate.Length(max=40))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    consortium_id = fields.Integer(load_default=None)
    from_date = fields.Date(load_default=None)
    to_date = fields.Date(load_default=None)


class ErasedSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    active = fields.Boolean(required=True)


class DashboardEntrySchema(Schema):
    label = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "The page to act on it"})
    detail = fields.String(required=True)
    tone = fields.String(required=True, metadata={"description": "neutral, info, success, warning or danger"})
    action = fields.String(required=True, metadata={"description": "The button's words (Pay), or empty"})


class DashboardSectionSchema(Schema):
    key = fields.String(required=True, metadata={"description": "role.what, e.g. secretary.pools_to_close"})
    role = fields.String(required=True)
    title = fields.String(required=True)
    count = fields.Integer(required=True)
    amount_pence = fields.Integer(allow_none=True, required=True)
    url = fields.String(required=True)
    action = fields.String(required=True)
    text = fields.String(required=True)
    tone = fields.String(required=True)
    entries = fields.List(fields.Nested(DashboardEntrySchema), required=True, metadata={"description": "The first few"})


class DashboardSchema(Schema):
    sections = fields.List(fields.Nested(DashboardSectionSchema), required=True)
