"""The scheduled commands: listings not renewed lapse, last month's trade is cleared once."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from kernel.clock import uk_today
from kernel.extensions import db
from tests.trading.conftest import book, delivered, room
from trading import services
from trading.models import ClearingRun, ListingStatus


def test_lapse_listings_lapses_what_was_not_renewed(runner, traders, frozen_clock):
    listing, _ = room(traders)
    frozen_clock.set(datetime.combine(listing.lapses_on + timedelta(days=1), datetime.min.time(), tzinfo=UTC))
    assert "1 listings lapsed." in runner.invoke(args=["lapse-listings"]).output
    db.session.expire_all()
    assert listing.status is ListingStatus.LAPSED
    assert "0 listings lapsed." in runner.invoke(args=["lapse-listings"]).output


def test_clear_trade_clears_last_month_once(runner, traders, world, frozen_clock):
    today = uk_today()
    frozen_clock.set(datetime.combine(today.replace(day=1) - timedelta(days=5), datetime.min.time(), tzinfo=UTC))
    services.save_terms(world.secretary, world.consortium.id, False, 90, None, True, None)
    listing, slots = room(traders, days_ahead=1)
    services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    db.session.commit()
    frozen_clock.set(datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6))
    first = runner.invoke(args=["clear-trade"]).output
    assert "clearing 1 settled 1 invoices" in first
    assert "already cleared" in runner.invoke(args=["clear-trade"]).output
    assert len(db.session.scalars(select(ClearingRun)).all()) == 1
