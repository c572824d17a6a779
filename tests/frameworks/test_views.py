"""Framework pages: a secretary makes one live, a member calls off, the supplier delivers, the secretary invoices."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from frameworks.models import CallOff, CallOffStatus, Framework, FrameworkStatus
from kernel.clock import uk_today
from kernel.extensions import db
from tests import factories
from tests.factories import field_error, sign_in
from tests.frameworks.conftest import call_off, make_framework


def _form(world, **overrides) -> dict:
    today = uk_today()
    return {
        "name": "Tayside marketing services",
        "reference": "",
        "consortium_id": str(world.consortium.id),
        "supplier_ids": str(world.supplier.id),
        "lots-0-lot_name": "Marketing and PR support",
        "lots-0-unit_singular": "hour",
        "lots-0-unit_plural": "hours",
        "lots-0-tiers": "1 65.00\n20 £58.50",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=365)).isoformat(),
        "extensions_allowed": "1",
        "extension_months": "12",
        "ceiling": "10,000.00",
        "allowance_percent": "10",
        "fee_percent": "2.5",
        "route": "direct_award",
    } | overrides


def test_from_framework_to_invoiced_call_off_in_pages(app, world):
    secretary, member, supplier = app.test_client(), app.test_client(), app.test_client()
    for client, user in ((secretary, world.secretary), (member, world.member_user), (supplier, world.supplier_user)):
        sign_in(client, user)
    assert secretary.post("/frameworks/new", data=_form(world)).status_code == 302
    framework = db.session.scalar(select(Framework))
    assert framework.lots[0].rate_card == [(1, Decimal("65.00")), (20, Decimal("58.50"))]
    assert member.get(f"/frameworks/{framework.id}").status_code == 404  # a draft is its runners' only
    assert secretary.post(f"/frameworks/{framework.id}/live").status_code == 302
    page = member.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert "Place a call-off" in page and "£10,000.00, with an allowance of 10.00%: up to £11,000.00" in page

    placed = member.post(
        f"/frameworks/{framework.id}/call-offs",
        data={
            "lot_id": framework.lots[0].id,
            "member_id": world.member.id,
            "supplier_id": world.supplier.id,
            "quantity": "20",
        },
    )
    assert placed.status_code == 302
    made = db.session.scalar(select(CallOff))
    assert (made.quantity, made.net_pence) == (20, 117_000)
    listing = supplier.get("/frameworks/call-offs").get_data(as_text=True)
    assert "FW-TAY-0001-0001" in listing and "20 hours" in listing and "£1,170.00" in listing
    assert supplier.post(f"/frameworks/call-offs/{made.id}/confirm").status_code == 302
    assert supplier.post(f"/frameworks/call-offs/{made.id}/deliver").status_code == 302
    assert secretary.post(f"/frameworks/call-offs/{made.id}/invoice").status_code == 302
    db.session.expire_all()
    assert made.status is CallOffStatus.INVOICED and made.invoice_id is not None
    assert f"/invoices/{made.invoice_id}" in member.get("/frameworks/call-offs").get_data(as_text=True)
    csv = member.get(f"/frameworks/{framework.id}/consumption.csv").get_data(as_text=True)
    assert "lot,Marketing and PR support,20,117000,117000,117000" in csv


def test_form_errors_are_shown_beside_their_fields(app, world):
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    response = secretary.post("/frameworks/new", data=_form(world, **{"lots-0-tiers": "5 10.00\nten pounds"}))
    assert response.status_code == 422
    assert (
        field_error(response, "lots-0-tiers")
        == "Write each tier as a quantity and a price, like 20 58.50: not “ten pounds”."
    )
    response = secretary.post("/frameworks/new", data=_form(world, **{"lots-0-tiers": "5 10.00"}))
    assert (
        field_error(response, "lots-0-tiers") == "The first tier starts at quantity 1, so every call-off has a price."
    )
    assert db.session.scalar(select(Framework)) is None


def test_a_call_off_past_the_ceiling_is_a_form_error(app, world):
    framework = make_framework(world, ceiling_pence=10_000, allowance_percent=Decimal(0))
    call_off(world, framework, 1)
    member = app.test_client()
    sign_in(member, world.member_user)
    response = member.post(
        f"/frameworks/{framework.id}/call-offs",
        data={
            "lot_id": framework.lots[0].id,
            "member_id": world.member.id,
            "supplier_id": world.supplier.id,
            "quantity": "1",
        },
    )
    assert response.status_code == 422
    assert "would take the framework past its ceiling with the allowance: £35.00 is left" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(Framework.consumed_pence)) == 6500


def test_the_secretary_extends_and_ends_a_framework(app, world):
    framework = make_framework(world, extensions_allowed=1, extension_months=6)
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    assert secretary.post(f"/frameworks/{framework.id}/extend").status_code == 302
    assert secretary.post(f"/frameworks/{framework.id}/end", data={"reason": "Budget withdrawn"}).status_code == 302
    db.session.expire_all()
    assert framework.status is FrameworkStatus.ENDED and framework.extensions_used == 1
    page = secretary.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert "Budget withdrawn" in page and "Extensions" in page


def test_the_secretary_edits_a_draft_on_its_page(app, world):
    framework = make_framework(world, live=False)
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    page = secretary.get(f"/frameworks/{framework.id}/edit").get_data(as_text=True)
    assert 'value="Tayside marketing services"' in page and "20 58.5000" in page
    saved = secretary.post(
        f"/frameworks/{framework.id}/edit", data=_form(world, name="Tayside PR", **{"lots-0-tiers": "1 70"})
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert framework.name == "Tayside PR" and framework.lots[0].rate_card == [(1, Decimal("70.0000"))]
    assert framework.ceiling_pence == 1_000_000
    secretary.post(f"/frameworks/{framework.id}/live")
    assert secretary.get(f"/frameworks/{framework.id}/edit").status_code == 302


def test_the_form_takes_several_lots_and_suppliers_and_shows_a_lots_error_in_its_row(app, world):
    rival = factories.supplier("Angus Print Ltd")
    db.session.commit()
    secretary = app.test_client()
    sign_in(secretary, world.secretary)
    form = _form(world) | {
        "supplier_ids": [str(world.supplier.id), str(rival.id)],
        "lots-1-lot_name": "Printed leaflets",
        "lots-1-unit_singular": "box",
        "lots-1-unit_plural": "boxes",
        "lots-1-tiers": "1 40\n10 35",
        "lots-1-supplier_id": str(rival.id),
    }
    refused = secretary.post("/frameworks/new", data=form | {"lots-1-tiers": "2 40"})
    assert refused.status_code == 422
    assert field_error(refused, "lots-1-tiers") == "The first tier starts at quantity 1, so every call-off has a price."
    assert field_error(refused, "lots-0-tiers") is None
    made = secretary.post("/frameworks/new", data=form)
    assert made.status_code == 302
    framework = db.session.scalars(select(Framework).order_by(Framework.id.desc())).first()
    assert framework.supplier_ids == {world.supplier.id, rival.id}
    assert [(lot.name, lot.unit_plural, lot.supplier_id) for lot in framework.lots] == [
        ("Marketing and PR support", "hours", None),
        ("Printed leaflets", "boxes", rival.id),
    ]
    assert framework.lots[1].rate_card == [(1, Decimal("40.0000")), (10, Decimal("35.0000"))]
    page = secretary.get(f"/frameworks/{framework.id}/edit").get_data(as_text=True)
    assert 'value="Printed leaflets"' in page and "Lot 3" in page
    page = secretary.get(f"/frameworks/{framework.id}").get_data(as_text=True)
    assert "Printed leaflets (per box), from Angus Print Ltd" in page
