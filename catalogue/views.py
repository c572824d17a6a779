"""Catalogue pages: browse and search offers; suppliers keep their own offers and tiers."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

import pygal
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from catalogue import pricing, services
from catalogue.forms import OfferForm, SearchForm
from catalogue.models import Offer
from kernel import confirm
from kernel.charts import GREEN, INK, chart_style, render_svg, svg_response
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.formatting import price
from kernel.web import form_errors, pick, submitted_ids
from organisations.access import require_actor, roles_required, signed_in
from organisations.models import Organisation, Role, Supplier, User

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

PER_PAGE = 25


class OfferPagePart(NamedTuple):
    """A template the offer page includes, and what it shows (as `part.values` there)."""

    template: str
    values: dict[str, Any]


# A part of the offer page that a package above the catalogue adds, for the viewer, or None to add nothing.
OfferSection = Callable[[User, Offer], OfferPagePart | None]


def add_offer_section(app: Flask, section: OfferSection) -> None:
    """Lets a package above the catalogue add to the offer page (orders: the open pools on older prices)."""
    app.extensions.setdefault("offer_sections", []).append(section)


# Everyone signed in


@bp.get("/")
@signed_in
def browse():
    actor = require_actor()
    form = SearchForm(request.args)
    categories = services.list_categories()
    chosen = submitted_ids("supplier")
    suppliers = pick(
        services.active_suppliers(),
        [Organisation.legal_name],
        "supplier_search",
        Supplier.id.in_(chosen) if chosen else None,
    )
    form.category.choices = [SelectChoice("", "All categories")] + [SelectChoice(c.slug, c.name) for c in categories]
    form.supplier.choices = [SelectChoice("", "All suppliers")] + [
        SelectChoice(str(s.id), s.name) for s in suppliers.items
    ]
    status = 200
    if request.args and not form.validate():
        status = 422
    category = services.category_by_slug(form.category.data) if form.category.data else None
    supplier_id = int(form.supplier.data) if form.supplier.data and not form.supplier.errors else None
    query = services.search_offers(
        actor,
        category=category,
        supplier_id=supplier_id,
        q=form.q.data if not form.q.errors else None,
        buy_social=True if form.buy_social.data else None,
    )
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    filters = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "catalogue/browse.html",
        form=form,
        page=page,
        filters=filters,
        best_price=services.best_price,
        suppliers=suppliers,
    ), status


@bp.get("/offers/<int:offer_id>")
@signed_in
def offer(offer_id: int):
    actor = require_actor()
    offer_ = services.get_offer(offer_id)
    rows = [(tier, pricing.saving(offer_.list_price, tier.unit_price, 1)[1]) for tier in services.tiers_of(offer_)]
    can_edit = services.can_keep(actor, offer_)
    added = (section(actor, offer_) for section in current_app.extensions.get("offer_sections", []))
    return render_template(
        "catalogue/offer.html", offer=offer_, rows=rows, can_edit=can_edit, sections=[s for s in added if s]
    )


@bp.get("/offers/<int:offer_id>/price-chart.svg")
@signed_in
def price_chart(offer_id: int):
    offer_ = services.get_offer(offer_id)
    return svg_response(price_chart_svg(offer_.list_price, services.tiers_of(offer_), offer_.unit))


def price_chart_svg(list_price: Decimal, tiers: list[pricing.Tier], unit: str) -> bytes:
    """A step chart of unit price against total quantity; tier starts are labelled dots, so no colour is needed."""
    style = chart_style((GREEN, INK))
    last = tiers[-1].min_quantity if tiers else 1
    end = max(last + max(last // 4, 1), 2)
    steps, current = [(1, float(list_price))], list_price
    for tier in tiers:
        steps += [(tier.min_quantity, float(current)), (tier.min_quantity, float(tier.unit_price))]
        current = tier.unit_price
    steps.append((end, float(current)))
    starts = [{"value": (1, float(list_price)), "label": f"List {price(list_price)}"}]
    starts += [
        {"value": (t.min_quantity, float(t.unit_price)), "label": f"From {t.min_quantity:,}: {price(t.unit_price)}"}
        for t in tiers
    ]
    chart = pygal.XY(
        js=[],
        style=style,
        width=640,
        height=320,
        explicit_size=True,
        legend_at_bottom=True,
        print_labels=True,
        dots_size=5,
        include_x_axis=False,
        show_x_guides=False,
        title="Unit price by total quantity",
        x_title=f"Total quantity ({unit})",
        y_title="Unit price (£)",
        value_formatter=lambda y: f"£{y:.4f}",
        x_value_formatter=lambda x: f"{x:,.0f}",
    )
    chart.add("Unit price", steps, show_dots=False, stroke_style={"width": 3})
    chart.add("Tier starts (labelled)", starts, stroke=False)
    return render_svg(chart)


# A supplier's own offers


@bp.get("/supplier/<int:supplier_id>/offers")
@roles_required(Role.SUPPLIER)
def supplier_offers(supplier_id: int):
    actor = require_actor()
    supplier = services.supplier_for(actor, supplier_id)
    query = services.search_offers(actor, supplier_id=supplier.id, include_withdrawn=True)
    page = db.paginate(query, per_page=PER_PAGE, error_out=False)
    return render_template("catalogue/supplier_offers.html", supplier=supplier, page=page)


def _offer_form(offer_: Offer | None = None) -> OfferForm:
    form = OfferForm(obj=offer_)
    form.category.choices = [SelectChoice(c.id, c.name) for c in services.list_categories()]
    if offer_ is not None and request.method == "GET":
        form.category.data = offer_.category_id
    return form


@bp.route("/supplier/<int:supplier_id>/offers/new", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def new_offer(supplier_id: int):
    actor = require_actor()
    supplier = services.supplier_for(actor, supplier_id)
    form = _offer_form()
    if form.validate_on_submit():
        try:
            created = services.create_offer(actor, supplier.id, form.offer_data())
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Offer “{created.name}” added to the catalogue.", "success")
            return redirect(url_for("catalogue.supplier_offers", supplier_id=supplier.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalogue/offer_form.html", form=form, supplier=supplier, offer=None), status


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def edit_offer(offer_id: int):
    actor = require_actor()
    offer_ = services.offer_for_supplier(actor, offer_id)
    form = _offer_form(offer_)
    if request.method == "GET":
        form.add_blank_tier_rows()
    if form.validate_on_submit():
        try:
            services.update_offer(actor, offer_, form.offer_data())
        except DomainError as error:
            form_errors(form, error)
        else:
            flash(f"Offer “{offer_.name}” saved.", "success")
            return redirect(url_for("catalogue.supplier_offers", supplier_id=offer_.supplier_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalogue/offer_form.html", form=form, supplier=offer_.supplier, offer=offer_), status


@bp.get("/offers/<int:offer_id>/withdraw")
@roles_required(Role.SUPPLIER)
def confirm_withdraw_offer(offer_id: int):
    offer_ = services.offer_for_supplier(require_actor(), offer_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Withdraw the offer “{offer_.name}”?",
            consequences=[
                "Members no longer see it in the catalogue, and no new pool can be opened for it.",
                "Pools already open for it go on at the prices they opened with; nobody is emailed.",
                "It can be undone: put it back in the catalogue from your offers page.",
            ],
            action=url_for("catalogue.withdraw_offer", offer_id=offer_.id),
            button="Withdraw offer",
            back=url_for("catalogue.supplier_offers", supplier_id=offer_.supplier_id),
        )
    )


@bp.post("/offers/<int:offer_id>/withdraw")
@roles_required(Role.SUPPLIER)
def withdraw_offer(offer_id: int):
    actor = require_actor()
    if not confirm.confirmed():
        services.offer_for_supplier(actor, offer_id)
        return confirm.ask_first(url_for("catalogue.confirm_withdraw_offer", offer_id=offer_id))
    offer_ = services.withdraw_offer(actor, services.offer_for_supplier(actor, offer_id))
    flash(f"Offer “{offer_.name}” withdrawn: members no longer see it in the catalogue.", "info")
    return redirect(url_for("catalogue.supplier_offers", supplier_id=offer_.supplier_id))


@bp.post("/offers/<int:offer_id>/reactivate")
@roles_required(Role.SUPPLIER)
def reactivate_offer(offer_id: int):
    actor = require_actor()
    offer_ = services.reactivate_offer(actor, services.offer_for_supplier(actor, offer_id))
    flash(f"Offer “{offer_.name}” is back in the catalogue.", "success")
    return redirect(url_for("catalogue.supplier_offers", supplier_id=offer_.supplier_id))
