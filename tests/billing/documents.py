"""Invoices and credit notes built in memory, for the PDF, UBL and Xero export tests.

Mixed VAT rates (standard, reduced, zero, exempt), a unit price with fractions of a penny,
a solidarity discount line, and the VAT analysis computed as the issuing service does: per
rate on the summed net, rounded once. Each document names its consortium and member (not
saved), whose Peppol IDs and company numbers the UBL documents read.
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
from organisations.models import Consortium, Member, Organisation

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
# Peppol IDs and company numbers, by the party's name; an organisation with a VAT number may go without.
IDENTIFIERS = {
    "Tayside Social Enterprise Consortium Ltd": dict(company_number="SC612345"),
    "Lothians Community Consortium": dict(peppol_scheme="0088", peppol_id="5060123450002", company_number="SC623456"),
    "Broughty Ferry Men’s Shed": dict(peppol_scheme="0088", peppol_id="5012345678900"),
}

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
    seller, buyer = seller or SELLER, buyer or REGISTERED_BUYER
    return Invoice(
        number=number,
        consortium=consortium_of(seller),
        member=member_of(buyer),
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
        **seller,
        **buyer,
    )


def consortium_of(seller: dict) -> Consortium:
    """The consortium as it is now: its name and VAT number as printed, with its identifiers."""
    name = seller["seller_name"]
    organisation = Organisation(legal_name=name, vat_number=seller["seller_vat_number"], **IDENTIFIERS.get(name, {}))
    return Consortium(name=name.removesuffix(" Ltd"), organisation=organisation)


def member_of(buyer: dict) -> Member:
    name = buyer["buyer_name"]
    organisation = Organisation(legal_name=name, vat_number=buyer["buyer_vat_number"], **IDENTIFIERS.get(name, {}))
    return Member(organisation=organisation)


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
