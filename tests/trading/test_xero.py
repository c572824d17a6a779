"""A member's trade invoices as Xero sales (those it issued) and bills (those it received), with a constant number of
queries however many invoices there are."""

import csv
import io

from tests.factories import sign_in
from tests.query_counts import queries_for
from tests.trading.conftest import book, delivered, room
from trading import services


def _rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def _invoice(traders, n: int) -> None:
    for k in range(n):
        listing, slots = room(traders, title=f"Room {k}", count=1)
        services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots)))


def test_the_seller_exports_its_sales_and_the_buyer_its_bills(app, traders):
    _invoice(traders, 1)
    seller, buyer = app.test_client(), app.test_client()
    sign_in(seller, traders.seller_user)
    sign_in(buyer, traders.buyer_user)
    sales = seller.get(f"/trading/members/{traders.seller.id}/xero-sales.csv")
    assert sales.status_code == 200 and sales.mimetype == "text/csv"
    (row,) = _rows(sales)
    assert row["ContactName"] == traders.buyer.name and row["InvoiceNumber"].startswith("TAY-M")
    assert (row["Quantity"], row["UnitAmount"], row["TaxAmount"]) == ("1", "25.00", "0.00")
    assert row["TaxType"] == "Zero Rated Income"
    (bill,) = _rows(buyer.get(f"/trading/members/{traders.buyer.id}/xero-bills.csv"))
    assert bill["ContactName"] == traders.seller.name and bill["InvoiceNumber"] == row["InvoiceNumber"]
    assert bill["TaxType"] == "Zero Rated Expenses"
    assert _rows(buyer.get(f"/trading/members/{traders.buyer.id}/xero-sales.csv")) == []
    assert buyer.get(f"/trading/members/{traders.seller.id}/xero-sales.csv").status_code == 404


def test_the_export_s_queries_do_not_grow_with_its_invoices(app, traders):
    client = app.test_client()
    sign_in(client, traders.seller_user)
    url = f"/trading/members/{traders.seller.id}/xero-sales.csv"
    _invoice(traders, 1)
    few = len(queries_for(client, url))
    _invoice(traders, 5)
    assert len(_rows(client.get(url))) == 6
    assert len(queries_for(client, url)) == few
