"""A member's shared services and when each bills next: its dashboard section (see orders.dashboard)."""

from datetime import date

from flask import url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload, lazyload

from catalogue.models import Offer
from kernel.clock import uk_today
from kernel.formatting import pounds, uk_date
from kernel.navigation import Entry, Todo, first_few
from organisations.models import User
from shared_services import periods
from shared_services.models import Participation, ServicePool, ServicePoolStatus


def next_bill(pool: ServicePool, today: date) -> tuple[int, date] | None:
    """The next period to bill and the day it bills (its start: a period is billed as it starts); None after the
    term's last period has started."""
    months = pool.period.months
    upcoming = max(periods.period_at(pool.start_date, months, today) + 1, 1)
    if upcoming > pool.term_periods:
        return None
    return upcoming, periods.period_start(pool.start_date, months, upcoming)


def member_todos(user: User) -> list[Todo]:
    if not user.member_ids:
        return []
    today = uk_today()
    taking_part = select(Participation.service_pool_id).where(
        Participation.member_id.in_(user.member_ids),
        or_(Participation.left_after.is_(None), Participation.left_after >= Participation.joined_from),
    )
    count, pools = first_few(
        select(ServicePool)
        .where(
            ServicePool.id.in_(taking_part),
            ServicePool.status.in_([ServicePoolStatus.OPEN, ServicePoolStatus.ACTIVE]),
        )
        .options(joinedload(ServicePool.offer).options(lazyload(Offer.category), lazyload(Offer.supplier)))
        .order_by(ServicePool.start_date, ServicePool.id)
    )
    entries = []
    for pool in pools:
        upcoming = next_bill(pool, today)
        cost = f"{pounds(pool.cost_per_period_pence)} a {pool.period.value} shared"
        detail = (
            f"{cost}; next bill {uk_date(upcoming[1])} (period {upcoming[0]} of {pool.term_periods})"
            if upcoming
            else f"{cost}; every period of the term is billed"
        )
        entries.append(Entry(pool.offer.name, url_for("shared_services.pool_page", service_pool_id=pool.id), detail))
    return [
        Todo(
            "member.shared_services",
            "member",
            "Your shared services",
            count,
            url_for("shared_services.list_pools"),
            "See the shared services",
            entries,
            text="Open one to see your share of its next charge.",
            order=15,
        )
    ]


def todos(user: User) -> list[Todo]:
    return member_todos(user)
