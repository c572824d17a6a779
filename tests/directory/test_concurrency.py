"""A member's people answering one enquiry at the same moment: one reply is kept, the others are told it moved on."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from directory import services
from directory.models import Enquiry, EnquiryStatus
from kernel.extensions import db
from organisations.models import OutboxEvent, Role
from tests import factories
from tests.factories import api_token


def test_replying_to_one_enquiry_at_once_keeps_one_reply(app, world):
    enquiry = services.send_enquiry(world.supplier_user, world.member, "Offcuts", "20 kg?")
    colleagues = [factories.user(None, (Role.MEMBER, world.member.id)) for _ in range(4)]
    db.session.commit()
    repliers = [(api_token(user), f"Reply {n}") for n, user in enumerate([world.member_user, *colleagues])]
    barrier = Barrier(len(repliers))
    url = f"/api/v1/directory/enquiries/{enquiry.id}/reply"

    def reply(args):
        headers, text = args
        client = app.test_client()
        barrier.wait(timeout=30)
        return client.post(url, headers=headers, json={"reply": text}).status_code

    with ThreadPoolExecutor(max_workers=len(repliers)) as executor:
        statuses = sorted(executor.map(reply, repliers))
    assert statuses == [200] + [409] * (len(repliers) - 1)
    db.session.expire_all()
    stored = db.session.get(Enquiry, enquiry.id)
    assert stored.status is EnquiryStatus.REPLIED and stored.reply.startswith("Reply ")
    assert [c.to_state for c in services.ENQUIRY_LIFECYCLE.history(enquiry.id)] == ["replied"]
    kinds = db.session.scalars(db.select(OutboxEvent.kind).order_by(OutboxEvent.id)).all()
    assert kinds == ["enquiry_received", "enquiry_replied"]
