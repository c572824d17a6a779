"""The tender pages send as many statements with many bids, clarifications and tenders as with few."""

from decimal import Decimal

from kernel.extensions import db
from organisations.models import Role
from tenders import services
from tenders.ranking import BidTier
from tests import factories
from tests.factories import sign_in
from tests.query_counts import queries_for
from tests.tenders.conftest import draft_for


def _more_bidders(tendering, count: int) -> None:
    """`count` more invited suppliers, each asking a question (answered) and bidding with three tiers."""
    w = tendering.world
    for n in range(count):
        supplier = factories.supplier(f"Bidder {len(tendering.tender.invited)} {n} Ltd")
        person = factories.user(None, (Role.SUPPLIER, supplier.id))
        db.session.add(services.TenderInvitation(tender_id=tendering.tender.id, supplier_id=supplier.id))
        db.session.flush()
        asked = services.ask(person, tendering.tender, f"Question {n}?")
        services.answer(w.secretary, tendering.tender, asked.id, "Answered.")
        tiers = [BidTier(1, Decimal(30 - n)), BidTier(50, Decimal(25 - n)), BidTier(200, Decimal(20 - n))]
        services.submit_bid(person, tendering.tender, tendering.lot.id, services.BidDraft(tiers, 100, 2, ["Yes."]))
        services.create_tender(w.secretary, draft_for(w, tendering.pool, title=f"Another tender {n}"))
    db.session.commit()


def test_tender_pages_do_not_grow_their_queries_with_the_bids(tendering, client):
    w = tendering.world
    services.publish(w.secretary, tendering.tender)
    db.session.commit()
    urls = ["/tenders/", f"/tenders/{tendering.tender.id}", f"/tenders/{tendering.tender.id}/trail"]
    sign_in(client, w.secretary)
    _more_bidders(tendering, 2)
    few = {url: len(queries_for(client, url)) for url in urls}
    _more_bidders(tendering, 6)
    many = {url: len(queries_for(client, url)) for url in urls}
    assert many == few


def test_the_comparison_does_not_grow_its_queries_with_the_bids(tendering, client):
    w = tendering.world
    big = services.create_tender(w.secretary, draft_for(w, tendering.pool, title="Many bids"))
    services.publish(w.secretary, big)
    for n in range(8):
        supplier = factories.supplier(f"Many Bidder {n} Ltd")
        person = factories.user(None, (Role.SUPPLIER, supplier.id))
        db.session.add(services.TenderInvitation(tender_id=big.id, supplier_id=supplier.id))
        db.session.flush()
        tiers = [BidTier(1, Decimal(30 - n)), BidTier(100, Decimal(20 - n))]
        services.submit_bid(person, big, big.lots[0].id, services.BidDraft(tiers, 0, 1, ["Yes."]))
    small = tendering.opened()  # two bids; the deadlines pass for both tenders
    services.open_bids(w.secretary, big)
    db.session.commit()
    sign_in(client, w.secretary)
    few = queries_for(client, f"/tenders/{small.id}/comparison")
    many = queries_for(client, f"/tenders/{big.id}/comparison")
    assert len(many) == len(few)
