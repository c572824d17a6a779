"""The messages of rebate events, written by the sender, not by the change."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from kernel.extensions import db
from kernel.formatting import pounds
from organisations.models import Consortium, OutboxEvent
from organisations.notifications import Letter, external_url, member_users, notify_each
from rebates.models import RebateAgreement, RebateShare
from rebates.services import SHARED_KIND, credit_note_numbers


def _tell_shares(event: OutboxEvent) -> int:
    """Each member with a share hears from its people what it got and how: one letter per member, one query
    for the shares, one per 5,000 members for their people."""
    agreement = db.session.get_one(RebateAgreement, event.subject_id)
    shares = list(
        db.session.scalars(
            select(RebateShare)
            .where(RebateShare.rebate_agreement_id == agreement.id, RebateShare.share_pence > 0)
            .options(joinedload(RebateShare.member))
            .order_by(RebateShare.id)
        )
    )
    users_of = member_users(share.member_id for share in shares)
    consortia = {c.id: c for c in db.session.scalars(select(Consortium))}
    notes = credit_note_numbers(shares)
    shares_url = external_url("rebates.my_shares")
    return notify_each(
        SHARED_KIND,
        (
            Letter(
                users_of[share.member_id],
                f"{agreement.supplier.name} rebate: {pounds(share.share_pence or 0)} for {share.member.name}",
                SHARED_KIND,
                {
                    "agreement": agreement,
                    "share": share,
                    "credit_note_number": notes.get(share.credit_note_id or 0),
                    "shares_url": shares_url,
                },
                consortia[share.consortium_id],
                f"{event.dedupe_key}:m{share.member_id}",
            )
            for share in shares
            if share.member_id in users_of
        ),
    )


EXPANDERS = {SHARED_KIND: _tell_shares}
