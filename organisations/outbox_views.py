"""The admin's view of the outbox: every message the platform has written, newest first, filtered by kind and
state, and the events still waiting for the sender to write theirs, or failing to.

A message's HTML is shown as the recipient's mail program would show it, in a sandboxed frame of its own
route. That route answers with a CSP of its own (nothing may load or run, only the email's inline styles)
and may be framed by this site only: an email is text others wrote (names, reasons), so it never runs in
the admin's page. A srcdoc frame would inherit the page's CSP, which forbids inline styles.
"""

from flask import Blueprint, make_response, render_template, request
from sqlalchemy import func, select

from kernel.extensions import db
from organisations.admin_views import require_admin
from organisations.models import OutboxEvent, OutboxMessage

FAILED_EVENTS_SHOWN = 20
EMAIL_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
STATES = {
    "sent": OutboxMessage.sent_at.is_not(None),
    "failed": OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_not(None),
    "retrying": OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None) & (OutboxMessage.attempts > 0),
    "not sent": OutboxMessage.sent_at.is_(None) & OutboxMessage.failed_at.is_(None) & (OutboxMessage.attempts == 0),
}

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
bp.before_request(require_admin)


@bp.get("")
def messages():
    kinds = db.session.scalars(select(OutboxMessage.kind).distinct().order_by(OutboxMessage.kind)).all()
    kind = request.args.get("kind") if request.args.get("kind") in kinds else None
    state = request.args.get("state") if request.args.get("state") in STATES else None
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    if state:
        query = query.where(STATES[state])
    page = db.paginate(query, per_page=50)
    waiting = db.session.scalar(
        select(func.count()).where(OutboxEvent.expanded_at.is_(None), OutboxEvent.failed_at.is_(None))
    )
    failed = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.expanded_at.is_(None), OutboxEvent.attempts > 0)
        .order_by(OutboxEvent.id.desc())
        .limit(FAILED_EVENTS_SHOWN)
    ).all()
    return render_template(
        "admin/outbox.html",
        page=page,
        waiting=waiting,
        failed_events=failed,
        kinds=kinds,
        kind=kind,
        states=list(STATES),
        state=state,
        filters={name: value for name, value in (("kind", kind), ("state", state)) if value},
    )


@bp.get("/<int:message_id>")
def message(message_id: int):
    return render_template("admin/outbox_message.html", message=db.get_or_404(OutboxMessage, message_id))


@bp.get("/<int:message_id>/html")
def message_html(message_id: int):
    """The email's HTML alone, for the message page's sandboxed frame."""
    response = make_response(db.get_or_404(OutboxMessage, message_id).body_html)
    response.headers["Content-Security-Policy"] = EMAIL_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response
