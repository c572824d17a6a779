"""The supplier's aggregated demand over JSON, or as CSV with `Accept: text/csv`."""

from flask import request
from marshmallow import Schema, fields, validate

from catalogue.pricing import unit_price
from catalogue.schemas import OfferTierInputSchema
from kernel.api import (
    MAX_PAGE,
    PRICE,
    PageArgsSchema,
    api_blueprint,
    json_body,
    operation,
    page_schema,
    query_args,
)
from kernel.clock import uk_today
from kernel.csv_export import csv_response
from kernel.errors import ValidationFailed
from kernel.paging import ListPage
from orders import demand, price_changes
from orders.models import Pool
from orders.prices import pool_list_price, pool_tiers
from organisations.access import require_actor, roles_required, supplier_or_404
from organisations.models import Role, Supplier, User

bp = api_blueprint("portal_api", __name__)


class DemandQuerySchema(PageArgsSchema):
    """`page` pages the forecast and `orders_page` the orders, `per_page` both; the totals cover every pool."""

    supplier_id = fields.Integer(
        metadata={"description": "Required for admins and for users acting for several suppliers"}
    )
    offer_id = fields.Integer(metadata={"description": "Only this offer's pools and totals"})
    about_to_tip = fields.Boolean(
        load_default=False,
        metadata={"description": "Only open pools within 10% of their next tier or of their minimum"},
    )
    orders_page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))


class DemandTierSchema(Schema):
    min_quantity = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)


class DemandNextTierSchema(DemandTierSchema):
    units_to_go = fields.Integer(required=True)
    progress_percent = fields.Integer(required=True)


class ForecastPoolSchema(Schema):
    """An open pool's totals; who pledged is never shown to the supplier."""

    pool_id = fields.Integer(required=True, attribute="id")
    offer_id = fields.Integer(required=True, attribute="offer.id")
    consortia = fields.List(fields.String(), required=True)
    is_national = fields.Boolean(required=True)
    deadline = fields.AwareDateTime(required=True)
    opened_at = fields.AwareDateTime(required=True, allow_none=True)
    pledged_units = fields.Integer(required=True, attribute="units")
    flexible_units = fields.Integer(required=True)
    members = fields.Integer(required=True)
    unit_price = fields.Decimal(required=True, **PRICE)
    value_pence = fields.Integer(required=True)
    tier = fields.Nested(DemandTierSchema, required=True, allow_none=True)
    next_tier = fields.Nested(DemandNextTierSchema, required=True, allow_none=True, attribute="next_tier_progress")
    minimum_quantity = fields.Integer(required=True)
    minimum_reached = fields.Boolean(required=True)
    minimum_progress_percent = fields.Integer(required=True, attribute="minimum_percent")
    capacity = fields.Integer(required=True, allow_none=True)
    about_to_tip = fields.Boolean(
        required=True, metadata={"description": "Within 10% of the next tier or of the minimum"}
    )


class OrderedPoolSchema(Schema):
    pool_id = fields.Integer(required=True, attribute="id")
    offer_id = fields.Integer(required=True, attribute="offer.id")
    pool_status = fields.String(required=True, attribute="status.value")
    consortia = fields.List(fields.String(), required=True)
    units = fields.Integer(required=True)
    packs = fields.Integer(required=True)
    goods_pence = fields.Integer(required=True)
    orders_by_status = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, attribute="order_statuses"
    )
    first_ordered_at = fields.AwareDateTime(required=True)


class OfferDemandSchema(Schema):
    id = fields.Integer(required=True, attribute="offer.id")
    name = fields.String(required=True, attribute="offer.name")
    unit = fields.String(required=True, attribute="offer.unit")
    pack_size = fields.Integer(required=True, attribute="offer.pack_size")
    active = fields.Boolean(required=True, attribute="offer.active")
    list_price = fields.Decimal(required=True, attribute="offer.list_price", **PRICE)
    tiers = fields.List(fields.Nested(DemandTierSchema), required=True, attribute="offer.tiers")
    open_pools = fields.Integer(required=True)
    pools_about_to_tip = fields.Integer(required=True)
    forecast_units = fields.Integer(required=True)
    forecast_value_pence = fields.Integer(required=True)
    closed_pools = fields.Integer(required=True)
    orders = fields.Integer(required=True, attribute="order_count")
    ordered_units = fields.Integer(required=True)
    ordered_goods_pence = fields.Integer(required=True)


class TotalsSchema(Schema):
    key = fields.String(required=True, metadata={"description": "The consortium's id, or the month as 2026-05"})
    label = fields.String(required=True)
    open_pools = fields.Integer(required=True)
    forecast_units = fields.Integer(required=True)
    forecast_value_pence = fields.Integer(required=True)
    orders = fields.Integer(required=True)
    ordered_units = fields.Integer(required=True)
    ordered_goods_pence = fields.Integer(required=True)


class SupplierRefSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)


class DemandSchema(Schema):
    supplier = fields.Nested(SupplierRefSchema, required=True)
    offers = fields.List(
        fields.Nested(OfferDemandSchema),
        required=True,
        metadata={"description": "Every offer of the supplier, summed, whatever the filter"},
    )
    forecast = fields.Nested(
        page_schema(ForecastPoolSchema),
        required=True,
        metadata={"description": "Open pools, soonest deadline first: the page `page` of them"},
    )
    orders = fields.Nested(
        page_schema(OrderedPoolSchema),
        required=True,
        metadata={"description": "Closed pools' orders, latest first: the page `orders_page` of them"},
    )
    by_consortium = fields.List(fields.Nested(TotalsSchema), required=True)
    by_month = fields.List(fields.Nested(TotalsSchema), required=True)


def _supplier(user: User, supplier_id: int | None) -> Supplier:
    if supplier_id is not None:
        return supplier_or_404(user, supplier_id)
    if len(user.supplier_ids) == 1:
        return supplier_or_404(user, next(iter(user.supplier_ids)))
    message = "Say which supplier: you act for several." if user.supplier_ids else "Say which supplier."
    raise ValidationFailed.field("supplier_id", message)


def _wants_csv() -> bool:
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


@bp.get("/supplier/demand")
@roles_required(Role.SUPPLIER)
@operation(
    "The supplier's demand: open pools as a forecast, closed pools as orders, totals by consortium and "
    "month (CSV, one row per pool, with Accept: text/csv)",
    tags=["supplier portal"],
    query=DemandQuerySchema,
    errors=(403, 404),
    content={
        "application/json": {"schema": DemandSchema},
        "text/csv": {"schema": {"type": "string", "description": "Header: " + ", ".join(demand.DEMAND_CSV_HEADER)}},
    },
)
def supplier_demand():
    args = query_args(DemandQuerySchema())
    supplier = _supplier(require_actor(), args.get("supplier_id"))
    found = demand.supplier_demand(
        supplier,
        args.get("offer_id"),
        about_to_tip=args["about_to_tip"],
        page=args["page"],
        per_page=args["per_page"],
    )
    if _wants_csv():
        return csv_response(
            demand.demand_csv_filename(found, uk_today()), demand.DEMAND_CSV_HEADER, demand.demand_csv_rows(found)
        )
    return DemandSchema().dump(
        {
            "supplier": supplier,
            "offers": found.offers,
            "by_consortium": found.by_consortium,
            "by_month": found.by_month,
            "forecast": found.forecast,
            "orders": ListPage.of(found.orders, args["orders_page"], args["per_page"]),
        }
    )


class PoolTiersInSchema(Schema):
    tiers = fields.List(
        fields.Nested(OfferTierInputSchema),
        required=True,
        metadata={"description": "All the pool's tiers; none may raise the unit price at any quantity."},
    )


class PoolPricesSchema(Schema):
    """The prices an open pool holds: its list price and tiers, and the unit price its pledges earn now."""

    pool_id = fields.Integer(required=True)
    offer_id = fields.Integer(required=True)
    status = fields.String(required=True)
    total_quantity = fields.Integer(required=True)
    list_price = fields.Decimal(required=True, **PRICE)
    tiers = fields.List(fields.Nested(DemandTierSchema), required=True)
    unit_price = fields.Decimal(required=True, **PRICE)


def pool_prices(pool: Pool) -> dict:
    tiers, list_price = pool_tiers(pool), pool_list_price(pool)
    return PoolPricesSchema().dump(
        {
            "pool_id": pool.id,
            "offer_id": pool.offer_id,
            "status": pool.status.value,
            "total_quantity": pool.pledged_quantity,
            "list_price": list_price,
            "tiers": tiers,
            "unit_price": unit_price(tiers, pool.pledged_quantity, list_price),
        }
    )


@bp.put("/pools/<int:pool_id>/tiers")
@roles_required(Role.SUPPLIER)
@operation(
    "Lower one open pool of your offer's prices: the tiers replace the pool's, and may not raise the unit "
    "price at any quantity; the members who pledged are told",
    tags=["supplier portal"],
    body=PoolTiersInSchema,
    response=PoolPricesSchema,
    errors=(403, 404, 409),
)
def lower_pool_prices(pool_id: int):
    actor = require_actor()
    price_changes.pool_for_supplier(actor, pool_id)
    data = json_body(PoolTiersInSchema())
    return pool_prices(price_changes.lower_prices(actor, pool_id, data["tiers"]))
