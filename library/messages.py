"""The messages of policy events (a new version to review), written by the sender, not by the change."""

from sqlalchemy import select

from kernel.extensions import db
from library.models import PolicyVersion, ReviewTask
from library.services import REVIEW_KIND
from organisations.models import Consortium, Member, OutboxEvent
from organisations.notifications import Letter, external_url, member_users, notify_each


def _tell_reviewers(event: OutboxEvent) -> int:
    """Each member given a task to review the new version hears of it through its users."""
    version = db.session.get_one(PolicyVersion, event.subject_id)
    before = db.session.get_one(PolicyVersion, event.detail["before_id"])
    tasks = db.session.scalars(select(ReviewTask).where(ReviewTask.version_id == version.id)).all()
    members = {
        m.id: m for m in db.session.scalars(select(Member).where(Member.id.in_([t.member_id for t in tasks] or [-1])))
    }
    consortia = {
        c.id: c
        for c in db.session.scalars(
            select(Consortium).where(Consortium.id.in_({m.consortium_id for m in members.values()} or {-1}))
        )
    }
    users_of = member_users(members)
    version_url = external_url("library.version_page", version_id=version.id)
    return notify_each(
        REVIEW_KIND,
        (
            Letter(
                users_of.get(task.member_id, []),
                f"{consortia[members[task.member_id].consortium_id].name}: {version.template.title} "
                f"version {version.number} to review by {task.due_on:%-d %b %Y}",
                "policy_review",
                {
                    "version": version,
                    "before": before,
                    "member": members[task.member_id],
                    "task": task,
                    "version_url": version_url,
                },
                consortia[members[task.member_id].consortium_id],
                f"{REVIEW_KIND}:{version.id}:{task.member_id}",
            )
            for task in tasks
        ),
    )


EXPANDERS = {REVIEW_KIND: _tell_reviewers}
