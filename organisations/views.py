"""Sign-in, the dashboard, API tokens, a member's billing profile and a person's own data."""

import json
from collections.abc import Callable

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

from kernel import confirm
from kernel.clock import utcnow
from kernel.errors import ValidationFailed
from kernel.extensions import db, limiter
from kernel.navigation import ROLES, dashboard_todos
from kernel.web import form_errors, no_store, safe_next
from organisations import accounts, privacy, services
from organisations.access import member_or_404, require_actor, signed_in
from organisations.forms import (
    ApiTokenForm,
    ForgotPasswordForm,
    MemberProfileForm,
    NewPasswordForm,
    NotificationsForm,
    SignInCodeForm,
    SignInForm,
)
from organisations.models import ApiToken, User

bp = Blueprint("marketplace", __name__)


def _address() -> str:
    return request.remote_addr or "unknown"


def _sign_in_account_key() -> str:
    """Failures count against the account from this address only: an attacker elsewhere cannot lock the owner out."""
    return f"sign-in-account:{services.normalise_email(request.form.get('email', ''))}:{_address()}"


def _sign_in_code_key() -> str:
    """Wrong codes count against the account from every address: only someone with its password gets this far."""
    return "sign-in-code:" + str(session.get(SIGNING_IN_AS, ""))


def _sign_in_failed(response) -> bool:
    return g.get("sign_in_failed", False)


def _always(response) -> bool:
    return True


SIGNING_IN = "signing_in"  # the key of a session awaiting its authenticator code
SIGNING_IN_AS = "signing_in_as"  # and whose (the user's id), for throttling wrong codes
AFTER_SIGN_IN = "after_sign_in"


def _log_in(user: User, key: str):
    """Flask-Login keeps the session's key in the cookie (see User.get_id)."""
    login_user(user.signed_in_with(key))


def _failed_tries(limit_setting: str, scope: str, key_func: Callable[[], str] | None = None):
    """A limit on the failed tries of a sign-in step (the view sets g.sign_in_failed), counted by `key_func`
    (the caller's address by default) under `scope`, which steps sharing a count share."""
    return limiter.limit(
        lambda: current_app.config[limit_setting],
        key_func=key_func,
        methods=["POST"],
        deduct_when=_sign_in_failed,
        scope=scope,
    )


def begin_session(user: User, next_url: str | None = None):
    """Signs `user` in on this browser once they have shown who they are (a password, an accepted
    invitation): a new session row, then the authenticator code if they have two-factor sign-in."""
    session.clear()
    key = accounts.start_session(user, _address(), request.user_agent.string)
    if user.has_two_factor:
        session[SIGNING_IN], session[SIGNING_IN_AS] = key, user.id
        if next_url:
            session[AFTER_SIGN_IN] = next_url
        return redirect(url_for("marketplace.sign_in_code"))
    _log_in(user, key)
    return redirect(next_url or url_for("marketplace.dashboard"))


@bp.route("/sign-in", methods=["GET", "POST"])
@_failed_tries("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-account", _sign_in_account_key)
@_failed_tries("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address")
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("marketplace.dashboard"))
    form = SignInForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            return begin_session(user, safe_next(request.args.get("next")))
        g.sign_in_failed = True
        form.form_errors.append("Email or password is not right.")
    status = 422 if form.errors or form.form_errors else 200
    return render_template("organisations/sign_in.html", form=form), status


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_failed_tries("SIGN_IN_LIMIT_PER_ACCOUNT", "sign-in-code", _sign_in_code_key)
@_failed_tries("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address")
def sign_in_code():
    """The second step for people with two-factor sign-in: the password was right, the code is still to come."""
    if current_user.is_authenticated:
        return redirect(url_for("marketplace.dashboard"))
    key = session.get(SIGNING_IN)
    signing_in = accounts.session_for_key(key, awaiting_code=True) if isinstance(key, str) else None
    if signing_in is None:
        flash("Please sign in again.", "info")
        return redirect(url_for("marketplace.sign_in"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        if accounts.pass_second_factor(signing_in, form.code.data):
            next_url = safe_next(session.get(AFTER_SIGN_IN))
            session.clear()
            _log_in(signing_in.user, str(key))
            return redirect(next_url or url_for("marketplace.dashboard"))
        g.sign_in_failed = True
        form.code.errors.append("That code is not right, or it was used already.")
    status = 422 if form.errors else 200
    return render_template("organisations/sign_in_code.html", form=form), status


@bp.post("/sign-out")
def sign_out():
    """Ends this session's row too, so a copy of the cookie is signed out as well."""
    if current_user.is_authenticated:  # loads the session (see app.factory._load_user)
        accounts.end_session(current_user, g.sign_in_session.id)
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("marketplace.sign_in"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_LIMIT"], methods=["POST"], scope="password-reset-address")
@limiter.limit(
    lambda: current_app.config["PASSWORD_RESET_LIMIT"],
    key_func=lambda: "password-reset:" + services.normalise_email(request.form.get("email", "")),
    methods=["POST"],
    deduct_when=_always,
    scope="password-reset-account",
)
def forgot_password():
    """The same answer whether or not the address has an account, so the page tells no one who has one."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        return render_template("organisations/forgot_password.html", form=None, sent_to=form.email.data)
    status = 422 if form.errors else 200
    return render_template("organisations/forgot_password.html", form=form, sent_to=None), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = accounts.user_for_reset_token(token)
    if user is None:
        return no_store(render_template("organisations/reset_password.html", form=None), 404)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(user, form.new_password.data)
        except ValidationFailed as error:
            form_errors(form, error)
        else:
            logout_user()
            session.clear()
            flash("Your password is changed and every session is signed out. Sign in with the new password.", "success")
            return redirect(url_for("marketplace.sign_in"))
    status = 422 if form.errors or form.form_errors else 200
    return no_store(render_template("organisations/reset_password.html", form=form), status)


@bp.get("/")
@signed_in
def dashboard():
    actor = require_actor()
    todos = dashboard_todos(actor)
    by_role = [(role, [t for t in todos if t.role == role]) for role in ROLES]
    return render_template("organisations/dashboard.html", user=actor, by_role=[r for r in by_role if r[1]])


@bp.route("/account/tokens", methods=["GET", "POST"])
@signed_in
def api_tokens():
    actor = require_actor()
    form = ApiTokenForm()
    new_token = None
    status = 200
    if form.validate_on_submit():
        _, new_token = services.create_api_token(actor, form.name.data, form.days.data, form.read_only.data)
        form = ApiTokenForm(formdata=None)
        status = 201
    elif form.errors:
        status = 422
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.created_at.desc())
    ).all()
    # The new token is in the page: no browser or proxy may keep a copy.
    return no_store(
        render_template("organisations/api_tokens.html", form=form, tokens=tokens, new_token=new_token, now=utcnow()),
        status,
    )


@bp.get("/account/tokens/<int:token_id>/revoke")
@signed_in
def confirm_revoke_api_token(token_id: int):
    token = services.own_api_token(require_actor(), token_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Revoke the token “{token.name}”?",
            consequences=[
                "Every program using this token is refused from that moment, with a 401 answer.",
                "It cannot be undone: to give a program access again, make a new token.",
                "Nobody is emailed, and no money changes.",
            ],
            action=url_for("marketplace.revoke_api_token", token_id=token.id),
            button="Revoke token",
            back=url_for("marketplace.api_tokens"),
        )
    )


@bp.post("/account/tokens/<int:token_id>/revoke")
@signed_in
def revoke_api_token(token_id: int):
    actor = require_actor()
    if not confirm.confirmed():
        services.own_api_token(actor, token_id)
        return confirm.ask_first(url_for("marketplace.confirm_revoke_api_token", token_id=token_id))
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
