"""Frameworks and call-offs over JSON: create, edit, make live, extend, end; place, confirm, deliver, invoice."""

from flask import request

from frameworks import services
from frameworks.models import CallOff, CallOffStatus, Framework, FrameworkStatus, Route
from frameworks.schemas import (
    CallOffInSchema,
    CallOffQuerySchema,
    CallOffSchema,
    FrameworkConsumptionSchema,
    FrameworkExtensionSchema,
    FrameworkInSchema,
    FrameworkQuerySchema,
    FrameworkReasonSchema,
    FrameworkSchema,
)
from frameworks.terms import LotTerms, limit_pence
from kernel.api import PageArgsSchema, api_blueprint, json_body, operation, page_schema, paginated, query_args
from kernel.csv_export import csv_response
from kernel.extensions import db
from organisations.access import require_actor, roles_required
from organisations.models import Role

bp = api_blueprint("frameworks_api", __name__)
TAGS = ["frameworks"]


def terms_from(data: dict) -> dict:
    """The service's keyword arguments from a loaded FrameworkInSchema body (or the page's form)."""
    lots = [
        LotTerms(
            lot["name"],
            lot["unit_singular"],
            lot["unit_plural"],
            [(tier["min_quantity"], tier["unit_price"]) for tier in lot["tiers"]],
            lot["supplier_id"],
        )
        for lot in data["lots"]
    ]
    return data | {"lots": lots, "route": Route(data["route"])}


def _framework(framework: Framework) -> dict:
    return FrameworkSchema().dump(framework)


def _call_off(call_off: CallOff) -> dict:
    return CallOffSchema().dump(call_off)


@bp.get("/frameworks")
@roles_required()
@operation(
    "Frameworks the caller can see", tags=TAGS, response=page_schema(FrameworkSchema), query=FrameworkQuerySchema
)
def list_frameworks():
    user = require_actor()
    args = query_args(FrameworkQuerySchema())
    return paginated(
        services.visible_frameworks(user, FrameworkStatus(args["status"]) if "status" in args else None),
        FrameworkSchema(),
    )


@bp.post("/frameworks")
@roles_required(Role.SECRETARY)
@operation(
    "Create a draft framework (its consortium's secretary; an admin for a national or multi-consortium one)",
    tags=TAGS,
    body=FrameworkInSchema,
    response=FrameworkSchema,
    status=201,
)
def create_framework():
    user = require_actor()
    data = json_body(FrameworkInSchema())
    return _framework(services.create_framework(user, **terms_from(data))), 201


@bp.get("/frameworks/<int:framework_id>")
@roles_required()
@operation(
    "One framework: terms, lots and rate cards, consumption against the ceiling", tags=TAGS, response=FrameworkSchema
)
def get_framework(framework_id: int):
    return _framework(services.framework_for(require_actor(), framework_id))


@bp.put("/frameworks/<int:framework_id>")
@roles_required(Role.SECRETARY)
@operation(
    "Change a draft framework's terms (all of them)",
    tags=TAGS,
    body=FrameworkInSchema,
    response=FrameworkSchema,
    errors=(409,),
)
def edit_framework(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    data = json_body(FrameworkInSchema())
    return _framework(services.edit_framework(user, framework_id, **terms_from(data)))


@bp.post("/frameworks/<int:framework_id>/live")
@roles_required(Role.SECRETARY)
@operation("Make a draft framework live: members call off from it", tags=TAGS, response=FrameworkSchema, errors=(409,))
def make_live(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    return _framework(services.make_live(user, framework_id))


@bp.post("/frameworks/<int:framework_id>/end")
@roles_required(Role.SECRETARY)
@operation(
    "End a framework early, with the reason",
    tags=TAGS,
    body=FrameworkReasonSchema,
    response=FrameworkSchema,
    errors=(409,),
)
def end_framework(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    data = json_body(FrameworkReasonSchema())
    return _framework(services.end_early(user, framework_id, data["reason"]))


@bp.post("/frameworks/<int:framework_id>/extensions")
@roles_required(Role.SECRETARY)
@operation(
    "Take up one extension option: the end date moves on",
    tags=TAGS,
    response=FrameworkExtensionSchema,
    status=201,
    errors=(409,),
)
def extend(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    return FrameworkExtensionSchema().dump(services.extend(user, framework_id)), 201


@bp.get("/frameworks/<int:framework_id>/consumption")
@roles_required()
@operation(
    "Called off, delivered and invoiced per lot and per member (the caller's own members unless it runs or supplies "
    "the framework); text/csv with Accept: text/csv",
    tags=TAGS,
    content={
        "application/json": {"schema": FrameworkConsumptionSchema},
        "text/csv": {"schema": {"type": "string"}},
    },
    query=PageArgsSchema,
)
def consumption(framework_id: int):
    user = require_actor()
    framework = services.framework_for(user, framework_id)
    scope = services.consumption_scope(user, framework)
    lots = services.consumption_by_lot(framework, scope)
    members_query = services.consumption_by_member(framework, scope)
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        rows = [["lot", r.label, r.units, r.ordered_pence, r.delivered_pence, r.invoiced_pence] for r in lots]
        rows += [["member", *row[1:]] for row in db.session.execute(members_query)]
        return csv_response(
            f"{framework.reference}-consumption.csv",
            ["by", "name", "units", "ordered_pence", "delivered_pence", "invoiced_pence"],
            rows,
        )
    args = query_args(PageArgsSchema())
    members = services.member_consumption_page(framework, scope, args["page"], args["per_page"])
    return FrameworkConsumptionSchema().dump(
        {
            "framework_id": framework.id,
            "ceiling_pence": framework.ceiling_pence,
            "limit_pence": limit_pence(framework.ceiling_pence, framework.allowance_percent),
            "ordered_pence": sum(r.ordered_pence for r in lots),
            "remaining_pence": services.remaining_pence(framework),
            "lots": [_row(r) for r in lots],
            "members": [_row(r) for r in members.items],
            "page": members.page,
            "per_page": members.per_page,
            "total": members.total,
        }
    )


def _row(row: services.Consumption) -> dict:
    return {
        "id": row.key,
        "name": row.label,
        "units": row.units,
        "ordered_pence": row.ordered_pence,
        "delivered_pence": row.delivered_pence,
        "invoiced_pence": row.invoiced_pence,
    }


@bp.get("/frameworks/<int:framework_id>/call-offs")
@roles_required()
@operation(
    "The framework's call-offs the caller can see",
    tags=TAGS,
    response=page_schema(CallOffSchema),
    query=CallOffQuerySchema,
)
def list_call_offs(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    args = query_args(CallOffQuerySchema())
    query = services.visible_call_offs(user).where(CallOff.framework_id == framework_id)
    if "status" in args:
        query = query.where(CallOff.status == CallOffStatus(args["status"]))
    return paginated(query, CallOffSchema())


@bp.post("/frameworks/<int:framework_id>/call-offs")
@roles_required(Role.MEMBER, Role.SECRETARY)
@operation(
    "Place a call-off at the framework's prices (409 past its ceiling with the allowance, or after its end)",
    tags=TAGS,
    body=CallOffInSchema,
    response=CallOffSchema,
    status=201,
    errors=(409,),
)
def place_call_off(framework_id: int):
    user = require_actor()
    services.framework_for(user, framework_id)
    data = json_body(CallOffInSchema())
    return _call_off(services.place_call_off(user, framework_id=framework_id, **data)), 201


@bp.get("/call-offs/<int:call_off_id>")
@roles_required()
@operation("One call-off", tags=TAGS, response=CallOffSchema)
def get_call_off(call_off_id: int):
    return _call_off(services.call_off_for(require_actor(), call_off_id))


@bp.post("/call-offs/<int:call_off_id>/confirm")
@roles_required(Role.SUPPLIER)
@operation("Confirm a placed call-off (its supplier)", tags=TAGS, response=CallOffSchema, errors=(409,))
def confirm_call_off(call_off_id: int):
    user = require_actor()
    services.call_off_for(user, call_off_id)
    return _call_off(services.confirm(user, call_off_id))


@bp.post("/call-offs/<int:call_off_id>/deliver")
@roles_required(Role.SUPPLIER)
@operation("Record a call-off delivered (its supplier)", tags=TAGS, response=CallOffSchema, errors=(409,))
def deliver_call_off(call_off_id: int):
    user = require_actor()
    services.call_off_for(user, call_off_id)
    return _call_off(services.deliver(user, call_off_id))


@bp.post("/call-offs/<int:call_off_id>/invoice")
@roles_required(Role.SECRETARY)
@operation(
    "Invoice the member for a delivered call-off (its consortium's secretary)",
    tags=TAGS,
    response=CallOffSchema,
    errors=(409,),
)
def invoice_call_off(call_off_id: int):
    user = require_actor()
    services.call_off_for(user, call_off_id)
    services.invoice(user, call_off_id)
    return _call_off(services.call_off_for(user, call_off_id))


@bp.post("/call-offs/<int:call_off_id>/cancel")
@roles_required()
@operation(
    "Cancel a call-off not yet delivered, with the reason",
    tags=TAGS,
    body=FrameworkReasonSchema,
    response=CallOffSchema,
    errors=(409,),
)
def cancel_call_off(call_off_id: int):
    user = require_actor()
    services.call_off_for(user, call_off_id)
    data = json_body(FrameworkReasonSchema())
    return _call_off(services.cancel(user, call_off_id, data["reason"]))
