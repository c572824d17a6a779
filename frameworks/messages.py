"""The messages of framework events, written by the sender, not by the change."""

from sqlalchemy import select

from frameworks.models import Framework
from frameworks.services import CEILING_KIND
from frameworks.terms import limit_pence
from kernel.extensions import db
from organisations import outbox
from organisations.models import OutboxEvent, Role, RoleGrant, User


def _runners(framework: Framework) -> list[User]:
    """The secretaries of the framework's consortia; a national framework's runners are the admins."""
    grant = (
        RoleGrant.consortium_id.in_(framework.consortium_ids)
        if not framework.is_national
        else RoleGrant.role == Role.ADMIN
    )
    return list(
        db.session.scalars(
            select(User)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(User.active, grant, RoleGrant.role.in_((Role.SECRETARY, Role.ADMIN)))
            .distinct()
            .order_by(User.id)
        )
    )


def _tell_ceiling(event: OutboxEvent) -> int:
    """Each runner hears once that consumption reached 75% (or 90%) of the ceiling: the event's key is per
    framework and percentage, each message's per user too."""
    framework = db.session.get_one(Framework, event.subject_id)
    percent = event.detail["percent"]
    consortium = framework.consortia[0] if len(framework.consortia) == 1 else None
    drafts = [
        outbox.Draft(
            kind=CEILING_KIND,
            to_email=user.email,
            subject=f"{framework.reference}: {percent}% of the framework's ceiling is called off",
            template="framework_ceiling",
            context={
                "framework": framework,
                "percent": percent,
                "recipient": user,
                "limit_pence": limit_pence(framework.ceiling_pence, framework.allowance_percent),
            },
            consortium=consortium,
            dedupe_key=f"{event.dedupe_key}:u{user.id}",
        )
        for user in _runners(framework)
    ]
    outbox.enqueue_many(drafts)
    return len(drafts)


EXPANDERS = {CEILING_KIND: _tell_ceiling}
