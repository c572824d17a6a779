"""JSON shapes of people and organisations."""

from marshmallow import Schema, fields


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


class MeSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.Email(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.Nested(RoleGrantSchema), attribute="grants", required=True)
