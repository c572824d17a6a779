"""The messages of tender events (published to the suppliers it invites, cancelled), written by the sender."""

from kernel.extensions import db
from organisations.models import OutboxEvent, Supplier
from organisations.notifications import Letter, external_url, notify_each, supplier_users
from tenders.models import Tender
from tenders.services import CANCELLED_KIND, PUBLISHED_KIND, told_suppliers


def _letters(event: OutboxEvent, subject: str, template: str) -> list[Letter]:
    tender = db.session.get_one(Tender, event.subject_id)
    url = external_url("tenders.tender_page", tender_id=tender.id)
    return [
        Letter(
            supplier_users(supplier_id),
            subject.format(tender=tender),
            template,
            {"tender": tender, "supplier": db.session.get_one(Supplier, supplier_id), "tender_url": url},
            tender.consortium,
            f"{event.dedupe_key}:s{supplier_id}",
        )
        for supplier_id in told_suppliers(tender)
    ]


def _tell_published(event: OutboxEvent) -> int:
    """Each invited supplier (or, open to all, each supplier in the category) is invited to bid."""
    return notify_each(PUBLISHED_KIND, _letters(event, "Invitation to tender: {tender.title}", "tender_published"))


def _tell_cancelled(event: OutboxEvent) -> int:
    """Everyone invited, and everyone who bid, hears that the tender is cancelled and why."""
    return notify_each(CANCELLED_KIND, _letters(event, "Tender cancelled: {tender.title}", "tender_cancelled"))


EXPANDERS = {PUBLISHED_KIND: _tell_published, CANCELLED_KIND: _tell_cancelled}
