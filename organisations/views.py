"""Sign-in, the dashboard, API tokens, a member's billing profile and a person's own data."""

import json

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from kernel.extensions import db, limiter
from kernel.web import safe_next
from organisations import privacy, services
from organisations.access import member_or_404, require_actor, signed_in
from organisations.forms import ApiTokenForm, MemberProfileForm, NotificationsForm, SignInForm
from organisations.models import ApiToken

bp = Blueprint("marketplace", __name__)


def _sign_in_account_key() -> str:
    return "sign-in-account:" + services.normalise_email(request.form.get("email", ""))


def _sign_in_failed(response) -> bool:
    return g.get("sign_in_failed", False)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_sign_in_account_key,
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-account",
)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=_sign_in_failed,
    scope="sign-in-address",
)
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("marketplace.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            next_url = safe_next(request.args.get("next"))
            session.clear()
            login_user(user)
            return redirect(next_url or url_for("marketplace.dashboard"))
        g.sign_in_failed = True
        form.form_errors.append("Email or password is not right.")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("organisations/sign_in.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("marketplace.sign_in"))


@bp.get("/")
@signed_in
def dashboard():
    actor = require_actor()
    return render_template("organisations/dashboard.html", user=actor)


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in
def api_tokens():
    actor = require_actor()
    form = ApiTokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        _, new_token = services.create_api_token(actor, form.name.data)
        form = ApiTokenForm(formdata=None)
        status = 201
    elif form.errors:
        status = 422
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.created_at.desc())
    ).all()
    return render_template("organisations/api_tokens.html", form=form, tokens=tokens, new_token=new_token), status


@bp.post("/account/tokens/<int:token_id>/revoke")
@signed_in
def revoke_api_token(token_id: int):
    actor = require_actor()
    token = services.revoke_api_token(actor, token_id)
    flash(f"Token “{token.name}” revoked.", "info")
    return redirect(url_for("marketplace.api_tokens"))


@bp.route("/members/<int:member_id>/profile", methods=["GET", "POST"])
@signed_in
def member_profile(member_id: int):
    actor = require_actor()
    member = member_or_404(actor, member_id)
    form = MemberProfileForm(obj=member.organisation, billing_email=member.billing_email)
    if form.validate_on_submit():
        services.update_member_profile(actor, member, form.data)
        flash("Billing details saved.", "success")
        return redirect(url_for("marketplace.member_profile", member_id=member.id))
    status = 422 if form.errors else 200
    notifications_form = NotificationsForm.for_user(actor, formdata=None, next=request.path)
    return render_template(
        "organisations/member_profile.html", form=form, member=member, notifications_form=notifications_form
    ), status


@bp.get("/account/my-data")
@signed_in
def my_data():
    """The personal data held about the signed-in person, as a JSON download."""
    actor = require_actor()
    response = current_app.response_class(
        json.dumps(privacy.personal_data(actor), indent=2, ensure_ascii=False), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
