"""Choosing which emails to receive: signed in on the profile, or signed out through an email's link.

The unsubscribe link works without signing in: the signed token is the authority, so its POST
needs no CSRF token (a forged request would have to carry a valid token, which only its
recipient has). Mail clients' one-click unsubscribe (RFC 8058) POSTs to the same address.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from kernel.extensions import csrf
from kernel.web import safe_next
from organisations import notifications
from organisations.access import require_actor, signed_in
from organisations.forms import NotificationsForm

bp = Blueprint("notifications", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@signed_in
def preferences():
    actor = require_actor()
    form = NotificationsForm.for_user(actor)
    if form.validate_on_submit():
        notifications.set_received(actor, form.receive.data)
        flash("Your email choices are saved.", "success")
        return redirect(safe_next(form.next.data) or url_for("notifications.preferences"))
    status = 422 if form.errors else 200
    return render_template("organisations/notifications.html", notifications_form=form), status


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    """GET asks to confirm (link scanners follow GETs); POST switches the kind off."""
    user, kind = notifications.read_unsubscribe_token(token)
    label = notifications.KINDS[kind].label
    if request.method == "POST":
        notifications.switch_off(user, kind)
        return render_template("organisations/unsubscribed.html", user=user, label=label)
    return render_template("organisations/unsubscribe.html", user=user, label=label, token=token)
