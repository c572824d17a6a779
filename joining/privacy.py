"""Joining's share of a person's data: invitations to them and applications they made (organisations.privacy)."""

from flask import Flask
from sqlalchemy import select, update

from joining.models import Invitation, JoinApplication
from kernel.extensions import db
from organisations import privacy
from organisations.models import User


def collect(user: User) -> dict:
    invitations = db.session.scalars(select(Invitation).where(Invitation.email == user.email).order_by(Invitation.id))
    applications = db.session.scalars(
        select(JoinApplication).where(JoinApplication.person_email == user.email).order_by(JoinApplication.id)
    )
    return {
        "invitations": [
            {
                "name": i.name,
                "email": i.email,
                "to_act_as": i.role_description,
                "sent_at": i.sent_at.isoformat(),
                "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in invitations
        ],
        "applications": [
            {
                "organisation": a.legal_name,
                "your_name": a.person_name,
                "your_email": a.person_email,
                "status": a.status.value,
                "applied_at": a.created_at.isoformat(),
            }
            for a in applications
        ],
    }


def erase(user: User, old_email: str) -> None:
    db.session.execute(
        update(Invitation).where(Invitation.email == old_email).values(name=privacy.ERASED_NAME, email=user.email)
    )
    db.session.execute(
        update(JoinApplication)
        .where(JoinApplication.person_email == old_email)
        .values(person_name=privacy.ERASED_NAME, person_email=user.email)
    )


def init_app(app: Flask) -> None:
    privacy.register(app, privacy.Part("joining", collect, erase))
