"""Trading's listing pages and API lists send as many queries for many rows as for one."""

from organisations.models import Role
from tests import factories
from tests.factories import api_token, sign_in
from tests.query_counts import queries_for
from tests.trading.conftest import book, delivered, room
from trading import services

PAGES = ["/trading/", "/trading/bookings", "/trading/invoices", "/trading/clearings"]
API = ["/api/v1/trading/listings", "/api/v1/trading/bookings", "/api/v1/trading/invoices"]


def _trade(traders, world, n: int) -> None:
    for k in range(n):
        other = factories.member(world.network, f"Busy Member {k}")
        factories.user(None, (Role.MEMBER, other.id))
        listing, slots = room(traders, title=f"Room {k}")
        services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))


def test_lists_do_not_grow_their_queries_with_their_rows(app, traders, world):
    client = app.test_client()
    sign_in(client, traders.seller_user)
    headers = api_token(traders.seller_user)
    _trade(traders, world, 1)
    for url in API:  # the token's first use is recorded once
        client.get(url, headers=headers)
    few = {url: len(queries_for(client, url)) for url in PAGES} | {
        url: len(queries_for(client, url, headers=headers)) for url in API
    }
    _trade(traders, world, 4)
    many = {url: len(queries_for(client, url)) for url in PAGES} | {
        url: len(queries_for(client, url, headers=headers)) for url in API
    }
    assert many == few
