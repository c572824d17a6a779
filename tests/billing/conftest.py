"""Billing fixtures: issued invoices written straight through the models, for payment tests."""

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from billing.models import Invoice, InvoiceLine, InvoiceStatus, InvoiceVat, LineKind
from catalogue.models import VatRate
from kernel.extensions import db
from organisations.models import Member

_numbers = itertools.count(1)


def issued_invoice(
    member: Member, net_pence: int = 10_000, vat_pence: int = 2_000, issue_date: date = date(2026, 3, 2)
) -> Invoice:
    """An issued, unpaid invoice of one standard-rated line, committed."""
    organisation = member.network.consortium.organisation
    invoice = Invoice(
        number=f"TEST-{next(_numbers):06d}",
        consortium_id=member.consortium_id,
        member_id=member.id,
        status=InvoiceStatus.ISSUED,
        issue_date=issue_date,
        supply_date=issue_date,
        due_date=issue_date + timedelta(days=30),
        reference="Stationery pool",
        net_pence=net_pence,
        vat_pence=vat_pence,
        total_pence=net_pence + vat_pence,
        seller_name=organisation.legal_name,
        seller_address="1 High Street, Dundee, DD1 1AA",
        seller_vat_number=None,
        buyer_name=member.name,
        buyer_address="1 High Street, Dundee, DD1 1AA",
        buyer_vat_number=None,
        buyer_email=member.organisation.contact_email,
        lines=[
            InvoiceLine(
                position=1,
                kind=LineKind.GOODS,
                description="Copier paper, ream",
                quantity=1,
                unit_price=Decimal(net_pence).scaleb(-2),
                vat_rate=VatRate.STANDARD,
                net_pence=net_pence,
            )
        ],
        vat_lines=[InvoiceVat(vat_rate=VatRate.STANDARD, net_pence=net_pence, vat_pence=vat_pence)],
    )
    db.session.add(invoice)
    db.session.commit()
    return invoice


@pytest.fixture
def invoice(world) -> Invoice:
    """£120.00 (£100 + £20 VAT) owed by our member to our consortium."""
    return issued_invoice(world.member)
