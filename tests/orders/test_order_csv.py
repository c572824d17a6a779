"""Purchase-order CSVs open in a spreadsheet: a BOM for Excel, CRLF rows, a header, quoted commas and quotes,
and no cell a spreadsheet would run as a formula."""

import csv
import io

import pytest

from kernel.extensions import db
from orders import closing, purchase_orders, services
from orders.order_documents import HEADER, ORDERS_HEADER
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import make_offer, make_pool

AWKWARD = 'Smith, Jones & "Partners" CIC'
FORMULA = '=HYPERLINK("http://evil.example")'


@pytest.fixture
def order(world):
    offer = make_offer(world.supplier, name='Paper, A4 "premium"')
    pool = make_pool(world.secretary, offer, [world.consortium], delivery=500)
    awkward = factories.member(world.network, AWKWARD, address_line1=FORMULA)
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    services.pledge(world.admin, pool.id, 3, member_id=awkward.id)
    order = closing.close_pool(world.secretary, pool.id).purchase_orders[0]
    purchase_orders.send(world.secretary, order)
    db.session.commit()
    return order


def spreadsheet(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_an_orders_csv_keeps_awkward_names_and_addresses_in_their_cells(client, world, order):
    sign_in(client, world.supplier_user)
    rows = spreadsheet(client.get(f"/purchase-orders/{order.id}.csv"))
    assert rows[0] == HEADER
    assert all(len(row) == len(HEADER) for row in rows)
    by_member = {row[HEADER.index("Member")]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    awkward = by_member[AWKWARD]
    assert awkward["Offer"] == 'Paper, A4 "premium"' and awkward["Units"] == "3"
    assert awkward["Delivery address"].startswith("'" + FORMULA)
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert by_member["Total"]["Units"] == "15"
    raw = client.get(f"/purchase-orders/{order.id}.csv").data.decode("utf-8-sig")
    assert '"Smith, Jones & ""Partners"" CIC"' in raw


def test_the_api_gives_the_same_csv_for_one_order_and_lists_orders_as_csv(client, world, order):
    headers = api_token(world.supplier_user) | {"Accept": "text/csv"}
    one = spreadsheet(client.get(f"/api/v1/purchase-orders/{order.id}", headers=headers))
    sign_in(client, world.supplier_user)
    assert one == spreadsheet(client.get(f"/purchase-orders/{order.id}.csv"))
    listing = spreadsheet(client.get("/api/v1/purchase-orders", headers=headers))
    assert listing[0] == ORDERS_HEADER
    assert [row[0] for row in listing[1:]] == [order.number]
    row = dict(zip(ORDERS_HEADER, listing[1], strict=True))
    assert (row["Status"], row["Units"], row["Delivery (GBP, net)"]) == ("sent", "15", "5.00")
