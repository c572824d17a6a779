"""Demo tenders in Tayside: the copier-paper pool's demand out to tender and opened, with three bids to compare and
score (member@ is an evaluator); and a print tender still taking bids, to which supplier@ is invited."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from catalogue.models import Category
from kernel.clock import utcnow
from kernel.extensions import db
from orders.models import Pool, PoolStatus
from organisations import services as people
from organisations.demo import DEMO_SUPPLIER, manager_of
from organisations.models import Consortium, Member, Role, Supplier, User
from tenders import services
from tenders.models import Tender
from tenders.ranking import BidTier

MARKETING = "marketing-pr"
QUESTIONS = ["How and how often do you deliver, and with what packaging?", "What share of the paper is recycled?"]
# supplier, tiers (from quantity, unit price), delivery charge in pence, lead time in days, answers
PAPER_BIDS = [
    (
        DEMO_SUPPLIER,
        [(1, "4.05"), (250, "3.62"), (1000, "3.30")],
        3500,
        2,
        ["Next-day van to each member, boxes taken back.", "30% recycled."],
    ),
    (
        "Brightside Print & Design CIC",
        [(1, "4.15"), (300, "3.55")],
        2500,
        4,
        ["Fortnightly cargo-bike round in Dundee, by van beyond.", "100% recycled, FSC Recycled."],
    ),
    (
        "Hilltown Print Collective",
        [(1, "4.40"), (200, "3.70"), (600, "3.40")],
        0,
        5,
        ["Collected from our Hilltown shop or delivered free in Dundee.", "50% recycled."],
    ),
]


def seed() -> None:
    """Idempotent: does nothing once any tender exists."""
    if db.session.scalar(select(Tender.id).limit(1)) is not None:
        return
    tayside = db.session.execute(select(Consortium).where(Consortium.code == "TAY")).scalar_one()
    secretary = db.session.execute(select(User).where(User.email == "secretary@example.org")).scalar_one()
    suppliers = {s.name: s for s in db.session.scalars(select(Supplier))}
    stationery = db.session.execute(select(Category).where(Category.slug == "stationery")).scalar_one()
    bidders = {name: _bidder(suppliers[name]) for name, *_ in PAPER_BIDS}
    now = utcnow()
    paper_pool = db.session.scalars(
        select(Pool)
        .where(Pool.status == PoolStatus.OPEN, Pool.consortia.any(Consortium.id == tayside.id), ~Pool.is_national)
        .where(Pool.offer.has(name="A4 copier paper 80gsm, box of 5 reams"))
        .order_by(Pool.id)
    ).first()
    if paper_pool is None:
        raise RuntimeError("the orders demo's Tayside copier-paper pool is missing")
    paper = services.create_tender(
        secretary,
        services.TenderDraft(
            title="Copier paper for Tayside, 2027",
            category_id=stationery.id,
            consortium_id=tayside.id,
            specification="A4 80gsm white copier paper, FSC certified, 500 sheets a ream, delivered to each "
            "member's address. Prices per ream before VAT; the tiers are the whole consortium's quantity.",
            clarification_deadline=now + timedelta(hours=1),
            submission_deadline=now + timedelta(hours=2),
            lots=[services.lot_from_pool(secretary, paper_pool.id)],
            price_weight=60,
            quality_weight=30,
            social_weight=10,
            minimum_valid_bids=2,
            standstill_days=10,
            supplier_ids=[suppliers[name].id for name, *_ in PAPER_BIDS],
            quality_questions=QUESTIONS,
        ),
    )
    services.publish(secretary, paper)
    asked = services.ask(bidders["Brightside Print & Design CIC"], paper, "May we offer 100% recycled paper?")
    services.answer(secretary, paper, asked.id, "Yes: say so in your answer to the second quality question.")
    for name, tiers, delivery, lead, answers in PAPER_BIDS:
        draft = services.BidDraft([BidTier(q, Decimal(p)) for q, p in tiers], delivery, lead, answers)
        services.submit_bid(bidders[name], paper, paper.lots[0].id, draft)
    evaluators = [_user("member@example.org"), manager_of(_member("Eat Well Dundee"))]
    services.name_evaluators(secretary, paper, [u.id for u in evaluators])
    # As if its deadlines had passed yesterday: closed by the scheduled job, then opened by the secretary.
    db.session.execute(
        update(Tender)
        .where(Tender.id == paper.id)
        .values(clarification_deadline=now - timedelta(days=2), submission_deadline=now - timedelta(days=1))
    )
    services.advance(paper.id, now)
    services.open_bids(secretary, paper)
    services.score(evaluators[1], paper, services.all_bids(secretary, paper)[1].id, 80)

    print_tender = services.create_tender(
        secretary,
        services.TenderDraft(
            title="Leaflets and posters for Tayside members, 2027",
            category_id=db.session.execute(select(Category).where(Category.slug == MARKETING)).scalar_one().id,
            consortium_id=tayside.id,
            specification="Design and print of A5 leaflets and A3 posters for members' events, proofs within "
            "two working days.",
            clarification_deadline=now + timedelta(days=6),
            submission_deadline=now + timedelta(days=13),
            lots=[services.LotDraft("A5 leaflets, 1,000 a run", "run", 40)],
            supplier_ids=[suppliers[DEMO_SUPPLIER].id, suppliers["Brightside Print & Design CIC"].id],
            quality_questions=["Show us two pieces of print you made for a charity or social enterprise."],
        ),
    )
    services.publish(secretary, print_tender)
    db.session.flush()


def _bidder(supplier: Supplier) -> User:
    """The supplier's first user; a demo supplier without one gets a sales account."""
    found = db.session.scalars(select(User).where(User.grants.any(role=Role.SUPPLIER, supplier_id=supplier.id))).first()
    if found is not None:
        return found
    admin = _user("admin@example.org")
    slug = "".join(c if c.isalnum() else "-" for c in supplier.name.lower()).strip("-")
    user = people.save_user(
        {"email": f"sales@{slug}.example.org", "name": f"{supplier.name} sales"}, password_hash=admin.password_hash
    )
    people.grant_role(user, Role.SUPPLIER, supplier.id)
    return user


def _user(email: str) -> User:
    return db.session.execute(select(User).where(User.email == email)).scalar_one()


def _member(name: str) -> Member:
    return db.session.execute(select(Member).where(Member.organisation.has(legal_name=name))).scalar_one()
