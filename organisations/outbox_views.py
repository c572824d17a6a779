"""The admin's view of the outbox: every message the platform has written, newest first, and the events
still waiting for the sender to write theirs, or failing to."""

from flask import Blueprint, render_template
from sqlalchemy import func, select

from kernel.extensions import db
from organisations.admin_views import require_admin
from organisations.models import OutboxEvent, OutboxMessage

FAILED_EVENTS_SHOWN = 20

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
bp.before_request(require_admin)


@bp.get("")
def messages():
    page = db.paginate(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()), per_page=50
    )
    waiting = db.session.scalar(
        select(func.count()).where(OutboxEvent.expanded_at.is_(None), OutboxEvent.failed_at.is_(None))
    )
    failed = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.expanded_at.is_(None), OutboxEvent.attempts > 0)
        .order_by(OutboxEvent.id.desc())
        .limit(FAILED_EVENTS_SHOWN)
    ).all()
    return render_template("admin/outbox.html", page=page, waiting=waiting, failed_events=failed)


@bp.get("/<int:message_id>")
def message(message_id: int):
    return render_template("admin/outbox_message.html", message=db.get_or_404(OutboxMessage, message_id))
