"""The messages of shared-service events, written by the sender, not by the change."""

from sqlalchemy import select

from kernel.extensions import db
from organisations.models import Consortium, OutboxEvent
from organisations.notifications import Letter, member_users, notify_each
from shared_services.models import ServicePool
from shared_services.services import CANCELLED_KIND, participations


def _tell_cancelled(event: OutboxEvent) -> int:
    """Each member that joined hears of it through its users, unless they switched it off."""
    pool = db.session.get_one(ServicePool, event.subject_id)
    members = [p.member for p in participations(pool) if not p.withdrawn]
    users_of = member_users(member.id for member in members)
    consortia = {
        c.id: c
        for c in db.session.scalars(
            select(Consortium).where(Consortium.id.in_({m.consortium_id for m in members} or {-1}))
        )
    }
    return notify_each(
        CANCELLED_KIND,
        (
            Letter(
                users_of.get(member.id, []),
                f"{consortia[member.consortium_id].name}: the shared {pool.offer.name} is cancelled",
                "shared_service_cancelled",
                {"pool": pool, "member": member, "reason": pool.cancel_reason},
                consortia[member.consortium_id],
                f"{CANCELLED_KIND}:{pool.id}:{member.id}",
            )
            for member in members
        ),
    )


EXPANDERS = {CANCELLED_KIND: _tell_cancelled}
