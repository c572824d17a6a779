"""JSON shapes every kind of pool shares: its head (offer, consortia, status), a create's first fields, a cancel."""

from marshmallow import Schema, fields, validate

from kernel.api import PRICE, Paragraphs
from kernel.lifecycle import REASON_MAX


class PoolOfferSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    unit = fields.String(required=True)
    pack_size = fields.Integer(required=True)
    vat_rate = fields.Function(lambda o: o.vat_rate.value, required=True)
    list_price = fields.Decimal(required=True, **PRICE)
    supplier_name = fields.Function(lambda o: o.supplier.name, required=True)
    category = fields.Function(lambda o: o.category.slug, required=True)


class ConsortiumRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class PoolHeadSchema(Schema):
    """What every kind of pool says of itself first."""

    id = fields.Integer(required=True)
    status = fields.String(required=True)
    offer = fields.Nested(PoolOfferSchema, required=True)
    is_national = fields.Boolean(required=True)
    consortia = fields.List(fields.Nested(ConsortiumRefSchema), required=True)


class NewPoolSchema(Schema):
    """What every kind of pool is created with; each kind's schema adds its terms."""

    offer_id = fields.Integer(required=True, strict=True)
    consortium_ids = fields.List(fields.Integer(strict=True), required=True, validate=validate.Length(min=1, max=20))


class CancelSchema(Schema):
    reason = Paragraphs(required=True, validate=validate.Length(min=1, max=REASON_MAX))
