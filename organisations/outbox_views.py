"""The admin's view of the outbox: every message the platform has written, newest first."""

from flask import Blueprint, render_template
from sqlalchemy import select

from kernel.extensions import db
from organisations.admin_views import require_admin
from organisations.models import OutboxMessage

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")
bp.before_request(require_admin)


@bp.get("")
def messages():
    page = db.paginate(
        select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()), per_page=50
    )
    return render_template("admin/outbox.html", page=page)


@bp.get("/<int:message_id>")
def message(message_id: int):
    return render_template("admin/outbox_message.html", message=db.get_or_404(OutboxMessage, message_id))
