"""The messages of directory events (an enquiry received or replied to, a verification about to expire), written by
the sender, not by the change."""

from sqlalchemy import select

from directory.models import Enquiry, Verification
from directory.services import ENQUIRY_KIND, EXPIRING_KIND, REPLY_KIND
from kernel.extensions import db
from organisations import outbox
from organisations.models import Consortium, OutboxEvent, Role, RoleGrant, User
from organisations.notifications import Letter, external_url, member_users, notify_each


def _consortium(consortium_id: int) -> Consortium:
    return db.session.get_one(Consortium, consortium_id)


def _tell_member(event: OutboxEvent) -> int:
    """The listed member's people hear of a new enquiry."""
    enquiry = db.session.get_one(Enquiry, event.subject_id)
    users = member_users([enquiry.member_id]).get(enquiry.member_id, [])
    return notify_each(
        ENQUIRY_KIND,
        [
            Letter(
                users,
                f"Enquiry from {enquiry.sender.name}: {enquiry.subject}",
                "enquiry_received",
                {"enquiry": enquiry, "enquiry_url": external_url("directory.enquiry_page", enquiry_id=enquiry.id)},
                _consortium(enquiry.member.consortium_id),
                f"{ENQUIRY_KIND}:{enquiry.id}",
            )
        ],
    )


def _tell_sender(event: OutboxEvent) -> int:
    """Whoever asked hears the member's reply."""
    enquiry = db.session.get_one(Enquiry, event.subject_id)
    return notify_each(
        REPLY_KIND,
        [
            Letter(
                [enquiry.sender] if enquiry.sender.active else [],
                f"{enquiry.member.name} replied: {enquiry.subject}",
                "enquiry_replied",
                {"enquiry": enquiry, "enquiry_url": external_url("directory.enquiry_page", enquiry_id=enquiry.id)},
                _consortium(enquiry.member.consortium_id),
                f"{REPLY_KIND}:{enquiry.id}",
            )
        ],
    )


def _tell_secretaries(event: OutboxEvent) -> int:
    """The member's consortium's secretaries are reminded to check it again: their work, so no opt-out."""
    verification = db.session.get_one(Verification, event.subject_id)
    consortium = _consortium(verification.member.consortium_id)
    secretaries = db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.SECRETARY, RoleGrant.consortium_id == consortium.id, User.active)
        .order_by(User.id)
    ).all()
    url = external_url("directory.verification", member_id=verification.member_id)
    drafts = [
        outbox.Draft(
            kind=EXPIRING_KIND,
            to_email=user.email,
            subject=f"{verification.member.name}: social-enterprise verification expires "
            f"{verification.expires_on:%-d %b %Y}",
            template="verification_expiring",
            context={"verification": verification, "recipient": user, "verification_url": url},
            consortium=consortium,
            dedupe_key=f"{EXPIRING_KIND}:{verification.id}:u{user.id}",
        )
        for user in secretaries
    ]
    outbox.enqueue_many(drafts)
    return len(drafts)


EXPANDERS = {ENQUIRY_KIND: _tell_member, REPLY_KIND: _tell_sender, EXPIRING_KIND: _tell_secretaries}
