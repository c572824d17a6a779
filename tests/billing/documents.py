"""Invoices and credit notes built in memory, for the PDF, UBL and Xero export tests.

Mixed VAT rates (standard, reduced, zero, exempt), a unit price with fractions of a penny,
a solidarity discount line, and the VAT analysis computed as the issuing service does: per
rate on the summed net, rounded once.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from billing.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteVat,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVat,
    LineKind,
)
from catalogue.models import VatRate
from kernel.money import line_pence, vat_pence

SELLER = dict(
    seller_name="Tayside Social Enterprise Consortium Ltd",
    seller_address="Unit 4, 12 Dock Street, Dundee, DD1 4HN",
    seller_vat_number="GB284719365",
    seller_bank_account_name="Tayside SE Consortium Ltd",
    seller_sort_code="834491",
    seller_account_number="10234567",
)
NO_BANK_ACCOUNT = dict(seller_bank_account_name=None, seller_sort_code=None, seller_account_number=None)
REGISTERED_BUYER = dict(
    buyer_name="Dundee Community Print CIC",
    buyer_address="3 Perth Road, Dundee, DD1 4JT",
    buyer_vat_number="GB123456789",
    buyer_email="accounts@dundee-print.example.org",
)
UNREGISTERED_BUYER = dict(
    buyer_name="Broughty Ferry Men’s Shed",
    buyer_address="7 Gray Street, Broughty Ferry, DD5 2BH",
    buyer_vat_number=None,
    buyer_email="shed@broughty.example.org",
)

# (kind, description, quantity, unit price, rate)
MIXED_LINES = [
    (LineKind.GOODS, "Copier paper A4 80gsm, ream (TAY-PO-2026-000007)", 37, "3.1575", VatRate.STANDARD),
    (LineKind.DELIVERY, "Share of the delivery charge", 1, "4.99", VatRate.STANDARD),
    (LineKind.HANDLING_FEE, "Tayside consortium handling fee", 1, "2.50", VatRate.STANDARD),
    (LineKind.GOODS, "Electricity, kWh (TAY-PO-2026-000008)", 1234, "0.2175", VatRate.REDUCED),
    (LineKind.GOODS, "Children’s picture books (TAY-PO-2026-000009)", 12, "6.40", VatRate.ZERO),
    (LineKind.SERVICE, "Payroll bureau, March", 1, "85.00", VatRate.EXEMPT),
    (LineKind.SOLIDARITY, "Solidarity discount", 1, "-1.23", VatRate.STANDARD),
]


def _lines(line_class, specs) -> list:
    return [
        line_class(
            position=n,
            kind=kind,
            description=description,
            quantity=quantity,
            unit_price=Decimal(unit_price),
            vat_rate=rate,
            net_pence=line_pence(quantity, Decimal(unit_price)),
        )
        for n, (kind, description, quantity, unit_price, rate) in enumerate(specs, start=1)
    ]


def _analysis(vat_class, lines) -> list:
    nets: dict[VatRate, int] = defaultdict(int)
    for line in lines:
        nets[line.vat_rate] += line.net_pence
    return [
        vat_class(vat_rate=rate, net_pence=net, vat_pence=vat_pence(net, rate.percent)) for rate, net in nets.items()
    ]


def invoice(
    number: str = "TAY-2026-000123", buyer: dict | None = None, seller: dict | None = None, specs=MIXED_LINES
) -> Invoice:
    lines = _lines(InvoiceLine, specs)
    analysis = _analysis(InvoiceVat, lines)
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    return Invoice(
        number=number,
        status=InvoiceStatus.ISSUED,
        issue_date=date(2026, 3, 2),
        supply_date=date(2026, 2, 27),
        due_date=date(2026, 4, 1),
        reference="TAY-PO-2026-000007",
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        paid_pence=0,
        credited_pence=0,
        lines=lines,
        vat_lines=analysis,
        **(seller or SELLER),
        **(buyer or REGISTERED_BUYER),
    )


def unregistered_seller_invoice() -> Invoice:
    """A consortium without a VAT number charges none: every line exempt, VAT nil."""
    specs = [
        (kind, description, quantity, price, VatRate.EXEMPT) for kind, description, quantity, price, _ in MIXED_LINES
    ]
    return invoice(
        "LOT-2026-000009",
        buyer=UNREGISTERED_BUYER,
        seller=SELLER
        | dict(
            seller_name="Lothians Community Consortium",
            seller_address="5 Leith Walk, Edinburgh, EH6 8RA",
            seller_vat_number=None,
        ),
        specs=specs,
    )


def credit_note(original: Invoice) -> CreditNote:
    """A partial credit after a short delivery: 10 of the 37 reams, and the payroll line in full."""
    specs = [(*MIXED_LINES[0][:2], 10, *MIXED_LINES[0][3:]), MIXED_LINES[5]]
    lines = _lines(CreditNoteLine, specs)
    analysis = _analysis(CreditNoteVat, lines)
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    parties = {key: getattr(original, key) for key in (*SELLER, *REGISTERED_BUYER)}
    return CreditNote(
        number="TAY-CN-2026-000004",
        invoice=original,
        issue_date=date(2026, 3, 10),
        reason="Short delivery: 10 reams did not arrive",
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        lines=lines,
        vat_lines=analysis,
        **parties,
    )
