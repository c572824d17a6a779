"""The realistic world every benchmark builds: members with their users and email choices, fees, charges.

Each member has one user (70%) or two (30%), as member organisations have a manager and
sometimes a deputy; a third of users switch off the tier-change email and one in ten the
pool-opened email too, the choices users make on their profile (the demo's users keep every
kind on, so it has no mix to copy). Consortia charge a handling fee, pools a delivery charge
and a solidarity rate. Rows go in with bulk inserts, so 100,000 members take seconds, and
every user's password hash is computed once: the benchmarks measure the app, not the seeding.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from catalogue.models import Category, Offer, PriceTier, VatRate
from kernel.clock import utcnow
from kernel.extensions import db
from orders import services
from orders.models import Pledge
from orders.pledging import count_band_totals_again
from organisations import services as people
from organisations.models import (
    Consortium,
    Member,
    Network,
    NotificationOptOut,
    Organisation,
    Role,
    RoleGrant,
    TurnoverBand,
    User,
)

CHUNK = 2000
PASSWORD = "bench-password-123"
HANDLING_FEE_PERCENT = Decimal("2.5")
SOLIDARITY_RATE_PERCENT = Decimal(3)
DELIVERY_CHARGE_PENCE = 4_999
ADDRESS = {
    "address_line1": "1 High Street",
    "city": "Dundee",
    "postcode": "DD1 1AA",
    "contact_email": "bench@example.org",
}


def bulk(table, rows: Iterable[dict]) -> int:
    """Core INSERTs in chunks, under SQLite's limit on bound parameters; how many rows."""
    rows = list(rows)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])
    return len(rows)


def next_id(model) -> int:
    return (db.session.scalar(select(db.func.max(model.id))) or 0) + 1


def add_consortia(codes: tuple[str, ...]) -> tuple[list[Consortium], list[Network]]:
    """VAT-registered consortia charging a handling fee, each with one network."""
    consortia, networks = [], []
    for code in codes:
        consortium = people.save_consortium(
            ADDRESS | {"name": code, "code": code, "legal_name": f"{code} consortium", "vat_number": "GB284719365"}
        )
        consortium.handling_fee_percent = HANDLING_FEE_PERCENT
        consortia.append(consortium)
        networks.append(people.save_network({"name": f"{code} network", "consortium_id": consortium.id}))
    return consortia, networks


def add_members(network_ids: list[int], count: int) -> list[int]:
    """`count` social-enterprise members spread over the networks; their ids."""
    now = utcnow()
    first_org, first_member = next_id(Organisation), next_id(Member)
    bulk(
        Organisation,
        [
            ADDRESS
            | {"id": first_org + n, "legal_name": f"Member {n}", "is_social_enterprise": True, "created_at": now}
            for n in range(count)
        ],
    )
    bulk(
        Member,
        [
            {
                "id": first_member + n,
                "organisation_id": first_org + n,
                "network_id": network_ids[n % len(network_ids)],
                "headcount": 5,
                "turnover_band": TurnoverBand.UNDER_100K,
                "active": True,
                "created_at": now,
            }
            for n in range(count)
        ],
    )
    return [first_member + n for n in range(count)]


def add_users(member_ids: list[int]) -> list[tuple[int, int]]:
    """Each member's users (one, or two for 3 in 10) with their email choices; (user id, member id) pairs."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = generate_password_hash(PASSWORD, method=method)
    first_user = next_id(User)
    pairs = [(member_id, 0) for member_id in member_ids] + [
        (member_id, 1) for n, member_id in enumerate(member_ids) if n % 10 < 3
    ]
    users = [(first_user + n, member_id, deputy) for n, (member_id, deputy) in enumerate(pairs)]
    bulk(
        User,
        [
            {
                "id": user_id,
                "email": f"{'deputy' if deputy else 'manager'}.{member_id}@members.bench.example",
                "name": f"Member {member_id} {'deputy' if deputy else 'manager'}",
                "password_hash": password_hash,
                "active": True,
            }
            for user_id, member_id, deputy in users
        ],
    )
    bulk(RoleGrant, [{"user_id": u, "role": Role.MEMBER, "member_id": m} for u, m, _ in users])
    bulk(
        NotificationOptOut,
        [{"user_id": u, "kind": "pool_tier_reached"} for u, _, _ in users if u % 3 == 0]
        + [{"user_id": u, "kind": "pool_opened"} for u, _, _ in users if u % 10 == 0],
    )
    return [(user_id, member_id) for user_id, member_id, _ in users]


def add_offer(supplier, tiers: list[tuple[int, str]], unit: str = "ream", pack_size: int = 5) -> Offer:
    category = db.session.scalar(select(Category).where(Category.slug == "stationery"))
    offer = Offer(
        supplier=supplier,
        category=category,
        name="Paper",
        unit=unit,
        pack_size=pack_size,
        vat_rate=VatRate.STANDARD,
        list_price=Decimal("4.20"),
        tiers=[PriceTier(min_quantity=q, unit_price=Decimal(p)) for q, p in tiers],
    )
    db.session.add(offer)
    db.session.flush()
    return offer


@dataclass
class PoolWorld:
    pool_id: int
    admin_id: int
    member_ids: list[int]
    users: list[tuple[int, int]]  # (user id, member id)


def pool_world(members: int, codes: tuple[str, ...] = ("AAA", "BBB", "CCC")) -> PoolWorld:
    """An open pool of the consortia in `codes` (national for several) with one pledge from each of `members`."""
    admin = people.save_user({"email": "admin@bench.example", "name": "A", "password": PASSWORD})
    people.grant_role(admin, Role.ADMIN)
    consortia, networks = add_consortia(codes)
    supplier = people.save_supplier(ADDRESS | {"legal_name": "Bench Supplies"})
    offer = add_offer(supplier, [(1000, "3.85"), (20000, "3.49")])
    pool = services.create_pool(
        admin,
        offer,
        consortia,
        services.PoolTerms(
            deadline=utcnow() + timedelta(days=1),
            delivery_charge_pence=DELIVERY_CHARGE_PENCE,
            solidarity_rate_percent=SOLIDARITY_RATE_PERCENT,
        ),
    )
    services.open_pool(admin, pool)
    member_ids = add_members([n.id for n in networks], members)
    users = add_users(member_ids)
    now = utcnow()
    quantities = [1 + (n * 7) % 23 for n in range(members)]
    extras = [(n * 3) % 4 for n in range(members)]
    bulk(
        Pledge,
        [
            {
                "pool_id": pool.id,
                "member_id": member_id,
                "quantity": quantities[n],
                "flexible_extra": extras[n],
                "created_at": now + timedelta(microseconds=n),
                "updated_at": now,
            }
            for n, member_id in enumerate(member_ids)
        ],
    )
    pool.pledged_quantity, pool.pledged_flexible, pool.member_count = sum(quantities), sum(extras), members
    db.session.flush()
    count_band_totals_again(db.session.connection(), [pool.id])
    db.session.commit()
    return PoolWorld(pool.id, admin.id, member_ids, users)


def add_pledges(pool_ids: list[int], member_ids: list[int]) -> int:
    """One pledge from each member into each open pool, with the pools' running totals to match; how many."""
    from orders.models import Pool

    now = utcnow()
    quantities = [1 + (n * 7) % 23 for n in range(len(member_ids))]
    written = 0
    for pool_id in pool_ids:
        written += bulk(
            Pledge,
            [
                {
                    "pool_id": pool_id,
                    "member_id": member_id,
                    "quantity": quantities[n],
                    "flexible_extra": 0,
                    "created_at": now + timedelta(microseconds=n),
                    "updated_at": now,
                }
                for n, member_id in enumerate(member_ids)
            ],
        )
        pool = db.session.get(Pool, pool_id)
        pool.pledged_quantity += sum(quantities)
        pool.member_count += len(member_ids)
    db.session.flush()
    count_band_totals_again(db.session.connection(), pool_ids)
    return written


def add_participants(service_pool_ids: list[int], member_ids: list[int], user_id: int) -> int:
    """Each member taking part in each shared-service pool from its first period, with the join in its history."""
    from shared_services.models import Participation, ParticipationChange

    now = utcnow()
    written = 0
    for pool_id in service_pool_ids:
        first = next_id(Participation)
        written += bulk(
            Participation,
            [
                {
                    "id": first + n,
                    "service_pool_id": pool_id,
                    "member_id": m,
                    "units": 1,
                    "joined_from": 1,
                    "created_at": now,
                }
                for n, m in enumerate(member_ids)
            ],
        )
        bulk(
            ParticipationChange,
            [
                {
                    "participation_id": first + n,
                    "service_pool_id": pool_id,
                    "action": "join",
                    "changed_by_id": user_id,
                    "changed_at": now,
                    "new_units": 1,
                    "new_joined_from": 1,
                }
                for n in range(len(member_ids))
            ],
        )
    return written
