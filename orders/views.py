"""Pool pages: the open pools, one pool with its demand and my pledge, opening and cancelling."""

from collections.abc import Callable, Sequence
from datetime import UTC
from decimal import Decimal
from types import SimpleNamespace

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from catalogue.models import Category
from kernel import confirm, unit_of_work
from kernel.charts import svg_response
from kernel.clock import UK
from kernel.csv_export import csv_response
from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import db
from kernel.formatting import uk_datetime
from kernel.money import to_pence
from kernel.navigation import Link
from kernel.paging import ListPage
from kernel.web import form_errors, page_number
from kernel.web import page_number as page_arg
from kernel.words import per_unit, quantity
from orders import charts, closing, ladder, purchase_orders, services
from orders.forms import CancelOrderForm, DeliveryForm, DraftPoolForm, PledgeForm, PoolForm
from orders.models import Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from orders.order_documents import order_csv_rows
from orders.prices import pool_list_price, pool_tiers
from orders.purchase_order_pdf import purchase_order_pdf as order_pdf
from organisations.access import roles_required, signed_in
from organisations.models import Role, User
from pools.web import PoolCreation, PoolPages, may_create_pools, status_filter

bp = Blueprint("orders", __name__)


@bp.get("/pools/")
@signed_in
def list_pools():
    status_name, status = status_filter(PoolStatus, "open")
    category = request.args.get("category") or None
    sort = request.args.get("sort", "deadline")
    query = services.filter_pools(services.visible_pools(current_user), status, category, sort)
    page = db.paginate(query, per_page=50)
    pledged = services.pledged_pool_ids(current_user.member_ids, [p.id for p in page.items])
    summaries = [services.summarise(pool) for pool in page.items]
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name)).all()
    return render_template(
        "orders/list.html",
        page=page,
        summaries=summaries,
        pledged=pledged,
        categories=categories,
        status=status_name,
        category=category,
        sort=sort,
        statuses=[s.value for s in PoolStatus],
        can_create=may_create_pools(current_user),
    )


@bp.get("/pools/<int:pool_id>")
@signed_in
def pool_page(pool_id: int):
    pool = services.pool_for(current_user, pool_id)
    form = _pledge_form(pool)
    return _render_pool(pool, form)


@bp.get("/pools/<int:pool_id>/demand.svg")
@signed_in
def pool_growth_chart(pool_id: int):
    pool = services.pool_for(current_user, pool_id)
    return svg_response(charts.pool_growth_svg(services.pledged_by_day(pool), pool.offer.unit))


def _pledge_form(pool, formdata=None) -> PledgeForm:
    members = services.pledging_members(current_user, pool)
    form = PledgeForm(formdata=formdata) if formdata is not None else PledgeForm()
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in members]
    if members and form.member_id.data is None:
        form.member_id.data = members[0].id
    if formdata is None:
        current = services.member_pledges(pool, members[:1]).get(members[0].id) if members else None
        if current is not None and not current.withdrawn:
            form.quantity.data = current.quantity
            form.flexible_extra.data = current.flexible_extra
    return form


PoolLinks = Callable[[User, Pool], list[Link]]
PLEDGES_PER_PAGE = 50


def add_pool_links(app: Flask, links: PoolLinks) -> None:
    """Lets a package above orders link a closed pool's page to its outcome (billing: the pool's invoices)."""
    app.extensions.setdefault("pool_links", []).append(links)


def _render_pool(pool, form, preview=None, status: int = 200):
    members = services.pledging_members(current_user, pool)
    pledges = services.member_pledges(pool, members)
    allocations = closing.member_allocations(pool, {m.id for m in members})
    estimates = closing.members_costs(pool, pledges)
    can_manage = services.can_manage(current_user, pool)
    going = pool.status in (PoolStatus.DRAFT, PoolStatus.OPEN)
    return render_template(
        "orders/pool.html",
        pool=pool,
        summary=services.summarise(pool),
        form=form,
        members=members,
        pledges=pledges,
        estimates=estimates,
        preview=preview,
        can_manage=can_manage,
        pledgeable=services.is_pledgeable(pool),
        allocations=allocations,
        orders=_pool_orders(pool),
        ladder=ladder.ladder(pool_tiers(pool), pool_list_price(pool), pool.pledged_quantity) if going else None,
        growth=services.pledged_by_day(pool),
        all_pledges=db.paginate(
            services.pool_pledges(pool), page=page_arg("pledges_page"), per_page=PLEDGES_PER_PAGE, error_out=False
        )
        if can_manage
        else None,
        outcome_links=[
            link for links in current_app.extensions.get("pool_links", []) for link in links(current_user, pool)
        ]
        if not going
        else [],
    ), status


def _pool_orders(pool: Pool) -> Sequence[PurchaseOrder]:
    """The pool's purchase orders this user may open (secretaries, admins, the supplier)."""
    if pool.status in (PoolStatus.DRAFT, PoolStatus.OPEN, PoolStatus.CANCELLED):
        return []
    return db.session.scalars(
        purchase_orders.visible_orders(current_user).where(PurchaseOrder.pool_id == pool.id)
    ).all()


@bp.post("/pools/<int:pool_id>/pledge")
@roles_required(Role.MEMBER)
def pledge(pool_id: int):
    """Preview shows the estimated cost first; confirm places the pledge."""
    pool = services.pool_for(current_user, pool_id)
    form = _pledge_form(pool, request.form)
    if not form.validate():
        return _render_pool(pool, form, status=422)
    if request.form.get("action") != "confirm":
        member = next((m for m in services.pledging_members(current_user, pool) if m.id == form.member_id.data), None)
        if member is None:
            abort(404)
        current = services.member_pledges(pool, [member]).get(member.id)
        try:
            services.check_pledgeable(pool)
            services.validate_quantities(form.quantity.data, form.flexible_extra.data or 0)
            services.check_room(pool, form.quantity.data, current.quantity if current else 0)
        except DomainError as error:
            form_errors(form, error)
            return _render_pool(pool, form, status=error.status_code)
        preview = services.estimate(pool, member, form.quantity.data, current.quantity if current else 0)
        return _render_pool(pool, form, preview=preview)
    try:
        change = services.pledge(
            current_user, pool.id, form.quantity.data, form.flexible_extra.data or 0, form.member_id.data
        )
        made = f"Your pledge of {quantity(form.quantity.data, pool.offer)} for {change.pledge.member.name} is in."
        unit_of_work.commit()  # the pool's lock goes with it: the next pledge need not wait for this page
    except DomainError as error:
        form_errors(form, error)
        return _render_pool(pool, form, status=error.status_code)
    flash(made, "success")
    return redirect(url_for("orders.pool_page", pool_id=pool.id))


@bp.get("/pools/<int:pool_id>/pledge/withdraw")
@roles_required(Role.MEMBER)
def confirm_withdraw(pool_id: int):
    pool = services.pool_for(current_user, pool_id)
    members = services.pledging_members(current_user, pool)
    member_id = request.args.get("member_id", type=int)
    member = next((m for m in members if member_id in (None, m.id)), None)
    if member is None:
        abort(404)
    current = services.member_pledges(pool, [member]).get(member.id)
    pledged = quantity(current.quantity if current else 0, pool.offer)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Withdraw the pledge of {pledged} for {member.name}?",
            consequences=[
                f"{member.name} leaves the pool for {pool.offer.name}: nothing will be ordered or invoiced for it.",
                "The pool's total falls, so the price the other members are heading for may rise.",
                "Nobody is emailed. The change is kept in the pledge's history.",
                f"You can pledge again while the pool is open, until {uk_datetime(pool.deadline)}.",
            ],
            action=url_for("orders.withdraw", pool_id=pool.id),
            button="Withdraw pledge",
            back=url_for("orders.pool_page", pool_id=pool.id),
            fields={"member_id": member.id},
        )
    )


@bp.post("/pools/<int:pool_id>/pledge/withdraw")
@roles_required(Role.MEMBER)
def withdraw(pool_id: int):
    pool = services.pool_for(current_user, pool_id)
    if not confirm.confirmed():
        page = url_for("orders.confirm_withdraw", pool_id=pool.id, member_id=request.form.get("member_id", type=int))
        return confirm.ask_first(page)
    change = services.withdraw_pledge(current_user, pool.id, request.form.get("member_id", type=int))
    unit_of_work.commit()
    flash(f"The pledge for {change.pledge.member.name} is withdrawn.", "success")
    return redirect(url_for("orders.pool_page", pool_id=pool.id))


@bp.route("/pools/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def create_pool():
    return CREATION.view()


@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def edit_pool(pool_id: int):
    """A draft's terms; once open the page says why they are fixed, and a change is refused with 409."""
    pool = services.pool_for(current_user, pool_id)
    services.require_manager(current_user, pool)
    form = DraftPoolForm(obj=None if request.method == "POST" else _draft_values(pool))
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                services.edit_draft(current_user, pool.id, _terms(form))
            except DomainError as error:
                form_errors(form, error, renamed=CREATION.renamed)
                status = error.status_code
            else:
                flash("The draft pool's terms are saved.", "success")
                return redirect(url_for("orders.pool_page", pool_id=pool.id))
        else:
            status = 422
    fixed = None if pool.status is PoolStatus.DRAFT else services.DRAFT_ONLY.format(status=pool.status.value)
    return render_template("orders/edit.html", pool=pool, form=form, fixed=fixed), status


def _draft_values(pool: Pool) -> SimpleNamespace:
    """The form's fields from the pool: the deadline in UK time, money in pounds."""
    return SimpleNamespace(
        deadline=pool.deadline.astimezone(UK).replace(tzinfo=None),
        minimum_quantity=pool.minimum_quantity,
        capacity=pool.capacity,
        delivery_charge=Decimal(pool.delivery_charge_pence).scaleb(-2),
        note=pool.note,
        solidarity_rate=pool.solidarity_rate_percent,
    )


def _terms(form: PoolForm | DraftPoolForm) -> services.PoolTerms:
    return services.PoolTerms(
        deadline=form.deadline.data.replace(tzinfo=UK).astimezone(UTC),
        minimum_quantity=form.minimum_quantity.data,
        capacity=form.capacity.data,
        delivery_charge_pence=to_pence(form.delivery_charge.data or Decimal(0)),
        note=form.note.data,
        solidarity_rate_percent=form.solidarity_rate.data or Decimal(0),
    )


PAGES = PoolPages(
    endpoint="orders.pool_page",
    id_arg="pool_id",
    find=services.pool_for,
    require_visible=services.require_visible,
    open=services.open_pool,
    cancel=services.cancel_pool,
    opened=lambda pool: "The pool is open: members of its consortia can pledge until the deadline.",
    cancelled="The pool is cancelled; members see the reason on its page.",
    cancel_consequences=lambda pool: [
        "No pledge goes further: nothing is ordered from the supplier or invoiced to anyone.",
        "Every member that pledged is emailed the reason you give, which also shows on the pool's page.",
        "It cannot be undone: a cancelled pool stays cancelled; open a new pool to try again.",
    ],
)
CREATION = PoolCreation(
    pages=PAGES,
    form=PoolForm,
    template="orders/new.html",
    offer_choice=lambda o: f"{o.name} ({o.supplier.name}, {per_unit(o.list_price, o)})",
    terms_from_form=_terms,
    create=services.create_pool,
    saved="The pool is saved as a draft. Open it when you are ready for pledges.",
    renamed={"delivery_charge_pence": "delivery_charge", "solidarity_rate_percent": "solidarity_rate"},
)


PAGES.add_moves(bp, "/pools/<int:pool_id>")


@bp.get("/pledges")
@roles_required(Role.MEMBER)
def my_pledges():
    page = db.paginate(services.my_pledges(current_user), per_page=50)
    return render_template("orders/pledges.html", page=page)


CLOSE_LINES_PER_PAGE = 50  # members' lines in a page of the close preview; the totals are the whole pool's


@bp.get("/pools/<int:pool_id>/close")
@roles_required(Role.SECRETARY)
def close_preview(pool_id: int):
    """Exactly what closing will do, before the secretary confirms it."""
    pool = services.pool_for(current_user, pool_id)
    plan = closing.preview_close(current_user, pool)
    lines = ListPage.fetched(
        lambda limit, offset: closing.member_lines(plan, offset, offset + limit),
        page_number(),
        CLOSE_LINES_PER_PAGE,
        plan.members,
    )
    shown = [(c, c.lines) for c in plan.consortia if c.lines]
    return render_template("orders/close_preview.html", pool=pool, plan=plan, lines=lines, shown=shown)


@bp.post("/pools/<int:pool_id>/close")
@roles_required(Role.SECRETARY)
def close_pool(pool_id: int):
    pool = services.pool_for(current_user, pool_id)
    services.require_manager(current_user, pool)
    result = closing.close_pool(current_user, pool.id)
    if result.cancelled:
        flash(f"The pool is cancelled: {result.plan.cancel_reason}", "info")
    else:
        numbers = ", ".join(order.number for order in result.purchase_orders)
        flash(
            f"The pool is closed at {per_unit(result.plan.unit_price, pool.offer)}. Purchase orders: {numbers}.",
            "success",
        )
    return redirect(url_for("orders.pool_page", pool_id=pool.id))


@bp.get("/purchase-orders/")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
def purchase_orders_list():
    status = request.args.get("status") or None
    query = purchase_orders.visible_orders(current_user)
    if status in {s.value for s in PurchaseOrderStatus}:
        query = query.where(PurchaseOrder.status == PurchaseOrderStatus(status))
    page = db.paginate(query, per_page=50)
    return render_template(
        "orders/purchase_orders.html", page=page, status=status, statuses=[s.value for s in PurchaseOrderStatus]
    )


@bp.get("/purchase-orders/<int:order_id>")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
def purchase_order(order_id: int):
    return _render_order(purchase_orders.order_for(current_user, order_id))


ALLOCATIONS_PER_PAGE = 100  # members in a page of an order's delivery breakdown


def _render_order(order, delivery_form=None, status: int = 200, delivery_errors=None):
    return render_template(
        "orders/purchase_order.html",
        order=order,
        allocations=ListPage.of(order.allocations, page_number(), ALLOCATIONS_PER_PAGE),
        delivery_form=delivery_form or DeliveryForm(formdata=None),
        buyer=purchase_orders.is_buyer(current_user, order),
        seller=purchase_orders.is_seller(current_user, order),
        delivered_units=purchase_orders.delivered_units(order),
        short=purchase_orders.is_short(order),
        delivery_errors=delivery_errors or {},
    ), status


@bp.get("/purchase-orders/<int:order_id>.csv")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
def purchase_order_csv(order_id: int):
    order = purchase_orders.order_for(current_user, order_id)
    return csv_response(f"{order.number}.csv", *order_csv_rows(order))


@bp.get("/purchase-orders/<int:order_id>.pdf")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
def purchase_order_pdf(order_id: int):
    order = purchase_orders.order_for(current_user, order_id)
    response = make_response(order_pdf(order))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{order.number}.pdf"'
    return response


@bp.post("/purchase-orders/<int:order_id>/send")
@roles_required(Role.SECRETARY)
def send_order(order_id: int):
    order = purchase_orders.send(current_user, purchase_orders.order_for(current_user, order_id))
    flash(f"{order.number} is sent to {order.supplier.name}.", "success")
    return redirect(url_for("orders.purchase_order", order_id=order.id))


@bp.post("/purchase-orders/<int:order_id>/confirm")
@roles_required(Role.SUPPLIER)
def confirm_order(order_id: int):
    order = purchase_orders.confirm(current_user, purchase_orders.order_for(current_user, order_id))
    flash(f"{order.number} is confirmed.", "success")
    return redirect(url_for("orders.purchase_order", order_id=order.id))


@bp.post("/purchase-orders/<int:order_id>/deliveries")
@roles_required(Role.SECRETARY, Role.SUPPLIER)
def record_delivery(order_id: int):
    """Delivered units per member; a blank box means the member received everything allocated."""
    order = purchase_orders.order_for(current_user, order_id)
    form = DeliveryForm()
    delivered, errors = {}, {}
    for allocation in order.allocations:
        raw = request.form.get(f"delivered-{allocation.member_id}", "").strip()
        if raw.isascii() and raw.isdigit():
            delivered[allocation.member_id] = int(raw)
        elif raw:
            errors[allocation.member_id] = "Enter a whole number of units."
    if form.validate() and not errors:
        try:
            purchase_orders.record_delivery(current_user, order, delivered)
        except ValidationFailed as error:
            errors = {int(name.split(".")[1]): messages[0] for name, messages in error.fields.items()}
        else:
            flash(f"Delivery of {order.number} recorded.", "success")
            return redirect(url_for("orders.purchase_order", order_id=order.id))
    form.form_errors.append("Some delivered quantities are not valid.")
    return _render_order(order, delivery_form=form, status=422, delivery_errors=errors)


def _ask_cancel_order(order: PurchaseOrder, form: CancelOrderForm, status: int = 200):
    return confirm.ask(
        confirm.Confirmation(
            title=f"Cancel purchase order {order.number}?",
            consequences=[
                f"{order.supplier.name} sees the order cancelled, with your reason; nothing on it is delivered.",
                "Nothing is invoiced for it. If it is the pool's last order, the pool is cancelled too and its "
                "members read the reason on its page.",
                "It cannot be undone.",
            ],
            action=url_for("orders.cancel_order", order_id=order.id),
            button="Cancel this order",
            back=url_for("orders.purchase_order", order_id=order.id),
            form=form,
        ),
        status,
    )


@bp.get("/purchase-orders/<int:order_id>/cancel")
@roles_required(Role.SECRETARY)
def confirm_cancel_order(order_id: int):
    return _ask_cancel_order(purchase_orders.order_for(current_user, order_id), CancelOrderForm(formdata=None))


@bp.post("/purchase-orders/<int:order_id>/cancel")
@roles_required(Role.SECRETARY)
def cancel_order(order_id: int):
    order = purchase_orders.order_for(current_user, order_id)
    if not confirm.confirmed():
        return confirm.ask_first(url_for("orders.confirm_cancel_order", order_id=order.id))
    form = CancelOrderForm()
    if not form.validate():
        return _ask_cancel_order(order, form, 422)
    purchase_orders.cancel(current_user, order, form.reason.data)
    flash(f"{order.number} is cancelled.", "success")
    return redirect(url_for("orders.purchase_order", order_id=order.id))
