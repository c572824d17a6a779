"""Shared-service pool pages: the list, one pool with my share, joining and leaving, the billing calendar."""

from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from kernel.clock import uk_today
from kernel.errors import DomainError
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.money import to_pence
from kernel.web import form_errors, page_number
from kernel.words import per_unit
from organisations.access import consortium_or_404, roles_required, signed_in
from organisations.models import Role
from pools.web import PoolCreation, PoolPages, may_create_pools, status_filter
from shared_services import services
from shared_services.forms import JoinForm, LeaveForm, ServicePoolForm
from shared_services.models import AllocationKey, PeriodLength, ServicePoolStatus

bp = Blueprint("shared_services", __name__)
PARTICIPANTS_PER_PAGE = 50  # members in a page of a pool's participants; the shares' total is everyone's
CHANGES_PER_PAGE = 50  # entries in a page of a pool's history of participation


@bp.get("/shared-services/")
@signed_in
def list_pools():
    status_name, status = status_filter(ServicePoolStatus, "all")
    page = db.paginate(services.visible_pools(current_user, status), per_page=50)
    joined = services.joined_pool_ids(current_user.member_ids, [pool.id for pool in page.items])
    return render_template(
        "shared_services/list.html",
        page=page,
        status=status_name,
        joined=joined,
        statuses=[s.value for s in ServicePoolStatus],
        can_create=may_create_pools(current_user),
    )


@bp.get("/shared-services/<int:service_pool_id>")
@signed_in
def pool_page(service_pool_id: int):
    return _render_pool(services.pool_for(current_user, service_pool_id))


def _member_choices(pool, form) -> None:
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in services.joining_members(current_user, pool)]


def _render_pool(pool, join_form=None, leave_form=None, status: int = 200):
    """The pool page; a failed form is shown again with its errors and the join/leave choices it needs.

    The shares are projected from the participants summed up by cohort; only the page of participants
    and the page of history shown are loaded as objects.
    """
    members = services.joining_members(current_user, pool)
    projected = services.projection(pool)
    today = uk_today()
    mine = services.member_shares(pool, members, today, projected)
    joiners = [
        m.member
        for m in mine
        if pool.status is ServicePoolStatus.OPEN
        or m.participation is None
        or m.participation.withdrawn
        or m.participation.left_after is not None
    ]
    join_form = join_form or JoinForm(formdata=None)
    leave_form = leave_form or LeaveForm(formdata=None)
    join_form.member_id.choices = [SelectChoice(m.id, m.name) for m in joiners]
    leave_form.member_id.choices = [
        SelectChoice(m.member.id, m.member.name) for m in mine if m.earliest_leave is not None
    ]
    now = services.current_period(pool, today)
    period = min(max(now, 1), pool.term_periods)
    shown = services.taking_part_page(pool, current_user, page_number("participants_page"), PARTICIPANTS_PER_PAGE)
    return render_template(
        "shared_services/pool.html",
        pool=pool,
        active_count=projected.active_count,
        projected_count=projected.count(period),
        projected_total=projected.total(period),
        shown_shares={p.member_id: pence for p in shown.items if (pence := projected.share(period, p)) is not None},
        projected_period=period,
        label=lambda n: services.period_label(pool, n),
        mine=mine,
        members=members,
        joiners=joiners,
        billed=services.billed_period_rows(pool),
        own_charges=services.charges_of(pool, current_user.member_ids),
        runs=next(
            (c for c in pool.consortia if current_user.is_admin or c.id in current_user.secretary_consortium_ids), None
        ),
        shown=shown,
        changes=services.history_page(pool, current_user, page_number("history_page"), CHANGES_PER_PAGE),
        can_manage=services.can_manage(current_user, pool),
        join_form=join_form,
        leave_form=leave_form,
        now=now,
        joinable=pool.status in (ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE),
    ), status


@bp.route("/shared-services/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def create_pool():
    return CREATION.view()


def _terms(form: ServicePoolForm) -> services.PoolTerms:
    return services.PoolTerms(
        cost_per_period_pence=to_pence(form.cost_per_period.data or Decimal(0)),
        period=PeriodLength(form.period.data),
        term_periods=form.term_periods.data,
        start_date=form.start_date.data,
        minimum_participants=form.minimum_participants.data,
        allocation_key=AllocationKey(form.allocation_key.data),
        notice_periods=form.notice_periods.data,
        note=form.note.data,
    )


PAGES = PoolPages(
    endpoint="shared_services.pool_page",
    id_arg="service_pool_id",
    find=services.pool_for,
    require_visible=services.require_visible,
    open=services.open_pool,
    cancel=services.cancel_pool,
    opened=lambda pool: f"The pool is open: members of its consortia can join until {pool.start_date:%-d %b %Y}.",
    cancelled="The pool is cancelled; the members who joined are told why.",
    cancel_consequences=lambda pool: [
        "The service does not start: no period is billed to anyone for it.",
        "Every member that joined is emailed the reason you give, which also shows on the pool's page.",
        "It cannot be undone: a cancelled pool stays cancelled; open a new pool to try again.",
    ],
)
CREATION = PoolCreation(
    pages=PAGES,
    form=ServicePoolForm,
    template="shared_services/new.html",
    offer_choice=lambda o: f"{o.name} ({o.supplier.name}, list {per_unit(o.list_price, o)})",
    terms_from_form=_terms,
    create=services.create_pool,
    saved="The shared-service pool is saved as a draft. Open it when members may join.",
    renamed={"cost_per_period_pence": "cost_per_period"},
)


PAGES.add_moves(bp, "/shared-services/<int:service_pool_id>")


@bp.post("/shared-services/<int:service_pool_id>/join")
@roles_required(Role.MEMBER)
def join(service_pool_id: int):
    pool = services.pool_for(current_user, service_pool_id)
    form = JoinForm()
    _member_choices(pool, form)
    if form.validate():
        try:
            participation = services.join(current_user, pool.id, form.units.data, form.member_id.data).participation
        except DomainError as error:
            form_errors(form, error)
            return _render_pool(
                services.pool_for(current_user, service_pool_id), join_form=form, status=error.status_code
            )
        flash(
            f"{participation.member.name} takes part from period {participation.joined_from} "
            f"({services.period_label(pool, participation.joined_from)}).",
            "success",
        )
        return redirect(url_for("shared_services.pool_page", service_pool_id=pool.id))
    return _render_pool(pool, join_form=form, status=422)


@bp.post("/shared-services/<int:service_pool_id>/leave")
@roles_required(Role.MEMBER)
def leave(service_pool_id: int):
    pool = services.pool_for(current_user, service_pool_id)
    form = LeaveForm()
    _member_choices(pool, form)
    if form.validate():
        try:
            participation = services.leave(current_user, pool.id, form.member_id.data, form.after_period.data)
        except DomainError as error:
            form_errors(form, error)
            return _render_pool(
                services.pool_for(current_user, service_pool_id), leave_form=form, status=error.status_code
            )
        if participation.withdrawn:
            flash(f"{participation.member.name} no longer takes part.", "success")
        elif participation.left_after is not None:
            end = services.period_dates(pool, participation.left_after)[1]
            flash(
                f"{participation.member.name} leaves after period {participation.left_after}, ending {end:%-d %b %Y}.",
                "success",
            )
        return redirect(url_for("shared_services.pool_page", service_pool_id=pool.id))
    return _render_pool(pool, leave_form=form, status=422)


@bp.post("/shared-services/<int:service_pool_id>/bill")
@roles_required(Role.SECRETARY)
def bill_due(service_pool_id: int):
    """The secretary's button for what the nightly command does: start the pool if due, bill due periods."""
    pool = services.pool_for(current_user, service_pool_id)
    services.require_manager(current_user, pool)
    today = uk_today()
    through = date(today.year, today.month, 1)
    started = services.start_pool(pool.id, through, current_user)
    if started is not None and started.status is ServicePoolStatus.CANCELLED:
        flash(f"The pool is cancelled: {started.cancel_reason}", "info")
        return redirect(url_for("shared_services.pool_page", service_pool_id=pool.id))
    billed = [
        b
        for period in services.due_periods(pool, through)
        if (b := services.bill_period(current_user, pool.id, period, today)) is not None
    ]
    if billed:
        flash(
            f"Billed {len(billed)} period{'s' if len(billed) != 1 else ''}: "
            + ", ".join(f"period {b.period} ({pounds(b.cost_pence)})" for b in billed)
            + ".",
            "success",
        )
    else:
        flash("Nothing is due: every period up to this month is billed.", "info")
    return redirect(url_for("shared_services.pool_page", service_pool_id=pool.id))


@bp.get("/consortia/<int:consortium_id>/shared-services/calendar")
@roles_required(Role.SECRETARY)
def calendar(consortium_id: int):
    consortium = consortium_or_404(current_user, consortium_id)
    page = services.calendar(consortium, page=page_number())
    return render_template("shared_services/calendar.html", consortium=consortium, page=page)
