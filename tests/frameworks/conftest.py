"""Framework fixtures: a live marketing framework of our consortium with our supplier, one lot of hours."""

from datetime import timedelta
from decimal import Decimal

import pytest

from frameworks import services
from frameworks.models import Route
from frameworks.terms import LotTerms
from kernel.clock import uk_today
from kernel.extensions import db

HOURS = LotTerms("Marketing and PR support", "hour", "hours", [(1, Decimal("65.00")), (20, Decimal("58.50"))])


def make_framework(world, actor=None, live=True, **overrides):
    today = uk_today()
    values = dict(
        name="Tayside marketing services",
        consortium_ids=[world.consortium.id],
        supplier_ids=[world.supplier.id],
        lots=[HOURS],
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=335),
        ceiling_pence=1_000_000,
        allowance_percent=Decimal("10"),
        fee_percent=Decimal("2.5"),
        route=Route.DIRECT_AWARD,
    )
    framework = services.create_framework(actor or world.secretary, **(values | overrides))
    if live:
        services.make_live(actor or world.secretary, framework.id)
    db.session.commit()
    return framework


@pytest.fixture
def framework(world):
    return make_framework(world)


def call_off(world, framework, quantity, actor=None, **overrides):
    made = services.place_call_off(
        actor or world.member_user,
        framework_id=framework.id,
        lot_id=framework.lots[0].id,
        member_id=overrides.pop("member_id", world.member.id),
        quantity=quantity,
        **overrides,
    )
    db.session.commit()
    return made
