"""A tender for a draft pool's demand, two invited suppliers, two evaluators, and the clock to move it along."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kernel.extensions import db
from orders import services as orders_services
from orders.models import Pool
from organisations.models import Member, Role, Supplier, User
from tenders import services
from tenders.models import Tender
from tenders.ranking import BidTier
from tests import factories

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CLARIFICATIONS = T0 + timedelta(days=2)
SUBMISSIONS = T0 + timedelta(days=5)


@dataclass
class Tendering:
    world: factories.World
    pool: Pool
    tender: Tender
    rival: Supplier
    rival_user: User
    second_member: Member
    evaluator: User  # the world's member user is the first
    clock: object

    def at(self, instant: datetime) -> None:
        """Moves the clock and runs the deadline job, as cron would."""
        self.clock.set(instant)
        for tender_id in services.due_tender_ids(instant):
            services.advance(tender_id, instant)
        db.session.commit()

    @property
    def lot(self):
        return self.tender.lots[0]

    def bid(self, user: User, tiers, delivery: int = 0, answers=("Weekly van, reused boxes.",)):
        draft = services.BidDraft([BidTier(q, Decimal(p)) for q, p in tiers], delivery, 3, list(answers))
        return services.submit_bid(user, self.tender, self.lot.id, draft)

    def reload(self) -> Tender:
        db.session.expire_all()
        self.tender = db.session.get(Tender, self.tender.id)
        return self.tender

    def opened(self) -> Tender:
        """Published, bid by both suppliers (ours dearer, the rival cheaper), deadlines passed, opened."""
        services.publish(self.world.secretary, self.tender)
        self.bid(self.world.supplier_user, [(1, "25.00"), (100, "21.00")], delivery=1500)
        self.bid(self.rival_user, [(1, "24.00"), (100, "19.50"), (400, "18.00")], delivery=2000)
        db.session.commit()
        self.at(SUBMISSIONS + timedelta(minutes=1))
        services.open_bids(self.world.secretary, self.reload())
        db.session.commit()
        return self.tender

    def scored(self, ours: int = 70, theirs: int = 60) -> Tender:
        """Opened, two evaluators named, each scoring both bids."""
        self.opened()
        services.name_evaluators(self.world.secretary, self.tender, [self.world.member_user.id, self.evaluator.id])
        for bid in services.all_bids(self.world.secretary, self.tender):
            quality = ours if bid.supplier_id == self.world.supplier.id else theirs
            for person in (self.world.member_user, self.evaluator):
                services.score(person, self.tender, bid.id, quality)
        db.session.commit()
        return self.tender


def draft_for(world, pool: Pool, **overrides) -> services.TenderDraft:
    lot = services.lot_from_pool(world.secretary, pool.id)
    fields = {
        "title": "Copier paper for Tayside, 2027",
        "category_id": pool.offer.category_id,
        "consortium_id": world.consortium.id,
        "specification": "A4 80gsm, FSC certified, delivered to each member monthly.",
        "clarification_deadline": CLARIFICATIONS,
        "submission_deadline": SUBMISSIONS,
        "lots": [lot],
        "price_weight": 60,
        "quality_weight": 40,
        "minimum_valid_bids": 2,
        "standstill_days": 3,
        "supplier_ids": [world.supplier.id],
        "quality_questions": ["How do you deliver, and with what packaging?"],
    }
    return services.TenderDraft(**(fields | overrides))


@pytest.fixture
def tendering(app, world, frozen_clock) -> Tendering:
    frozen_clock.set(T0)
    offer = factories.offer(world.supplier, name="A4 copier paper, box of 5 reams", list_price="26.00", tiers=())
    pool = orders_services.create_pool(
        world.secretary,
        offer,
        [world.consortium],
        orders_services.PoolTerms(deadline=T0 + timedelta(days=40), minimum_quantity=300),
    )
    rival = factories.supplier("Tay Paper Works CIC")
    rival_user = factories.user("rival@example.org", (Role.SUPPLIER, rival.id), name="Rhona Rival")
    second_member = factories.member(world.network, "Hilltown Print Collective")
    evaluator = factories.user("evaluator@example.org", (Role.MEMBER, second_member.id), name="Eve Evaluator")
    tender = services.create_tender(world.secretary, draft_for(world, pool, supplier_ids=[world.supplier.id, rival.id]))
    db.session.commit()
    return Tendering(world, pool, tender, rival, rival_user, second_member, evaluator, frozen_clock)
