"""A live Tayside framework for marketing and print, with call-offs at every step from placed to invoiced."""

from decimal import Decimal

from sqlalchemy import select

from frameworks import services
from frameworks.models import Framework, Route
from frameworks.terms import LotTerms, add_months
from kernel.clock import uk_today
from kernel.extensions import db
from organisations.demo import DEMO_MEMBER, DEMO_SUPPLIER
from organisations.models import Consortium, Member, Network, Organisation, Role, RoleGrant, Supplier, User

LOTS = [
    LotTerms(
        "Marketing and PR support",
        "hour",
        "hours",
        [(1, Decimal("65.00")), (20, Decimal("58.50")), (50, Decimal("52.00"))],
    ),
    LotTerms("Printed leaflets, A5 full colour", "thousand", "thousands", [(1, Decimal("48.00"))]),
]


def seed() -> None:
    """Idempotent: does nothing once any framework exists."""
    if db.session.scalar(select(Framework.id).limit(1)) is not None:
        return
    secretary = db.session.scalar(select(User).where(User.email == "secretary@example.org"))
    tayside = db.session.scalar(select(Consortium).where(Consortium.code == "TAY"))
    if secretary is None or tayside is None:
        return
    suppliers = {
        s.name: s
        for s in db.session.scalars(
            select(Supplier)
            .join(Organisation)
            .where(Organisation.legal_name.in_(["Brightside Print & Design CIC", DEMO_SUPPLIER]))
        )
    }
    members = list(
        db.session.scalars(
            select(Member).join(Network).where(Network.consortium_id == tayside.id, Member.active).order_by(Member.id)
        )
    )
    ours = next(m for m in members if m.name == DEMO_MEMBER)
    others = [m for m in members if m is not ours][:3]
    today = uk_today()
    framework = services.create_framework(
        secretary,
        name="Tayside marketing and print services",
        consortium_ids=[tayside.id],
        supplier_ids=[s.id for s in suppliers.values()],
        lots=LOTS,
        starts_on=add_months(today, -4),
        ends_on=add_months(today, 8),
        extensions_allowed=1,
        extension_months=12,
        ceiling_pence=6_000_000,
        allowance_percent=Decimal("10"),
        fee_percent=Decimal("2"),
        route=Route.DIRECT_AWARD,
    )
    services.make_live(secretary, framework.id)
    hours, leaflets = framework.lots
    brightside = suppliers["Brightside Print & Design CIC"].id
    caledonian = suppliers[DEMO_SUPPLIER].id
    steps = [
        (others[0], hours, 24, brightside, 3),
        (ours, leaflets, 5, caledonian, 3),
        (others[1], hours, 60, brightside, 2),
        (others[2], leaflets, 2, caledonian, 1),
        (ours, hours, 8, brightside, 0),
    ]
    admin = db.session.scalar(select(User).where(User.email == "admin@example.org")) or secretary
    for member, lot, quantity, supplier_id, done in steps:
        call_off = services.place_call_off(
            secretary,
            framework_id=framework.id,
            lot_id=lot.id,
            member_id=member.id,
            quantity=quantity,
            supplier_id=supplier_id,
        )
        supplier_user = _supplier_user(supplier_id) or admin
        if done >= 1:
            services.confirm(supplier_user, call_off.id)
        if done >= 2:
            services.deliver(supplier_user, call_off.id)
        if done >= 3:
            services.invoice(None, call_off.id)
    db.session.flush()


def _supplier_user(supplier_id: int) -> User | None:
    """The supplier's first user: the demo's supplier@ for Caledonian; others may have none (an admin acts)."""
    return db.session.scalar(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.SUPPLIER, RoleGrant.supplier_id == supplier_id)
        .order_by(User.id)
        .limit(1)
    )
