"""The supplier's demand dashboard (with its CSV and chart) and pool prices; the secretary's consortium dashboard."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from catalogue.models import Offer
from catalogue.pricing import unit_price
from catalogue.views import OfferPagePart
from kernel.charts import svg_response
from kernel.clock import uk_today
from kernel.csv_export import csv_response
from kernel.errors import DomainError
from kernel.paging import ListPage
from kernel.web import form_errors, page_number, pick, query_id, submitted_ids
from orders import charts, demand, price_changes
from orders.forms import DemandFilterForm, PoolTiersForm
from orders.prices import pool_list_price, pool_tiers, tiers_from_rows
from organisations.access import can_act_for_supplier, consortium_or_404, require_actor, roles_required, supplier_or_404
from organisations.models import Role, User

bp = Blueprint("portal", __name__)

PURCHASE_ORDER_ENDPOINT = "orders.purchase_order"
POOLS_PER_PAGE = 50
MEMBERS_PER_PAGE = 100  # names in a page of the dashboard's members who never pledged


@bp.get("/supplier/<int:supplier_id>/demand")
@roles_required(Role.SUPPLIER)
def supplier_demand(supplier_id: int):
    actor = require_actor()
    supplier = supplier_or_404(actor, supplier_id)
    form = DemandFilterForm(request.args)
    chosen = submitted_ids("offer_id")
    offers = pick(
        demand.supplier_offers(supplier.id), [Offer.name], "offer_search", Offer.id.in_(chosen) if chosen else None
    )
    form.offer_id.choices = [SelectChoice("", "All offers")] + [SelectChoice(str(o.id), o.name) for o in offers.items]
    status = 200
    if request.args and not form.validate():
        status = 422
    offer_id = int(form.offer_id.data) if form.offer_id.data and not form.offer_id.errors else None
    found = demand.supplier_demand(
        supplier,
        offer_id,
        about_to_tip=bool(form.about_to_tip.data),
        page=page_number("page"),
        per_page=POOLS_PER_PAGE,
    )
    filters = {name: value for name, value in request.args.items() if name in form and value}
    return render_template(
        "portal/demand.html",
        demand=found,
        form=form,
        filters=filters,
        offers=offers,
        offer_totals=ListPage.of(found.offers, page_number("offers_page"), POOLS_PER_PAGE),
        forecast=found.forecast,
        orders=ListPage.of(found.orders, page_number("orders_page"), POOLS_PER_PAGE),
        weeks=found.weeks,
    ), status


@bp.get("/supplier/<int:supplier_id>/demand.csv")
@roles_required(Role.SUPPLIER)
def supplier_demand_csv(supplier_id: int):
    actor = require_actor()
    supplier = supplier_or_404(actor, supplier_id)
    offer_id = query_id("offer_id")
    found = demand.supplier_demand(supplier, offer_id)
    return csv_response(
        demand.demand_csv_filename(found, uk_today()), demand.DEMAND_CSV_HEADER, demand.demand_csv_rows(found)
    )


@bp.get("/supplier/<int:supplier_id>/demand/pledged-units.svg")
@roles_required(Role.SUPPLIER)
def pledged_units_chart(supplier_id: int):
    """One offer's forecast by week (`?offer_id=`); without one, a chart that asks for one: offers never add up."""
    actor = require_actor()
    supplier = supplier_or_404(actor, supplier_id)
    offer_id = query_id("offer_id")
    if offer_id is None:
        return svg_response(charts.weekly_forecast_svg([], None))
    offer, weeks = demand.offer_forecast_by_week(supplier, offer_id)
    return svg_response(charts.weekly_forecast_svg(weeks, offer))


@bp.route("/supplier/pools/<int:pool_id>/prices", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def pool_prices(pool_id: int):
    actor = require_actor()
    pool = price_changes.pool_for_supplier(actor, pool_id)
    form = PoolTiersForm()
    if request.method == "GET":
        form.show(pool_tiers(pool))
    if form.validate_on_submit():
        try:
            price_changes.lower_prices(actor, pool.id, form.tier_rows())
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Pool {pool.id}'s prices are lowered; the members who pledged are told by email.", "success")
            return redirect(url_for("portal.pool_prices", pool_id=pool.id))
    tiers, list_price = pool_tiers(pool), pool_list_price(pool)
    return render_template(
        "portal/pool_prices.html",
        pool=pool,
        form=form,
        tiers=tiers,
        list_price=list_price,
        unit_price=unit_price(tiers, pool.pledged_quantity, list_price),
        changes=price_changes.price_changes(pool),
        tiers_from=tiers_from_rows,
    ), 422 if form.errors or form.form_errors else 200


def pools_on_old_prices(user: User, offer: Offer) -> OfferPagePart | None:
    """For the offer's own supplier, the part of the offer page that names its open pools on older prices."""
    if not can_act_for_supplier(user, offer.supplier_id):
        return None
    pools = price_changes.pools_keeping_old_prices(offer)
    if not pools:
        return None
    return OfferPagePart("portal/_pools_on_old_prices.html", {"pools": pools, "tiers_of": pool_tiers})


@bp.get("/consortium/<int:consortium_id>/dashboard")
@roles_required(Role.SECRETARY)
def consortium_dashboard(consortium_id: int):
    actor = require_actor()
    consortium = consortium_or_404(actor, consortium_id)
    found = demand.consortium_dashboard(
        consortium,
        pages=demand.DashboardPages(
            at_risk=page_number("risk_page"),
            open_pools=page_number("page"),
            orders=page_number("orders_page"),
            members=page_number("members_page"),
            pools_per_page=POOLS_PER_PAGE,
            members_per_page=MEMBERS_PER_PAGE,
        ),
    )
    return render_template(
        "portal/consortium.html",
        dashboard=found,
        order_url=_order_url(),
        at_risk=found.at_risk,
        open_pools=found.open_pools,
        orders=found.orders_to_progress,
        never_pledged=found.never_pledged,
    )


def _order_url():
    """A function from a purchase order to its page, or None while the order pages are not served."""
    if PURCHASE_ORDER_ENDPOINT not in current_app.view_functions:
        return None
    rule = next(current_app.url_map.iter_rules(PURCHASE_ORDER_ENDPOINT))
    argument = next(iter(rule.arguments))
    return lambda order: url_for(PURCHASE_ORDER_ENDPOINT, **{argument: order.id})
