"""Shared-service fixtures: a service offer, members of our consortium, and a pool starting next month."""

from datetime import date

import pytest

from kernel.clock import uk_today
from kernel.extensions import db
from organisations.models import Role
from shared_services import periods, services
from shared_services.models import AllocationKey, PeriodLength
from tests import factories


def next_month() -> date:
    return periods.add_months(uk_today(), 1)


def month_text(day: date) -> str:
    return f"{day:%Y-%m}"


def terms(**overrides) -> services.PoolTerms:
    values = dict(
        cost_per_period_pence=100_000,
        period=PeriodLength.MONTH,
        term_periods=6,
        start_date=next_month(),
        minimum_participants=2,
        allocation_key=AllocationKey.HEADCOUNT,
        notice_periods=1,
    )
    return services.PoolTerms(**(values | overrides))


def make_pool(actor, offer, consortia, open_=True, **overrides):
    pool = services.create_pool(actor, offer, list(consortia), terms(**overrides))
    if open_:
        services.open_pool(actor, pool)
    db.session.commit()
    return pool


@pytest.fixture
def offer(world):
    offer = factories.offer(
        world.supplier, name="PR and media relations retainer", list_price="65.00", tiers=((40, "58.00"),), unit="hour"
    )
    db.session.commit()
    return offer


@pytest.fixture
def members(world):
    """Our world member (headcount 10) and two more of our consortium, each with its own user."""
    extra = [
        factories.member(world.network, "Taybank Community Cafe", headcount=3),
        factories.member(world.network, "Eat Well Dundee", headcount=7),
    ]
    users = [world.member_user] + [factories.user(None, (Role.MEMBER, m.id), name=f"{m.name} manager") for m in extra]
    db.session.commit()
    return list(zip([world.member, *extra], users, strict=True))


@pytest.fixture
def pool(world, offer):
    return make_pool(world.secretary, offer, [world.consortium])
