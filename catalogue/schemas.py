"""JSON shapes of categories, offers and price tiers; unit prices are decimal strings."""

from marshmallow import Schema, fields, validate

from catalogue import services
from catalogue.models import VatRate
from kernel.api import PRICE, Paragraphs


class CategorySchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)


class OfferSupplierSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    buy_social = fields.Boolean(required=True)


class OfferTierSchema(Schema):
    min_quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)


class OfferSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(allow_none=True)
    category = fields.Nested(CategorySchema, required=True)
    supplier = fields.Nested(OfferSupplierSchema, required=True)
    unit = fields.String(required=True)
    unit_plural = fields.String(required=True, metadata={"description": 'The unit\'s plural: "reams", "kWh".'})
    pack_size = fields.Integer(required=True)
    vat_rate = fields.Enum(VatRate, by_value=True, required=True)
    vat_percent = fields.Function(lambda offer: str(offer.vat_rate.percent), required=True)
    list_price = fields.Decimal(required=True, **PRICE)
    best_price = fields.Function(
        lambda offer: f"{services.best_price(offer):.4f}",
        required=True,
        metadata={"description": "The lowest unit price a pool can reach."},
    )
    minimum_order_quantity = fields.Integer(required=True)
    lead_time_days = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    tiers = fields.List(fields.Nested(OfferTierSchema), required=True)
    updated_at = fields.DateTime(required=True)


class OfferQuerySchema(Schema):
    category = fields.String(metadata={"description": "A category's slug or id."})
    supplier = fields.Integer(metadata={"description": "A supplier's id."})
    q = fields.String(
        validate=validate.Length(max=200),
        metadata={"description": "Words in the name, the description or the supplier's name."},
    )
    buy_social = fields.Boolean(metadata={"description": "true: only social enterprises; false: only others."})
    include_withdrawn = fields.Boolean(
        load_default=False, metadata={"description": "With `supplier` you act for: also its withdrawn offers."}
    )
    page = fields.Integer(validate=validate.Range(min=1))
    per_page = fields.Integer(validate=validate.Range(min=1, max=200))


class _OfferFieldsSchema(Schema):
    """Types only; the catalogue services check the rules, so HTML and API agree."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    description = Paragraphs(allow_none=True, validate=validate.Length(max=5000))
    category = fields.Raw(
        metadata={"description": "A category's slug or id.", "oneOf": [{"type": "string"}, {"type": "integer"}]}
    )
    unit = fields.String(validate=validate.Length(min=1, max=30))
    unit_plural = fields.String(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "The unit's plural; left out or null, the usual plural of `unit`."},
    )
    pack_size = fields.Integer(strict=True)
    vat_rate = fields.String(validate=validate.OneOf([rate.value for rate in VatRate]))
    list_price = fields.String(metadata={"description": 'Pounds as a decimal string, up to 4 places: "3.1500".'})
    minimum_order_quantity = fields.Integer(strict=True)
    lead_time_days = fields.Integer(strict=True)
    tiers = fields.List(
        fields.Nested(lambda: OfferTierInputSchema()),
        metadata={"description": "All the offer's tiers; they replace the current ones."},
    )


class OfferTierInputSchema(Schema):
    min_quantity = fields.Integer(required=True, strict=True)
    unit_price = fields.String(required=True, metadata={"description": 'Pounds as a decimal string: "2.9500".'})


class OfferCreateSchema(_OfferFieldsSchema):
    supplier_id = fields.Integer(
        strict=True, metadata={"description": "Optional when the caller supplies for exactly one supplier."}
    )

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    category = fields.Raw(
        required=True,
        metadata={"description": "A category's slug or id.", "oneOf": [{"type": "string"}, {"type": "integer"}]},
    )
    unit = fields.String(required=True, validate=validate.Length(min=1, max=30))
    vat_rate = fields.String(required=True, validate=validate.OneOf([rate.value for rate in VatRate]))
    list_price = fields.String(
        required=True, metadata={"description": 'Pounds as a decimal string, up to 4 places: "3.1500".'}
    )


class OfferUpdateSchema(_OfferFieldsSchema):
    active = fields.Boolean(metadata={"description": "false withdraws the offer, true puts it back."})
