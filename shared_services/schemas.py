"""JSON shapes of shared-service pools, participants and billed periods."""

from marshmallow import Schema, fields, validate

from kernel.api import PRICE, Paragraphs
from pools.schemas import NewPoolSchema, PoolHeadSchema
from shared_services.models import AllocationKey, PeriodLength, ServicePoolStatus
from shared_services.services import MAX_COST_PENCE, MAX_NOTICE, MAX_PARTICIPANTS, MAX_TERM, MAX_UNITS


class MemberShareSchema(Schema):
    period = fields.Integer(allow_none=True, required=True)
    label = fields.String(allow_none=True, required=True)
    share_pence = fields.Integer(
        allow_none=True,
        required=True,
        metadata={"description": "Billed once the period is billed, a projection before."},
    )


class MyParticipationSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    taking_part = fields.Boolean(required=True)
    units = fields.Integer(allow_none=True, required=True)
    joined_from = fields.Integer(allow_none=True, required=True)
    left_after = fields.Integer(allow_none=True, required=True)
    earliest_leave_after = fields.Integer(allow_none=True, required=True)
    this_period = fields.Nested(MemberShareSchema, required=True)
    next_period = fields.Nested(MemberShareSchema, required=True)


class ServicePoolSchema(PoolHeadSchema):
    cost_per_period_pence = fields.Integer(required=True)
    period = fields.String(required=True)
    term_periods = fields.Integer(required=True)
    start_date = fields.Date(required=True)
    minimum_participants = fields.Integer(required=True)
    allocation_key = fields.String(required=True)
    notice_periods = fields.Integer(required=True)
    note = fields.String(allow_none=True, required=True)
    cancel_reason = fields.String(allow_none=True, required=True)
    current_period = fields.Integer(required=True)
    participant_count = fields.Integer(required=True)
    mine = fields.List(fields.Nested(MyParticipationSchema), required=True)


class ServicePoolCreateSchema(NewPoolSchema):
    cost_per_period_pence = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_COST_PENCE)
    )
    period = fields.String(required=True, validate=validate.OneOf([p.value for p in PeriodLength]))
    term_periods = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_TERM))
    start_date = fields.Date(required=True, metadata={"description": "The first of a month, in the future."})
    minimum_participants = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=MAX_PARTICIPANTS)
    )
    allocation_key = fields.String(required=True, validate=validate.OneOf([k.value for k in AllocationKey]))
    notice_periods = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=MAX_NOTICE))
    note = Paragraphs(allow_none=True, load_default=None, validate=validate.Length(max=2000))


class ServicePoolQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in ServicePoolStatus]))
    page = fields.Integer()
    per_page = fields.Integer()


class JoinInSchema(Schema):
    units = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=MAX_UNITS),
        metadata={"description": "Required when the pool splits by pledged units."},
    )
    member_id = fields.Integer(strict=True, allow_none=True, load_default=None)


class LeaveInSchema(Schema):
    member_id = fields.Integer(strict=True, allow_none=True, load_default=None)
    after_period = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=0, max=MAX_TERM),
        metadata={"description": "The last period to take part in; default the earliest the notice allows."},
    )


class LeaveQuerySchema(Schema):
    member_id = fields.Integer()


class ParticipationChangeSchema(Schema):
    action = fields.String(required=True)
    changed_at = fields.AwareDateTime(required=True)
    changed_by = fields.Function(lambda c: c.changed_by.name, required=True)
    old_units = fields.Integer(allow_none=True, required=True)
    new_units = fields.Integer(required=True)
    old_joined_from = fields.Integer(allow_none=True, required=True)
    new_joined_from = fields.Integer(required=True)
    old_left_after = fields.Integer(allow_none=True, required=True)
    new_left_after = fields.Integer(allow_none=True, required=True)


class ParticipationSchema(Schema):
    id = fields.Integer(required=True)
    service_pool_id = fields.Integer(required=True)
    member_id = fields.Integer(required=True)
    member_name = fields.Function(lambda p: p.member.name, required=True)
    units = fields.Integer(required=True)
    joined_from = fields.Integer(required=True)
    left_after = fields.Integer(allow_none=True, required=True)
    withdrawn = fields.Boolean(required=True)


class ParticipationHistorySchema(ParticipationSchema):
    history = fields.List(fields.Nested(ParticipationChangeSchema), attribute="changes", required=True)


class ChargeSchema(Schema):
    member_id = fields.Integer(required=True)
    member_name = fields.String(required=True)
    units = fields.Integer(required=True)
    weight = fields.Integer(required=True)
    share_pence = fields.Integer(required=True)
    list_unit_price = fields.Decimal(required=True, **PRICE)
    invoice_id = fields.Integer(required=True)
    invoice_number = fields.String(required=True)


class BilledPeriodSchema(Schema):
    period = fields.Integer(required=True)
    label = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    cost_pence = fields.Integer(required=True)
    participant_count = fields.Integer(required=True)
    billed_at = fields.AwareDateTime(required=True)
    charges = fields.List(fields.Nested(ChargeSchema), required=True)
