"""JSON shapes of pools and pledges."""

from marshmallow import Schema, fields, validate

from kernel.api import PRICE, Paragraphs
from orders.services import MAX_DELIVERY_CHARGE_PENCE, MAX_QUANTITY, MAX_SOLIDARITY_PERCENT
from pools.schemas import ConsortiumRefSchema, NewPoolSchema, PoolHeadSchema


class TierSchema(Schema):
    min_quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)


class NextTierSchema(TierSchema):
    units_to_go = fields.Integer(required=True)


class VatLineSchema(Schema):
    vat_rate = fields.Function(lambda v: v.vat_rate.value, required=True)
    net_pence = fields.Integer(required=True)
    vat_pence = fields.Integer(required=True)


class BreakdownSchema(Schema):
    """A member's bill as its invoice will show it: goods, delivery, fee, solidarity, VAT per rate, total."""

    goods_pence = fields.Integer(required=True)
    delivery_pence = fields.Integer(required=True, metadata={"description": "The member's share of delivery"})
    handling_fee_pence = fields.Integer(required=True, metadata={"description": "The consortium's handling fee"})
    solidarity_pence = fields.Integer(
        required=True, metadata={"description": "Surcharge (top turnover band) or discount (lowest band, negative)"}
    )
    net_pence = fields.Integer(required=True)
    vat = fields.List(fields.Nested(VatLineSchema), required=True)
    vat_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True, metadata={"description": "What the invoice asks the member to pay"})


class EstimateSchema(BreakdownSchema):
    unit_price = fields.Decimal(required=True, **PRICE)


class PledgeChangeSchema(Schema):
    changed_at = fields.AwareDateTime(required=True)
    changed_by = fields.Function(lambda c: c.changed_by.name, required=True)
    old_quantity = fields.Integer(required=True)
    new_quantity = fields.Integer(required=True)
    old_flexible_extra = fields.Integer(required=True)
    new_flexible_extra = fields.Integer(required=True)


class PledgeSchema(Schema):
    id = fields.Integer(required=True)
    pool_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda p: p.member.name, required=True)
    quantity = fields.Integer(required=True)
    flexible_extra = fields.Integer(required=True)
    withdrawn = fields.Boolean(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)


class PledgeHistorySchema(PledgeSchema):
    pool_status = fields.Function(lambda p: p.pool.status.value, required=True)
    history = fields.List(fields.Nested(PledgeChangeSchema), attribute="changes", required=True)


class MyPledgeSchema(PledgeSchema):
    estimate = fields.Nested(EstimateSchema, allow_none=True)


class PoolSchema(PoolHeadSchema):
    """A pool with what its demand earns; fed a PoolSummary-backed view object."""

    deadline = fields.AwareDateTime(required=True)
    minimum_quantity = fields.Integer(required=True)
    capacity = fields.Integer(allow_none=True, required=True)
    delivery_charge_pence = fields.Integer(required=True)
    note = fields.String(allow_none=True)
    solidarity_rate_percent = fields.Decimal(required=True, as_string=True, places=2)
    total_quantity = fields.Integer(required=True)
    flexible_quantity = fields.Integer(required=True)
    member_count = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    list_price = fields.Decimal(required=True, **PRICE)
    tier = fields.Nested(TierSchema, allow_none=True, required=True)
    next_tier = fields.Nested(NextTierSchema, allow_none=True, required=True)
    minimum_reached = fields.Boolean(required=True)
    saving_pence = fields.Integer(required=True)
    saving_percent = fields.Decimal(as_string=True, places=1, required=True)
    cancel_reason = fields.String(allow_none=True)
    my_pledges = fields.List(fields.Nested(MyPledgeSchema), required=True)


class PoolTermsSchema(Schema):
    """A pool's terms: what a draft is created with besides its offer and consortia, and what an edit sets."""

    deadline = fields.AwareDateTime(required=True)
    minimum_quantity = fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    capacity = fields.Integer(
        strict=True, allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    delivery_charge_pence = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_DELIVERY_CHARGE_PENCE)
    )
    note = Paragraphs(allow_none=True, load_default=None, validate=validate.Length(max=2000))
    solidarity_rate_percent = fields.String(
        load_default="0",
        metadata={
            "description": "Percent of their goods the top turnover band pays, returned to the lowest band, "
            f'as a decimal string from 0 to {MAX_SOLIDARITY_PERCENT} with up to 2 places: "2.50"'
        },
    )


class PoolCreateSchema(NewPoolSchema, PoolTermsSchema):
    pass


class PledgeInSchema(Schema):
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    flexible_extra = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_QUANTITY))
    member_id = fields.Integer(strict=True, allow_none=True, load_default=None)


class PledgeOutSchema(Schema):
    member_id = fields.Integer(allow_none=True, load_default=None)


class PoolQuerySchema(Schema):
    status = fields.String(
        validate=validate.OneOf(["draft", "open", "closed", "ordered", "delivered", "invoiced", "settled", "cancelled"])
    )
    category = fields.String(validate=validate.Length(max=40))
    sort = fields.String(load_default="deadline", validate=validate.OneOf(["deadline", "newest"]))
    page = fields.Integer()
    per_page = fields.Integer()


class PlanLineSchema(BreakdownSchema):
    member_id = fields.Function(lambda line: line.row.member_id, required=True)
    member_name = fields.Function(lambda line: line.recipient.member_name, required=True)
    pledged_units = fields.Function(lambda line: line.row.quantity, required=True)
    flexible_extra = fields.Function(lambda line: line.row.flexible_extra, required=True)
    units = fields.Integer(required=True)
    reason = fields.String(required=True)


class ConsortiumPlanSchema(Schema):
    consortium = fields.Nested(ConsortiumRefSchema, required=True)
    packs = fields.Function(lambda c: c.packs.packs, required=True)
    units = fields.Function(lambda c: c.packs.units, required=True)
    goods_pence = fields.Integer(required=True)
    delivery_charge_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    send_on_close = fields.Function(lambda c: c.consortium.send_orders_on_close, required=True)
    members = fields.List(fields.Nested(PlanLineSchema), attribute="lines", required=True)


class ClosePlanSchema(Schema):
    pool_id = fields.Function(lambda p: p.pool.id, required=True)
    proceeds = fields.Boolean(required=True)
    cancel_reason = fields.String(allow_none=True, required=True)
    total_quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    tier = fields.Nested(TierSchema, allow_none=True, required=True)
    packs = fields.Integer(required=True)
    units = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    consortia = fields.List(fields.Nested(ConsortiumPlanSchema), required=True)


class CloseResultSchema(Schema):
    pool = fields.Function(lambda r: {"id": r.pool.id, "status": r.pool.status.value}, required=True)
    cancelled = fields.Boolean(required=True)
    cancel_reason = fields.Function(lambda r: r.plan.cancel_reason, allow_none=True, required=True)
    purchase_orders = fields.Function(
        lambda r: [{"id": o.id, "number": o.number, "status": o.status.value} for o in r.purchase_orders], required=True
    )


class OrderLineSchema(Schema):
    description = fields.String(required=True)
    units = fields.Integer(required=True)
    unit_price = fields.Decimal(allow_none=True, required=True, **PRICE)
    total_pence = fields.Integer(required=True)


class AllocationSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    pledged_units = fields.Integer(required=True)
    flexible_extra = fields.Integer(required=True)
    units = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    total_pence = fields.Integer(required=True)
    delivered_units = fields.Integer(allow_none=True, required=True)
    reason = fields.String(required=True)
    delivery_address = fields.String(required=True)
    contact_email = fields.String(required=True)


class PurchaseOrderSummarySchema(Schema):
    id = fields.Integer(required=True)
    number = fields.String(required=True)
    status = fields.Function(lambda o: o.status.value, required=True)
    pool_id = fields.Integer(required=True)
    consortium = fields.Nested(ConsortiumRefSchema, required=True)
    supplier = fields.Function(lambda o: {"id": o.supplier_id, "name": o.supplier.name}, required=True)
    offer_id = fields.Integer(required=True)
    offer_name = fields.String(required=True)
    unit = fields.String(required=True)
    pack_size = fields.Integer(required=True)
    vat_rate = fields.Function(lambda o: o.vat_rate.value, required=True)
    packs = fields.Integer(required=True)
    units = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    goods_pence = fields.Integer(required=True)
    delivery_charge_pence = fields.Integer(required=True)
    total_pence = fields.Integer(required=True)
    created_at = fields.AwareDateTime(required=True)
    sent_at = fields.AwareDateTime(allow_none=True, required=True)
    confirmed_at = fields.AwareDateTime(allow_none=True, required=True)
    delivered_at = fields.AwareDateTime(allow_none=True, required=True)
    cancel_reason = fields.String(allow_none=True, required=True)


class PurchaseOrderSchema(PurchaseOrderSummarySchema):
    lines = fields.List(fields.Nested(OrderLineSchema), required=True)
    allocations = fields.List(fields.Nested(AllocationSchema), required=True)


class DeliveryInSchema(Schema):
    member_id = fields.Integer(required=True, strict=True)
    units = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_QUANTITY))


class DeliveriesSchema(Schema):
    deliveries = fields.List(
        fields.Nested(DeliveryInSchema),
        load_default=list,
        metadata={"description": "Members not listed received all their units."},
    )


class OrderQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(["draft", "sent", "confirmed", "delivered", "cancelled"]))
    page = fields.Integer()
    per_page = fields.Integer()
