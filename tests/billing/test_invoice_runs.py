"""Two invoice runs for one order at the same moment, from the billing page and the API, on both databases."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import func, select

from billing.models import Invoice
from kernel.extensions import db
from organisations.models import Role
from tests import factories
from tests.billing.test_invoicing import delivered_order
from tests.factories import api_token, sign_in

RUNS = 4


@pytest.mark.parametrize("ways", [("api",) * RUNS, ("page", "api") * (RUNS // 2)])
def test_invoice_runs_at_once_issue_one_set_and_the_others_see_it_issued(app, world, ways):
    """One run issues the order's invoices; the others wait for it and are told nothing new was issued."""
    order = delivered_order(world)
    secretaries = [world.secretary] + [factories.user(None, (Role.SECRETARY, world.consortium.id)) for _ in ways[1:]]
    db.session.commit()
    clients = []
    for way, secretary in zip(ways, secretaries, strict=True):
        client = app.test_client()
        if way == "page":
            sign_in(client, secretary)
        clients.append((way, client, api_token(secretary)))
    order_id, number = order.id, order.number
    barrier = Barrier(len(clients))

    def run(way_client_headers) -> str:
        way, client, headers = way_client_headers
        barrier.wait(timeout=30)
        if way == "api":
            response = client.post(f"/api/v1/purchase-orders/{order_id}/invoices", headers=headers)
            return f"api {response.status_code} {len(response.json) if response.is_json else response.data[:200]}"
        response = client.post(f"/purchase-orders/{order_id}/invoices", follow_redirects=True)
        page = response.get_data(as_text=True)
        issued = "3 invoices issued" in page
        told = f"{number} was already invoiced; nothing new was issued." in page
        return f"page {response.status_code} {'issued' if issued else 'already' if told else page[:200]}"

    with ThreadPoolExecutor(max_workers=len(clients)) as executor:
        outcomes = list(executor.map(run, clients))

    issuers = [o for o in outcomes if o in ("api 201 3", "page 200 issued")]
    waiters = [o for o in outcomes if o in ("api 200 0", "page 200 already")]
    assert (len(issuers), len(waiters)) == (1, len(ways) - 1), outcomes
    numbers = db.session.scalars(select(Invoice.number).where(Invoice.purchase_order_id == order_id)).all()
    assert sorted(int(n[-6:]) for n in numbers) == [1, 2, 3]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 3
