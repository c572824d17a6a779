"""A person's own account pages: password, signed-in sessions, two-factor sign-in."""

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from kernel import confirm
from kernel.api import is_api_request
from kernel.errors import ValidationFailed
from kernel.web import form_errors, no_store
from kernel.words import counted
from organisations import accounts, totp
from organisations.access import require_actor, signed_in
from organisations.forms import ChangePasswordForm, PasswordConfirmForm, TwoFactorSetupForm
from organisations.models import SignInSession

bp = Blueprint("account", __name__, url_prefix="/account")

SETUP_SECRET = "two_factor_secret"  # the secret being set up, until a code proves the app holds it
# What a person who must set up two-factor sign-in can still reach before they have.
_BEFORE_TWO_FACTOR = {"account.two_factor", "marketplace.sign_out", "static"}


@bp.before_app_request
def _two_factor_first():
    """Admins and secretaries move money: until they have set up two-factor sign-in, that page is all they see."""
    if request.endpoint is None or request.endpoint in _BEFORE_TWO_FACTOR or is_api_request():
        return None
    if current_user.is_authenticated and current_user.needs_two_factor and not current_user.has_two_factor:
        flash("Admins and secretaries sign in with a code from an authenticator app: set it up to go on.", "info")
        return redirect(url_for("account.two_factor"))
    return None


def _current_session() -> SignInSession | None:
    """This browser's session, which loading the signed-in user finds (see app.factory._load_user)."""
    if not current_user.is_authenticated:
        return None
    found: SignInSession | None = g.get("sign_in_session")
    return found


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password():
    actor = require_actor()
    form = ChangePasswordForm()
    if form.validate_on_submit():
        current = _current_session()
        try:
            accounts.change_password(
                actor, form.current_password.data, form.new_password.data, current.id if current else None
            )
        except ValidationFailed as error:
            form_errors(form, error)
        else:
            flash("Your password is changed. Every other session of yours is signed out.", "success")
            return redirect(url_for("account.sessions"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("organisations/change_password.html", form=form), status


@bp.get("/sessions")
@signed_in
def sessions():
    actor = require_actor()
    current = _current_session()
    return render_template(
        "organisations/sessions.html",
        sessions=accounts.sessions_of(actor),
        current_id=current.id if current else None,
    )


@bp.get("/sessions/<int:session_id>/end")
@signed_in
def confirm_end_session(session_id: int):
    found = accounts.own_session(require_actor(), session_id)
    return confirm.ask(
        confirm.Confirmation(
            title=f"Sign out of the session on {found.device or 'that device'}?",
            consequences=[
                "Whoever uses that browser must sign in again with your password.",
                "Your account, your organisation's data and any money are not touched.",
                "Nobody is emailed.",
            ],
            action=url_for("account.end_session", session_id=found.id),
            button="Sign out of it",
            back=url_for("account.sessions"),
        )
    )


@bp.post("/sessions/<int:session_id>/end")
@signed_in
def end_session(session_id: int):
    actor = require_actor()
    if not confirm.confirmed():
        accounts.own_session(actor, session_id)
        return confirm.ask_first(url_for("account.confirm_end_session", session_id=session_id))
    accounts.end_session(actor, session_id)
    flash("That session is signed out.", "info")
    return redirect(url_for("account.sessions"))


@bp.get("/sessions/end-others")
@signed_in
def confirm_end_other_sessions():
    current = _current_session()
    others = sum(1 for found in accounts.sessions_of(require_actor()) if current is None or found.id != current.id)
    return confirm.ask(
        confirm.Confirmation(
            title="Sign out everywhere else?",
            consequences=[
                f"Your {counted(others, 'other session')} {'ends' if others == 1 else 'end'}: every browser and "
                "device signed in as you, except this one, must sign in again with your password.",
                "This browser stays signed in. Your API tokens keep working: revoke them on their own page.",
                "Your account, your organisation's data and any money are not touched. Nobody is emailed.",
            ],
            action=url_for("account.end_other_sessions"),
            button="Sign out everywhere else",
            back=url_for("account.sessions"),
        )
    )


@bp.post("/sessions/end-others")
@signed_in
def end_other_sessions():
    actor = require_actor()
    if not confirm.confirmed():
        return confirm.ask_first(url_for("account.confirm_end_other_sessions"))
    current = _current_session()
    ended = accounts.end_sessions(actor, keep_id=current.id if current else None)
    flash(f"Signed out of {counted(ended, 'other session')}.", "info")
    return redirect(url_for("account.sessions"))


@bp.route("/two-factor", methods=["GET", "POST"])
@signed_in
def two_factor():
    """Setting up: a new secret as a QR code and as text; a code from the app turns it on and shows the
    recovery codes once."""
    actor = require_actor()
    if actor.has_two_factor:
        return _two_factor_page(actor)
    secret = session.get(SETUP_SECRET)
    if not isinstance(secret, str):  # kept while the page is shown again, so a scanned code stays right
        secret = session[SETUP_SECRET] = totp.new_secret()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = accounts.turn_on_two_factor(actor, secret, form.code.data)
        except ValidationFailed as error:
            form_errors(form, error)
        else:
            session.pop(SETUP_SECRET, None)
            flash("Two-factor sign-in is on.", "success")
            return no_store(render_template("organisations/recovery_codes.html", codes=codes), 201)
    uri = totp.setup_uri(secret, actor.email)
    status = 422 if form.errors or form.form_errors else 200
    return no_store(
        render_template(
            "organisations/two_factor_setup.html",
            form=form,
            secret=secret,
            qr_code=totp.qr_code_svg_data_uri(uri),
            must=actor.needs_two_factor,
        ),
        status,
    )


@bp.post("/two-factor/recovery-codes")
@signed_in
def new_recovery_codes():
    actor = require_actor()
    form = PasswordConfirmForm(prefix="codes")
    if form.validate_on_submit():
        try:
            codes = accounts.new_recovery_codes(actor, form.password.data)
        except ValidationFailed as error:
            form_errors(form, error)
        else:
            return no_store(render_template("organisations/recovery_codes.html", codes=codes), 201)
    return _two_factor_page(actor, codes_form=form)


@bp.get("/two-factor/off")
@signed_in
def confirm_turn_off_two_factor():
    """Only for someone who may turn it off; the others go to the page that says where they stand."""
    actor = require_actor()
    if not actor.has_two_factor or actor.needs_two_factor:
        return redirect(url_for("account.two_factor"))
    return _ask_turn_off(PasswordConfirmForm(formdata=None))


@bp.post("/two-factor/off")
@signed_in
def turn_off_two_factor():
    """Only from its confirmation page, which asks for the password too; a wrong one shows that page again."""
    actor = require_actor()
    if not confirm.confirmed():
        return confirm.ask_first(url_for("account.confirm_turn_off_two_factor"))
    form = PasswordConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.turn_off_two_factor(actor, form.password.data)
        except ValidationFailed as error:
            form_errors(form, error)
        else:
            flash("Two-factor sign-in is off.", "info")
            return redirect(url_for("account.two_factor"))
    return _ask_turn_off(form, 422)


def _ask_turn_off(form: PasswordConfirmForm, status: int = 200):
    return confirm.ask(
        confirm.Confirmation(
            title="Turn off two-factor sign-in?",
            consequences=[
                "From then on your password alone signs you in: whoever learns it can act for your organisation.",
                "Your authenticator app's codes and your recovery codes stop working; turning it on again means "
                "scanning a new QR code.",
                "Nobody is emailed; your organisation's data and any money are not touched.",
            ],
            action=url_for("account.turn_off_two_factor"),
            button="Turn off two-factor sign-in",
            back=url_for("account.two_factor"),
            form=form,
        ),
        status,
    )


def _two_factor_page(actor, codes_form=None):
    """Two-factor sign-in when it is on: recovery codes left, new ones, a link to turn it off (for those who may)."""
    return render_template(
        "organisations/two_factor.html",
        user=actor,
        unused=accounts.unused_recovery_codes(actor),
        codes_form=codes_form or PasswordConfirmForm(prefix="codes", formdata=None),
    ), 422 if codes_form else 200
