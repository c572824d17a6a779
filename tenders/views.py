"""Tender pages: the list, starting one, the tender's page for each role, bidding, the comparison and scoring,
the moves of its lifecycle, and its audit trail (page and CSV). Every rule is in tenders.services."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from catalogue.models import Category
from frameworks import services as frameworks
from frameworks.models import Route
from kernel.clock import UK, uk_today
from kernel.csv_export import csv_response
from kernel.errors import Conflict, DomainError, ValidationFailed
from kernel.extensions import db
from kernel.formatting import uk_datetime
from kernel.money import to_pence
from kernel.web import form_errors, no_store, page_number, query_id
from orders.models import POOLS, Pool, PoolStatus
from organisations.access import require_actor, roles_required
from organisations.models import Consortium, Role, Supplier
from tenders import services
from tenders.forms import (
    AnswerForm,
    BidForm,
    FrameworkAwardForm,
    MiniCompetitionForm,
    QuestionForm,
    ReasonForm,
    ScoreForm,
    TenderForm,
)
from tenders.models import Tender, TenderStatus
from tenders.ranking import BidTier

bp = Blueprint("tenders", __name__, url_prefix="/tenders")
READERS = (Role.SECRETARY, Role.SUPPLIER, Role.MEMBER)
RUNNERS = (Role.SECRETARY, Role.MEMBER)  # a member's people run its mini-competitions
S = TenderStatus


@bp.get("/")
@roles_required(*READERS)
def index():
    user = require_actor()
    page = db.paginate(services.visible(user), page=page_number(), per_page=50, error_out=False)
    return render_template(
        "tenders/index.html", page=page, may_create=user.is_admin or bool(user.secretary_consortium_ids)
    )


def _choices(form: TenderForm) -> None:
    user = require_actor()
    consortia = select(Consortium).order_by(Consortium.name)
    if not user.is_admin:
        consortia = consortia.where(Consortium.id.in_(user.secretary_consortium_ids or {-1}))
    national = [SelectChoice(0, "National: every consortium")] if user.is_admin else []
    form.consortium_id.choices = national + [SelectChoice(c.id, c.name) for c in db.session.scalars(consortia)]
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name))
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]
    pools = db.session.scalars(
        POOLS.visible(user)
        .where(Pool.status.in_([PoolStatus.DRAFT, PoolStatus.OPEN]))
        .order_by(Pool.id.desc())
        .limit(100)
    )
    form.pool_id.choices = [SelectChoice(0, "None: describe the lot")] + [
        SelectChoice(p.id, f"{p.offer.name} ({p.status.value}, {p.pledged_quantity:,} pledged)") for p in pools
    ]
    suppliers = db.session.scalars(select(Supplier).where(Supplier.active).join(Supplier.organisation).limit(200))
    form.supplier_ids.choices = [SelectChoice(s.id, s.name) for s in sorted(suppliers, key=lambda s: s.name)]


def _draft(form: TenderForm) -> services.TenderDraft:
    user = require_actor()
    if form.pool_id.data:
        lot = services.lot_from_pool(user, form.pool_id.data)
    else:
        lot = services.LotDraft(
            form.lot_name.data or "", form.lot_unit.data or "", form.forecast_quantity.data or 0, form.vat_rate.data
        )
    return services.TenderDraft(
        title=form.title.data,
        category_id=form.category_id.data,
        consortium_id=form.consortium_id.data or None,
        specification=form.specification.data,
        clarification_deadline=form.clarification_deadline.data.replace(tzinfo=UK).astimezone(UTC),
        submission_deadline=form.submission_deadline.data.replace(tzinfo=UK).astimezone(UTC),
        lots=[lot],
        price_weight=form.price_weight.data,
        quality_weight=form.quality_weight.data,
        social_weight=form.social_weight.data,
        minimum_valid_bids=form.minimum_valid_bids.data,
        standstill_days=form.standstill_days.data,
        open_to_all=form.open_to_all.data,
        supplier_ids=form.supplier_ids.data or [],
        quality_questions=(form.quality_questions.data or "").splitlines(),
    )


LOT_FIELDS = {
    "lots.0.name": "lot_name",
    "lots.0.unit": "lot_unit",
    "lots.0.forecast_quantity": "forecast_quantity",
    "lots.0.pool_id": "pool_id",
    "lots.0.vat_rate": "vat_rate",
}


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.SECRETARY)
def new():
    user = require_actor()
    form = TenderForm()
    _choices(form)
    if request.method == "GET":
        form.pool_id.data = query_id("pool_id") or 0
    if form.validate_on_submit():
        try:
            tender = services.create_tender(user, _draft(form))
        except DomainError as error:
            form_errors(form, error, LOT_FIELDS)
            return render_template("tenders/new.html", form=form), error.status_code
        flash("The tender is saved as a draft. Name its evaluators, then publish it.", "success")
        return redirect(url_for("tenders.tender_page", tender_id=tender.id))
    return render_template("tenders/new.html", form=form), 422 if form.errors else 200


@bp.get("/<int:tender_id>")
@roles_required(*READERS)
def tender_page(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    runner = services.can_run(user, tender)
    suppliers = services.bidding_suppliers(user, tender)
    return no_store(_tender_page(tender, runner, suppliers))


def _tender_page(tender: Tender, runner: bool, suppliers: list, award_form: FrameworkAwardForm | None = None):
    user = require_actor()
    return render_template(
        "tenders/tender.html",
        tender=tender,
        runner=runner,
        keeps_trail=user.is_admin or tender.consortium_id in user.secretary_consortium_ids,
        framework=services.framework_of(tender),
        award_form=award_form or _award_form(tender, runner),
        evaluator=services.is_evaluator(user, tender),
        suppliers=suppliers,
        own_bids={b.lot_id: b for b in services.own_bids(user, tender)},
        bid_counts=services.bid_counts(tender) if runner else {},
        clarifications=services.clarifications(user, tender),
        question_form=QuestionForm(),
        answer_form=AnswerForm(),
        reason_form=ReasonForm(),
        evaluators=services.evaluators(tender),
        candidates=list(db.session.scalars(services.evaluator_candidates(tender).limit(200))) if runner else [],
        proposed=services.proposed_bids(tender) if not tender.sealed else {},
        invited=tender.invited if runner else [],
        history=services.history(tender),
        taking_bids=tender.status in (S.PUBLISHED, S.CLARIFICATIONS_CLOSED),
    )


def _award_form(tender: Tender, runner: bool) -> FrameworkAwardForm | None:
    """The terms of a framework at the winning prices, for a tender in standstill with a lot not from a pool."""
    if not runner or tender.status != S.STANDSTILL or tender.is_mini_competition:
        return None
    if all(lot.pool_id is not None for lot in tender.lots):
        return None
    today = uk_today()
    return FrameworkAwardForm(
        formdata=None,
        name=tender.title,
        starts_on=today,
        ends_on=today.replace(year=today.year + 2) - timedelta(days=1)
        if (today.month, today.day) != (2, 29)
        else today,
        ceiling=Decimal(services.framework_award_estimate(tender)).scaleb(-2),
        route=Route.DIRECT_AWARD.value,
    )


@bp.post("/<int:tender_id>/award-framework")
@roles_required(Role.SECRETARY)
def award_framework(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    form = FrameworkAwardForm()
    if form.validate():
        assert form.ceiling.data is not None and form.allowance_percent.data is not None  # InputRequired
        assert form.fee_percent.data is not None
        terms = services.FrameworkAward(
            form.name.data,
            form.starts_on.data,
            form.ends_on.data,
            to_pence(form.ceiling.data),
            form.allowance_percent.data,
            form.fee_percent.data,
            Route(form.route.data),
        )
        try:
            framework = services.award_to_framework(user, tender, terms)
        except (Conflict, ValidationFailed) as error:
            form_errors(form, error, {"ceiling_pence": "ceiling"})
        else:
            flash(f"The tender is awarded: framework {framework.reference} is live at the winning prices.", "success")
            return redirect(url_for("frameworks.framework_page", framework_id=framework.id))
    runner = services.can_run(user, tender)
    page = _tender_page(tender, runner, services.bidding_suppliers(user, tender), form)
    return no_store(page), 409 if form.form_errors else 422


@bp.route("/<int:tender_id>/lots/<int:lot_id>/bid", methods=["GET", "POST"])
@roles_required(Role.SUPPLIER)
def bid(tender_id: int, lot_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    lot = next((lot for lot in tender.lots if lot.id == lot_id), None)
    if lot is None:
        return render_template("errors.html", status=404, message="No such lot in this tender."), 404
    form = BidForm()
    if request.method == "GET":
        _fill_bid_form(form, tender, lot_id)
    if form.validate_on_submit():
        draft = services.BidDraft(
            [BidTier(row.min_quantity.data, row.unit_price.data) for row in form.tiers if not row.form.is_blank],
            to_pence(form.delivery_charge.data or Decimal(0)),
            form.lead_time_days.data,
            [entry.data for entry in form.answers],
        )
        try:
            services.submit_bid(user, tender, lot.id, draft, request.form.get("supplier_id", type=int))
        except DomainError as error:
            form_errors(form, error, {"delivery_charge_pence": "delivery_charge"})
            return _bid_page(tender, lot, form), error.status_code
        flash("Your bid is in. It stays sealed until the opening; you may replace it until the deadline.", "success")
        return redirect(url_for("tenders.tender_page", tender_id=tender.id))
    return _bid_page(tender, lot, form), 422 if form.errors else 200


def _fill_bid_form(form: BidForm, tender: Tender, lot_id: int) -> None:
    """The supplier's bid as it stands, or blank rows and one answer box per quality question."""
    user = require_actor()
    current = next((b for b in services.own_bids(user, tender) if b.lot_id == lot_id), None)
    if current is not None:
        for row, tier in zip(form.tiers, current.tiers, strict=False):
            row.min_quantity.data, row.unit_price.data = tier.min_quantity, tier.unit_price
        form.delivery_charge.data = Decimal(current.delivery_charge_pence) / 100
        form.lead_time_days.data = current.lead_time_days
    answers = current.answers if current is not None else []
    while len(form.answers) < len(tender.quality_questions):
        form.answers.append_entry(answers[len(form.answers)] if len(form.answers) < len(answers) else None)


def _bid_page(tender: Tender, lot, form: BidForm):
    user = require_actor()
    return no_store(
        render_template(
            "tenders/bid.html",
            tender=tender,
            lot=lot,
            form=form,
            suppliers=services.bidding_suppliers(user, tender),
            questions=list(zip(tender.quality_questions, form.answers, strict=False)),
        )
    )


@bp.get("/<int:tender_id>/comparison")
@roles_required(Role.SECRETARY, Role.MEMBER)
def comparison(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    lots = services.compare(user, tender)
    return no_store(
        render_template(
            "tenders/comparison.html",
            tender=tender,
            lots=lots,
            runner=services.can_run(user, tender),
            evaluator=services.is_evaluator(user, tender),
            scores=services.my_scores(user, tender),
            score_form=ScoreForm(),
        )
    )


@bp.post("/<int:tender_id>/bids/<int:bid_id>/score")
@roles_required(Role.MEMBER)
def score(tender_id: int, bid_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    form = ScoreForm()
    if not form.validate():
        flash("Score quality with a whole number from 0 to 100.", "error")
    else:
        services.score(user, tender, bid_id, form.quality.data, form.note.data)
        flash("Your score is saved; the other evaluators do not see it.", "success")
    return redirect(url_for("tenders.comparison", tender_id=tender.id))


@bp.post("/<int:tender_id>/clarifications")
@roles_required(Role.SUPPLIER)
def ask(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    form = QuestionForm()
    if form.validate():
        services.ask(user, tender, form.question.data, request.form.get("supplier_id", type=int))
        flash("Your question is sent. The answer is published to every bidder, without your name.", "success")
    else:
        flash("Write your question.", "error")
    return redirect(url_for("tenders.tender_page", tender_id=tender.id))


@bp.post("/<int:tender_id>/clarifications/<int:clarification_id>/answer")
@roles_required(*RUNNERS)
def answer(tender_id: int, clarification_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    form = AnswerForm()
    if form.validate():
        services.answer(user, tender, clarification_id, form.answer.data)
        flash("The answer is published to every bidder.", "success")
    else:
        flash("Write the answer.", "error")
    return redirect(url_for("tenders.tender_page", tender_id=tender.id))


@bp.post("/<int:tender_id>/evaluators")
@roles_required(*RUNNERS)
def name_evaluators(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    ids = [int(v) for v in request.form.getlist("user_id") if v.isdigit() and len(v) < 10]
    services.name_evaluators(user, tender, ids)
    flash("The evaluators are named.", "success")
    return redirect(url_for("tenders.tender_page", tender_id=tender.id))


@bp.post("/<int:tender_id>/lots/<int:lot_id>/decline")
@roles_required(Role.SUPPLIER, Role.SECRETARY)
def decline(tender_id: int, lot_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    services.decline(user, tender, lot_id, (request.form.get("reason") or "")[:200])
    flash("The award is declined; the next-ranked bid is proposed.", "success")
    return redirect(url_for("tenders.tender_page", tender_id=tender.id))


def _move(name: str, make: Callable, done: str) -> None:
    """A POST that makes one move of the tender's lifecycle and says what happened."""

    def view(tender_id: int):
        user = require_actor()
        tender = services.tender_for(user, tender_id)
        try:
            make(user, tender)
        except Conflict as error:
            flash(error.message, "error")
        else:
            flash(done, "success")
        return redirect(url_for("tenders.tender_page", tender_id=tender.id))

    view.__name__ = name
    bp.add_url_rule(
        f"/<int:tender_id>/{name.replace('_', '-')}", name, roles_required(*RUNNERS)(view), methods=["POST"]
    )


_move("publish", services.publish, "The tender is published; the invited suppliers are told.")
_move("open_bids", services.open_bids, "The bids are opened.")
_move("evaluate", services.evaluate, "Scoring is closed and the ranking is final.")
_move("propose_award", services.propose_award, "The best-ranked bid of each lot is proposed for award.")
_move("start_standstill", services.start_standstill, "The standstill has started.")
_move("award", services.award, "The tender is awarded.")


def _mini_choices(form: MiniCompetitionForm, framework) -> None:
    user = require_actor()
    form.lot_id.choices = [SelectChoice(lot.id, lot.name) for lot in framework.lots]
    form.member_id.choices = [SelectChoice(m.id, m.name) for m in frameworks.members_for(user, framework)]
    categories = db.session.scalars(select(Category).order_by(Category.position, Category.name))
    form.category_id.choices = [SelectChoice(c.id, c.name) for c in categories]


def _uk_instant(value: datetime) -> datetime:
    return value.replace(tzinfo=UK).astimezone(UTC)


@bp.route("/mini-competitions/<int:framework_id>", methods=["GET", "POST"])
@roles_required(*RUNNERS)
def new_mini_competition(framework_id: int):
    """A member's (or its secretary's) call-off need put to the framework's suppliers."""
    user = require_actor()
    framework = frameworks.framework_for(user, framework_id)
    form = MiniCompetitionForm()
    _mini_choices(form, framework)
    if request.method == "GET":
        now = datetime.now(UK).replace(second=0, microsecond=0, tzinfo=None)
        form.clarification_deadline.data = now + timedelta(days=1)
        form.submission_deadline.data = now + timedelta(days=3)
        source = db.session.get(Tender, framework.source_tender_id) if framework.source_tender_id else None
        form.category_id.data = source.category_id if source else None
    if form.validate_on_submit():
        draft = services.MiniCompetitionDraft(
            framework_id=framework.id,
            lot_id=form.lot_id.data,
            member_id=form.member_id.data,
            quantity=form.quantity.data,
            category_id=form.category_id.data,
            specification=form.specification.data,
            clarification_deadline=_uk_instant(form.clarification_deadline.data),
            submission_deadline=_uk_instant(form.submission_deadline.data),
            standstill_days=form.standstill_days.data,
            price_weight=form.price_weight.data,
            quality_weight=form.quality_weight.data,
            minimum_valid_bids=form.minimum_valid_bids.data,
        )
        try:
            tender = services.start_mini_competition(user, draft)
        except DomainError as error:
            form_errors(form, error, {"lots.0.forecast_quantity": "quantity"})
            return render_template("tenders/mini_competition.html", form=form, framework=framework), error.status_code
        flash("The mini-competition is published to the framework's suppliers.", "success")
        return redirect(url_for("tenders.tender_page", tender_id=tender.id))
    if framework.route is not Route.MINI_COMPETITION:
        return render_template("tenders/mini_competition.html", form=None, framework=framework), 409
    return render_template("tenders/mini_competition.html", form=form, framework=framework), 422 if form.errors else 200


@bp.post("/<int:tender_id>/cancel")
@roles_required(*RUNNERS)
def cancel(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    form = ReasonForm()
    services.cancel(user, tender, form.reason.data if form.validate() else None)
    flash("The tender is cancelled; the invited suppliers are told why.", "success")
    return redirect(url_for("tenders.tender_page", tender_id=tender.id))


@bp.get("/<int:tender_id>/trail")
@roles_required(Role.SECRETARY)
def trail(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    page = db.paginate(services.trail(user, tender), page=page_number(), per_page=100, error_out=False)
    return no_store(render_template("tenders/trail.html", tender=tender, page=page))


@bp.get("/<int:tender_id>/trail.csv")
@roles_required(Role.SECRETARY)
def trail_csv(tender_id: int):
    user = require_actor()
    tender = services.tender_for(user, tender_id)
    rows = (
        [uk_datetime(r.at), r.user.name if r.user else "The scheduled job", r.action, r.detail]
        for r in db.session.scalars(services.trail(user, tender))
    )
    return csv_response(f"tender-{tender.id}-trail.csv", ["When", "Who", "What", "Detail"], rows)
