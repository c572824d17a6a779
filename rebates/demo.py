"""Demo rebate: the demo supplier's year with Tayside, claimed at its end, received and shared by credit note.

It runs after the histories, so its credit notes, issued today, follow every earlier one in each
consortium's number series.
"""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from kernel.clock import uk_today
from kernel.extensions import db
from organisations.demo import DEMO_SUPPLIER
from organisations.models import Consortium, Organisation, Supplier, User
from rebates import services
from rebates.calculation import Basis, Method, Tier
from rebates.models import RebateAgreement, ShareRoute

TIERS = [Tier(0, Decimal("1")), Tier(500_000, Decimal("2")), Tier(2_000_000, Decimal("3"))]


def seed() -> None:
    """Idempotent: does nothing once the demo supplier has a rebate agreement."""
    today = uk_today()
    period_end = today.replace(day=1) - timedelta(days=1)
    period_start = date(period_end.year - 1, period_end.month, 1) + timedelta(days=31)
    period_start = period_start.replace(day=1)
    secretary = db.session.scalars(select(User).where(User.email == "secretary@example.org")).one()
    tayside = db.session.scalars(select(Consortium).where(Consortium.name == "Tayside")).one()
    supplier = db.session.scalars(
        select(Supplier).join(Organisation).where(Organisation.legal_name == DEMO_SUPPLIER)
    ).one()
    if db.session.scalar(select(RebateAgreement.id).where(RebateAgreement.supplier_id == supplier.id)) is not None:
        return
    agreement = services.create_agreement(
        secretary,
        services.AgreementTerms(
            name=f"{DEMO_SUPPLIER} volume rebate {period_start.year}–{period_end.year}",
            supplier_id=supplier.id,
            basis=Basis.SPEND,
            method=Method.RETROSPECTIVE,
            period_start=period_start,
            period_end=period_end,
            tiers=TIERS,
            share_route=ShareRoute.CREDIT_NOTE,
            consortium_id=tayside.id,
            retention_percent=Decimal("10"),
            retention_note="Agreed by the members at the Tayside annual meeting",
        ),
    )
    services.claim(agreement.id, today)
    if agreement.rebate_pence:
        services.record_received(secretary, agreement, agreement.rebate_pence, today, f"BACS REBATE {agreement.id}")
        services.share(secretary, agreement)
    db.session.flush()
