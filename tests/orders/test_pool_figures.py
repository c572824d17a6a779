"""What a member reads on the pool page and the open pools page, figure by figure."""

import re
from datetime import timedelta
from decimal import Decimal

from catalogue import services as catalogue_services
from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import closing, services
from tests import factories
from tests.factories import api_token, sign_in
from tests.orders.conftest import breakdown, make_offer, make_pool


def figure(page: str, heading: str) -> str:
    """The text of the pool summary's row headed `heading`, tags and spacing removed."""
    match = re.search(rf'<th scope="row">{re.escape(heading)}</th><td class="num">(.*?)</td>', page, re.S)
    assert match, f"no row {heading!r}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def pool_rows(page: str) -> list[tuple[int, bool]]:
    """(pool id, marked as pledged) for each row of the pools table, in order."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [
        (int(pool_id), "<strong>Pledged</strong>" in row)
        for row in body.split("<tr>")[1:]
        for pool_id in re.findall(r'href="/pools/(\d+)"', row)
    ]


def utilities_offer(supplier) -> Offer:
    offer = Offer(
        supplier=supplier,
        category=Category(slug="utilities", name="Utilities"),
        name="Green electricity",
        unit="kWh",
        pack_size=1,
        vat_rate=VatRate.REDUCED,
        list_price=Decimal("0.2900"),
        minimum_order_quantity=1,
        tiers=[PriceTier(min_quantity=10_000, unit_price=Decimal("0.2500"))],
    )
    db.session.add(offer)
    db.session.commit()
    return offer


def test_the_pool_page_shows_every_figure_and_my_pledge_with_its_estimated_cost(client, world, offer):
    world.consortium.organisation.vat_number = "GB284719365"
    world.consortium.handling_fee_percent = Decimal("2.5")
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=20, capacity=300, delivery=1500)
    services.pledge(world.member_user, pool.id, 12, 2, member_id=world.member.id)
    services.pledge(world.admin, pool.id, 6, member_id=factories.member(world.network, "Taybank Cafe").id)
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)

    assert figure(page, "Total pledged") == "18 boxes"
    assert figure(page, "Members pledging") == "2"
    assert figure(page, "Tier reached") == "from 10"
    assert figure(page, "Unit price now") == "£22.00"
    assert figure(page, "List price") == "£25.00"
    assert figure(page, "Goods saving against list price") == "12.0% (£54.00 on the pool's units, before handling fees)"
    assert figure(page, "Next tier") == "£20.00 from 50: 32 more to go"
    assert figure(page, "Minimum to proceed") == "20 (90%)"
    assert figure(page, "Capacity left") == "282 of 300"
    assert figure(page, "Delivery charge to share") == "£15.00"
    assert re.search(r"\(6 days 23 hours left\)|\(6 days 22 hours left\)", figure(page, "Deadline"))
    # 12 x £22.00 = £264.00; delivery £15.00 x 12/18 = £10.00; fee 2.5% = £6.60; VAT 20% of £280.60 = £56.12.
    assert (
        "Re-Tweed Dundee CIC: 12 boxes plus up to 2 flexible; estimated cost £336.72 to pay, with delivery, fees and VAT."
    ) in " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert breakdown(page) == {
        "Goods": "£264.00",
        "Share of delivery": "£10.00",
        "Handling fee": "£6.60",
        "Solidarity": "£0.00",
        "VAT": "£56.12",
        "Total to pay": "£336.72",
    }
    assert "Re-Tweed Dundee CIC: cost if the pool closed now" in page
    # Alone at £25.00: £300.00; pooled: £264.00 goods + £6.60 fee.
    assert (
        "Against buying 12 boxes alone at the list price, Re-Tweed Dundee CIC saves £29.40 after the handling fee"
    ) in " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_reaching_the_minimum_and_the_last_tier_is_said_plainly(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium], minimum=20)
    services.pledge(world.member_user, pool.id, 250, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert figure(page, "Minimum to proceed") == "20 (100%, reached)"
    assert figure(page, "Next tier") == "best tier reached"
    assert figure(page, "Unit price now") == "£18.50"
    assert (
        figure(page, "Goods saving against list price") == "26.0% (£1,625.00 on the pool's units, before handling fees)"
    )


def test_a_tier_at_the_same_price_is_not_offered_as_the_next_tier(client, world):
    offer = make_offer(world.supplier, tiers=(("10", "22.00"), ("50", "22.00"), ("200", "18.50")))
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)
    assert (
        figure(client.get(f"/pools/{pool.id}").get_data(as_text=True), "Next tier") == "£18.50 from 200: 188 more to go"
    )
    shown = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json
    assert shown["next_tier"] == {"min_quantity": 200, "unit_price": "18.5000", "units_to_go": 188}


def test_open_pools_page_filters_by_category_sorts_by_deadline_and_marks_only_live_pledges(client, world, offer):
    now = utcnow()
    paper_later = make_pool(world.secretary, offer, [world.consortium], deadline=now + timedelta(days=9))
    paper_sooner = make_pool(world.secretary, offer, [world.consortium], deadline=now + timedelta(days=2))
    paper_withdrawn = make_pool(world.secretary, offer, [world.consortium], deadline=now + timedelta(days=5))
    power = make_pool(
        world.secretary, utilities_offer(world.supplier), [world.consortium], deadline=now + timedelta(days=1)
    )
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False, deadline=now + timedelta(days=3))
    theirs = make_pool(world.admin, offer, [world.other_consortium], deadline=now + timedelta(days=4))
    services.pledge(world.member_user, paper_later.id, 5, member_id=world.member.id)
    services.pledge(world.member_user, paper_withdrawn.id, 5, member_id=world.member.id)
    services.withdraw_pledge(world.member_user, paper_withdrawn.id, world.member.id)
    db.session.commit()
    sign_in(client, world.member_user)

    everything = pool_rows(client.get("/pools/").get_data(as_text=True))
    assert everything == [
        (power.id, False),
        (paper_sooner.id, False),
        (paper_withdrawn.id, False),
        (paper_later.id, True),
    ]
    assert draft.id not in dict(everything) and theirs.id not in dict(everything)
    stationery = pool_rows(client.get("/pools/?category=stationery&sort=deadline").get_data(as_text=True))
    assert stationery == [(paper_sooner.id, False), (paper_withdrawn.id, False), (paper_later.id, True)]
    assert pool_rows(client.get("/pools/?category=utilities").get_data(as_text=True)) == [(power.id, False)]
    newest = pool_rows(client.get("/pools/?sort=newest").get_data(as_text=True))
    assert [pool_id for pool_id, _ in newest] == [power.id, paper_withdrawn.id, paper_sooner.id, paper_later.id]


def test_after_the_deadline_the_page_takes_no_pledge_and_a_posted_one_is_a_form_error(client, world, pool):
    services.pledge(world.member_user, pool.id, 5, member_id=world.member.id)
    pool.deadline = utcnow() - timedelta(minutes=5)
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert "(deadline passed)" in figure(page, "Deadline")
    assert "This pool is not taking pledges." in page
    assert "See estimated cost" not in page and "Withdraw pledge" not in page
    for action in ("preview", "confirm"):
        response = client.post(
            f"/pools/{pool.id}/pledge", data={"member_id": world.member.id, "quantity": "8", "action": action}
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 409, action
        assert "The deadline has passed; this pool takes no more pledges." in text
        assert "Estimated cost of" not in text and 'name="quantity"' not in text
    db.session.refresh(pool)
    assert pool.pledged_quantity == 5


def test_a_draft_pool_refuses_even_a_preview(client, world, offer):
    """A member does not see a draft at all (orders.services: drafts are their secretaries'), so not even a preview."""
    draft = make_pool(world.secretary, offer, [world.consortium], open_=False)
    sign_in(client, world.member_user)
    response = client.post(
        f"/pools/{draft.id}/pledge", data={"member_id": world.member.id, "quantity": "8", "action": "preview"}
    )
    assert response.status_code == 404
    db.session.refresh(draft)
    assert draft.pledged_quantity == 0


def test_a_closed_pool_keeps_the_prices_it_closed_with_when_the_offer_changes(client, world, offer):
    pool = make_pool(world.secretary, offer, [world.consortium])
    services.pledge(world.member_user, pool.id, 12, member_id=world.member.id)
    closing.close_pool(world.secretary, pool.id)
    db.session.commit()
    catalogue_services.update_offer(
        world.supplier_user, offer, {"list_price": "40.00", "tiers": [{"min_quantity": 5, "unit_price": "30.00"}]}
    )
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get(f"/pools/{pool.id}").get_data(as_text=True)
    assert figure(page, "Closing unit price") == "£22.00"
    assert figure(page, "List price") == "£25.00"
    assert figure(page, "Goods saving against list price") == "12.0% (£36.00 on the pool's units, before handling fees)"
    shown = client.get(f"/api/v1/pools/{pool.id}", headers=api_token(world.member_user)).json
    assert (shown["unit_price"], shown["list_price"], shown["saving_pence"]) == ("22.0000", "25.0000", 3600)
