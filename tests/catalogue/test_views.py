"""The catalogue's pages: browsing for everyone signed in, offers for their suppliers."""

from decimal import Decimal

from catalogue import services
from catalogue.models import Offer
from kernel.extensions import db
from kernel.formatting import price
from tests import factories
from tests.factories import sign_in


def _catalogue(world):
    paper = factories.category("stationery", "Stationery", position=1)
    utilities = factories.category("utilities", "Utilities", position=3)
    copier = factories.offer(
        world.supplier,
        paper,
        name="A4 copier paper",
        pack_size=5,
        list_price="4.20",
        tiers=((100, "3.85"), (500, "3.49")),
    )
    electricity = factories.offer(
        world.other_supplier,
        utilities,
        name="Renewable electricity",
        unit="kWh",
        list_price="0.2450",
        tiers=((100000, "0.2310"), (500000, "0.2190")),
    )
    db.session.commit()
    return paper, utilities, copier, electricity


def test_browse_lists_offers_with_prices_right_aligned(client, world):
    _catalogue(world)
    sign_in(client, world.member_user)
    response = client.get("/catalogue/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A4 copier paper" in page and "Renewable electricity" in page
    assert f'<td class="num">{price(Decimal("0.2450"))}</td>' in page
    assert f'<td class="num">{price(Decimal("0.2190"))}</td>' in page
    assert '<td class="num">£4.20</td>' in page and '<td class="num">£3.49</td>' in page
    assert "2 offers" in page


def test_browse_filters_by_category_supplier_and_text(client, world):
    _catalogue(world)
    sign_in(client, world.member_user)
    by_category = client.get("/catalogue/", query_string={"category": "utilities"}).get_data(as_text=True)
    assert "Renewable electricity" in by_category and "A4 copier paper" not in by_category
    by_supplier = client.get("/catalogue/", query_string={"supplier": world.supplier.id}).get_data(as_text=True)
    assert "A4 copier paper" in by_supplier and "Renewable electricity" not in by_supplier
    by_text = client.get("/catalogue/", query_string={"q": "forth"}).get_data(as_text=True)
    assert "Renewable electricity" in by_text and "A4 copier paper" not in by_text
    nothing = client.get("/catalogue/", query_string={"q": "zebra"}).get_data(as_text=True)
    assert "No offers match" in nothing


def test_browse_buy_social_keeps_only_social_enterprises(client, world):
    _catalogue(world)
    world.other_supplier.organisation.is_social_enterprise = False
    db.session.commit()
    sign_in(client, world.member_user)
    page = client.get("/catalogue/", query_string={"buy_social": "y"}).get_data(as_text=True)
    assert "A4 copier paper" in page and "Renewable electricity" not in page


def test_browse_is_paginated_and_keeps_the_filters(client, world):
    paper = factories.category("stationery", "Stationery")
    for n in range(27):
        factories.offer(world.supplier, paper, name=f"Notebook {n:02d}")
    db.session.commit()
    sign_in(client, world.member_user)
    first = client.get("/catalogue/", query_string={"category": "stationery"}).get_data(as_text=True)
    assert "Page 1 of 2" in first and "27 offers" in first
    assert "page=2" in first and "category=stationery" in first
    second = client.get("/catalogue/", query_string={"category": "stationery", "page": 2}).get_data(as_text=True)
    assert "Notebook 26" in second and "Notebook 00" not in second


def test_browse_needs_signing_in(client, world):
    assert client.get("/catalogue/").status_code == 302


def test_offer_page_shows_details_tiers_and_the_chart(client, world):
    _, _, _, electricity = _catalogue(world)
    sign_in(client, world.member_user)
    page = client.get(f"/catalogue/offers/{electricity.id}").get_data(as_text=True)
    assert "<h1>Renewable electricity</h1>" in page
    assert "Standard 20%" in page
    assert (
        f'<td class="num">100,000</td><td class="num">{price(Decimal("0.2310"))}</td><td class="num">5.7%</td>' in page
    )
    assert (
        f'<td class="num">500,000</td><td class="num">{price(Decimal("0.2190"))}</td><td class="num">10.6%</td>' in page
    )
    assert f'<img src="/catalogue/offers/{electricity.id}/price-chart.svg"' in page
    assert 'alt="Chart of unit price against total quantity' in page
    assert "Edit this offer" not in page


def test_price_chart_is_an_svg_with_the_tier_prices_and_its_own_csp(client, world):
    _, _, copier, _ = _catalogue(world)
    sign_in(client, world.member_user)
    response = client.get(f"/catalogue/offers/{copier.id}/price-chart.svg")
    svg = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert (
        response.headers["Content-Security-Policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert "<svg" in svg and "<script" not in svg
    assert "From 100: £3.85" in svg and "From 500: £3.49" in svg and "List £4.20" in svg


def test_unknown_offer_is_404(client, world):
    sign_in(client, world.member_user)
    assert client.get("/catalogue/offers/999").status_code == 404
    assert client.get("/catalogue/offers/999/price-chart.svg").status_code == 404


def test_withdrawn_offer_leaves_the_catalogue_but_its_page_says_so(client, world):
    _, _, copier, _ = _catalogue(world)
    services.withdraw_offer(world.admin, copier)
    db.session.commit()
    sign_in(client, world.member_user)
    assert "A4 copier paper" not in client.get("/catalogue/").get_data(as_text=True)
    assert "This offer is withdrawn" in client.get(f"/catalogue/offers/{copier.id}").get_data(as_text=True)


# A supplier's own offers


def _form(category, **overrides) -> dict:
    return {
        "name": "C4 recycled envelopes",
        "category": str(category.id),
        "description": "Box of 250.",
        "unit": "envelope",
        "pack_size": "250",
        "vat_rate": "standard",
        "list_price": "0.0960",
        "minimum_order_quantity": "250",
        "lead_time_days": "2",
        "tiers-0-min_quantity": "5000",
        "tiers-0-unit_price": "0.0840",
        "tiers-1-min_quantity": "",
        "tiers-1-unit_price": "",
        "tiers-2-min_quantity": "20000",
        "tiers-2-unit_price": "0.0715",
    } | overrides


def test_supplier_creates_an_offer_with_tiers_blank_rows_ignored(client, world):
    paper = factories.category("stationery", "Stationery")
    db.session.commit()
    sign_in(client, world.supplier_user)
    form_page = client.get(f"/catalogue/supplier/{world.supplier.id}/offers/new").get_data(as_text=True)
    assert 'name="tiers-2-unit_price"' in form_page
    response = client.post(f"/catalogue/supplier/{world.supplier.id}/offers/new", data=_form(paper))
    assert response.status_code == 302
    offer = db.session.scalar(db.select(Offer).where(Offer.name == "C4 recycled envelopes"))
    assert offer.supplier_id == world.supplier.id and offer.pack_size == 250
    assert [(t.min_quantity, t.unit_price) for t in offer.tiers] == [
        (5000, Decimal("0.0840")),
        (20000, Decimal("0.0715")),
    ]
    listing = client.get(response.location).get_data(as_text=True)
    assert "C4 recycled envelopes" in listing and "In the catalogue" in listing


def test_rising_tier_prices_are_refused_next_to_the_tiers(client, world):
    paper = factories.category("stationery", "Stationery")
    db.session.commit()
    sign_in(client, world.supplier_user)
    response = client.post(
        f"/catalogue/supplier/{world.supplier.id}/offers/new", data=_form(paper, **{"tiers-2-unit_price": "0.0900"})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="tiers-error"' in page and "Tier prices must not rise" in page
    assert db.session.scalar(db.select(db.func.count(Offer.id))) == 0


def test_field_errors_show_next_to_their_fields(client, world):
    paper = factories.category("stationery", "Stationery")
    db.session.commit()
    sign_in(client, world.supplier_user)
    response = client.post(
        f"/catalogue/supplier/{world.supplier.id}/offers/new",
        data=_form(paper, list_price="0.12345", **{"tiers-1-min_quantity": "9000"}),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="tiers-1-unit_price-error"' in page and "Give both a quantity and a unit price" in page
    response = client.post(
        f"/catalogue/supplier/{world.supplier.id}/offers/new", data=_form(paper, list_price="0.12345")
    )
    assert response.status_code == 422
    assert '<p class="invalid-feedback" id="list_price-error">At most 4 decimal places.</p>' in response.get_data(
        as_text=True
    )


def test_supplier_edits_withdraws_and_reactivates_its_offer(client, world):
    paper = factories.category("stationery", "Stationery")
    offer = factories.offer(world.supplier, paper, name="A4 copier paper", tiers=((100, "3.85"),))
    db.session.commit()
    sign_in(client, world.supplier_user)
    edit_page = client.get(f"/catalogue/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="3.8500"' in edit_page and 'name="tiers-3-min_quantity"' in edit_page
    response = client.post(f"/catalogue/offers/{offer.id}/edit", data=_form(paper, name="A4 paper, recycled"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).name == "A4 paper, recycled"
    assert "Pools already open for it go on" in client.get(f"/catalogue/offers/{offer.id}/withdraw").get_data(
        as_text=True
    )
    assert client.post(f"/catalogue/offers/{offer.id}/withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).active is True
    assert client.post(f"/catalogue/offers/{offer.id}/withdraw", data={"confirmed": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).active is False
    assert "Withdrawn" in client.get(f"/catalogue/supplier/{world.supplier.id}/offers").get_data(as_text=True)
    client.post(f"/catalogue/offers/{offer.id}/reactivate")
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).active is True


def test_another_suppliers_offer_and_pages_are_404(client, world):
    paper = factories.category("stationery", "Stationery")
    theirs = factories.offer(world.other_supplier, paper, name="Their paper")
    db.session.commit()
    sign_in(client, world.supplier_user)
    assert client.get(f"/catalogue/offers/{theirs.id}/edit").status_code == 404
    assert client.post(f"/catalogue/offers/{theirs.id}/edit", data=_form(paper)).status_code == 404
    assert client.post(f"/catalogue/offers/{theirs.id}/withdraw").status_code == 404
    assert client.get(f"/catalogue/supplier/{world.other_supplier.id}/offers").status_code == 404
    assert client.get(f"/catalogue/supplier/{world.other_supplier.id}/offers/new").status_code == 404
    db.session.expire_all()
    assert db.session.get(Offer, theirs.id).active is True


def test_a_member_cannot_reach_supplier_pages(client, world):
    paper = factories.category("stationery", "Stationery")
    offer = factories.offer(world.supplier, paper)
    db.session.commit()
    sign_in(client, world.member_user)
    assert client.get(f"/catalogue/supplier/{world.supplier.id}/offers").status_code == 403
    assert client.get(f"/catalogue/supplier/{world.supplier.id}/offers/new").status_code == 403
    assert client.get(f"/catalogue/offers/{offer.id}/edit").status_code == 403
    assert client.post(f"/catalogue/offers/{offer.id}/withdraw").status_code == 403


def test_an_admin_keeps_any_suppliers_offers(client, world):
    paper = factories.category("stationery", "Stationery")
    db.session.commit()
    sign_in(client, world.admin)
    response = client.post(f"/catalogue/supplier/{world.other_supplier.id}/offers/new", data=_form(paper))
    assert response.status_code == 302


def test_dashboard_and_menu_link_to_the_catalogue(client, world):
    sign_in(client, world.supplier_user)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/catalogue/"' in page
    assert "Your offers: Caledonian Office Supplies Ltd" in page
    assert f'href="/catalogue/supplier/{world.supplier.id}/offers"' in page
    client.post("/sign-out")
    sign_in(client, world.member_user)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/catalogue/"' in page and "Your offers" not in page


def test_a_supplier_filter_that_is_not_a_supplier_is_a_form_error(client, world):
    _catalogue(world)
    sign_in(client, world.member_user)
    for supplier in ("²", "99999999999999999999"):
        response = client.get("/catalogue/", query_string={"supplier": supplier})
        assert response.status_code == 422 and "A4 copier paper" in response.get_data(as_text=True)
