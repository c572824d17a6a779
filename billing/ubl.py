"""Invoices and credit notes as Peppol BIS Billing 3.0 UBL documents (EN 16931).

Everything comes from the document's stored snapshot (parties, lines, VAT analysis, totals),
so the XML agrees with the PDF and the page to the penny. Amounts are written from integer
pence; nothing is recomputed or rounded here.

Elements are written in the order the UBL 2.1 schema requires. Category codes: S (standard
and reduced rates), Z (zero-rated), E (exempt); a seller without a VAT number charges no VAT,
so its lines are O ("not subject to VAT"), which EN 16931 requires to carry no VAT numbers.

Both parties are addressed by Peppol participant identifiers (organisations.peppol); a document
that could not be addressed is refused with what to add, never produced invalid.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.models import CreditNote, DocumentLine, Invoice, IssuedInvoice, VatAnalysis
from catalogue.models import VatRate
from kernel.errors import Conflict
from kernel.formatting import uk_date
from kernel.money import quantize_price
from organisations.models import Organisation
from organisations.peppol import Participant, vat_participant

CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
CURRENCY = "GBP"
COUNTRY = "GB"
UNIT_CODE = "C62"  # "one": the unit of every line, whatever the offer's own unit
CREDIT_TRANSFER = "30"

INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
ET.register_namespace("cac", CAC)
ET.register_namespace("cbc", CBC)

EXEMPTION_REASONS = {"E": "Exempt from VAT", "O": "Not subject to VAT: the seller is not registered for VAT"}
UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.IGNORECASE)

Document = IssuedInvoice | CreditNote


@dataclass(frozen=True)
class PostalAddress:
    """A party's address snapshot ("line 1, line 2, city, postcode") taken apart again."""

    lines: list[str]
    city: str
    postcode: str


def postal_address(text: str) -> PostalAddress:
    """Split an address snapshot; the last part is the postcode when it looks like one, the one before the city."""
    parts = [part.strip() for part in re.split(r",|\n", text or "") if part.strip()]
    postcode = parts.pop() if parts and UK_POSTCODE.match(parts[-1]) else ""
    city = parts.pop() if len(parts) > 1 else ""
    return PostalAddress(parts, city, postcode)


def plain_price(value: Decimal) -> Decimal:
    """A unit price with two places, or four when it has fractions of a penny (prices are stored with four)."""
    four = quantize_price(value)
    two = four.quantize(Decimal("0.01"))
    return two if two == four else four


def amount(pence: int) -> str:
    """Integer pence as a two-place decimal string, without floats: 123456 -> "1234.56"."""
    whole, part = divmod(abs(pence), 100)
    return f"{'-' if pence < 0 else ''}{whole}.{part:02d}"


def invoice_ubl(invoice: Invoice) -> bytes:
    """The invoice as a UBL 2.1 Invoice (type 380) in UTF-8."""
    consortium = invoice.consortium
    return issued_invoice_ubl(invoice, consortium.name, consortium.organisation, invoice.member.organisation)


def issued_invoice_ubl(invoice: IssuedInvoice, seller_label: str, seller: Organisation, buyer: Organisation) -> bytes:
    """Any issued invoice as UBL, its parties addressed through the organisations that issued and received it
    (trading's invoices are issued by a member, not the consortium)."""
    root = _root("Invoice", INVOICE_NS)
    _header(root, invoice)
    _text(root, "cbc:DueDate", invoice.due_date.isoformat())
    _text(root, "cbc:InvoiceTypeCode", "380")
    _text(root, "cbc:TaxPointDate", invoice.supply_date.isoformat())
    _text(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _text(root, "cbc:BuyerReference", invoice.reference)
    _parties(root, invoice, seller_label, seller, buyer)
    _delivery(root, invoice.supply_date)
    _payment_means(root, invoice)
    terms = _sub(root, "cac:PaymentTerms")
    _text(terms, "cbc:Note", f"Payment by bank transfer by {uk_date(invoice.due_date)}, quoting {invoice.number}.")
    _totals(root, invoice)
    for line in invoice.lines:
        _line(root, "cac:InvoiceLine", "cbc:InvoicedQuantity", line, invoice)
    return _serialise(root)


def credit_note_ubl(credit_note: CreditNote) -> bytes:
    """The credit note as a UBL 2.1 CreditNote (type 381) referring to the invoice it corrects."""
    invoice = credit_note.invoice
    root = _root("CreditNote", CREDIT_NOTE_NS)
    _header(root, credit_note)
    _text(root, "cbc:CreditNoteTypeCode", "381")
    _text(root, "cbc:Note", credit_note.reason)
    _text(root, "cbc:DocumentCurrencyCode", CURRENCY)
    _text(root, "cbc:BuyerReference", invoice.reference)
    reference = _sub(_sub(root, "cac:BillingReference"), "cac:InvoiceDocumentReference")
    _text(reference, "cbc:ID", invoice.number)
    _text(reference, "cbc:IssueDate", invoice.issue_date.isoformat())
    _parties(root, credit_note, invoice.consortium.name, invoice.consortium.organisation, invoice.member.organisation)
    _delivery(root, invoice.supply_date)
    terms = _sub(root, "cac:PaymentTerms")
    _text(terms, "cbc:Note", f"Credited against invoice {invoice.number} dated {uk_date(invoice.issue_date)}.")
    _totals(root, credit_note)
    for line in credit_note.lines:
        _line(root, "cac:CreditNoteLine", "cbc:CreditedQuantity", line, credit_note)
    return _serialise(root)


# Building blocks


def _root(name: str, namespace: str) -> ET.Element:
    """The document element in the default namespace, as Peppol's examples write it; only it lives there."""
    return ET.Element(name, xmlns=namespace)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    prefix, name = tag.split(":")
    return ET.SubElement(parent, f"{{{CAC if prefix == 'cac' else CBC}}}{name}", attributes)


def _text(parent: ET.Element, tag: str, value: str, **attributes: str) -> ET.Element:
    element = _sub(parent, tag, **attributes)
    element.text = value
    return element


def _money(parent: ET.Element, tag: str, pence: int) -> None:
    _text(parent, tag, amount(pence), currencyID=CURRENCY)


def _serialise(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _header(root: ET.Element, document: Document) -> None:
    _text(root, "cbc:CustomizationID", CUSTOMIZATION_ID)
    _text(root, "cbc:ProfileID", PROFILE_ID)
    _text(root, "cbc:ID", document.number)
    _text(root, "cbc:IssueDate", document.issue_date.isoformat())


def _outside_vat(document: Document) -> bool:
    """A seller without a VAT number charges none: its supplies are outside the scope of VAT (category O)."""
    return not document.seller_vat_number and document.vat_pence == 0


def _parties(
    root: ET.Element, document: Document, seller_label: str, consortium: Organisation, member: Organisation
) -> None:
    """`consortium` is the issuing organisation (a selling member's, for trading), `member` the receiving one."""
    outside = _outside_vat(document)
    seller_vat = None if outside else document.seller_vat_number
    buyer_vat = None if outside else document.buyer_vat_number
    seller_address = _peppol_address(seller_label, consortium, document.seller_vat_number)
    buyer_address = _peppol_address(member.legal_name, member, document.buyer_vat_number)
    seller = _sub(_sub(root, "cac:AccountingSupplierParty"), "cac:Party")
    _party(seller, document.seller_name, document.seller_address, seller_vat, seller_address, identified=True)
    _legal_entity(seller, document.seller_name, consortium.company_number)
    buyer = _sub(_sub(root, "cac:AccountingCustomerParty"), "cac:Party")
    _party(buyer, document.buyer_name, document.buyer_address, buyer_vat, buyer_address, identified=False)
    _legal_entity(buyer, document.buyer_name, member.company_number)
    _text(_sub(buyer, "cac:Contact"), "cbc:ElectronicMail", document.buyer_email)


def _peppol_address(name: str, organisation: Organisation, vat_number: str | None) -> Participant:
    """Where the party receives Peppol documents: its Peppol ID, else its VAT number (scheme 9932), or a refusal.

    Peppol requires both parties' electronic addresses (PEPPOL-EN16931-R010, R020) from its own
    scheme list (CL008), so e-mail will not do. The address is read from the organisation as it is
    now, not from the document's snapshot: adding one to the profile makes earlier documents valid.
    """
    address = organisation.peppol_participant or vat_participant(vat_number)
    if address is None:
        raise Conflict(
            f"This document cannot be a valid Peppol document: add a Peppol ID or VAT number to {name}'s profile."
        )
    return address


def _party(
    party: ET.Element, name: str, address_text: str, vat_number: str | None, endpoint: Participant, identified: bool
) -> None:
    """EndpointID, the seller's identifier, name, address and VAT number, in the schema's order.

    The seller is identified (BT-29) by its Peppol address, so EN 16931's BR-CO-26 holds even for a
    seller without a VAT number; the scheme is named only when it is an ISO 6523 code (BR-CL-10).
    """
    _text(party, "cbc:EndpointID", endpoint.identifier, schemeID=endpoint.scheme)
    if identified:
        named = {"schemeID": endpoint.scheme} if endpoint.is_registry_code else {}
        _text(_sub(party, "cac:PartyIdentification"), "cbc:ID", endpoint.identifier, **named)
    _text(_sub(party, "cac:PartyName"), "cbc:Name", name)
    address = postal_address(address_text)
    postal = _sub(party, "cac:PostalAddress")
    if address.lines:
        _text(postal, "cbc:StreetName", address.lines[0])
    if len(address.lines) > 1:
        _text(postal, "cbc:AdditionalStreetName", ", ".join(address.lines[1:]))
    if address.city:
        _text(postal, "cbc:CityName", address.city)
    if address.postcode:
        _text(postal, "cbc:PostalZone", address.postcode)
    _text(_sub(postal, "cac:Country"), "cbc:IdentificationCode", COUNTRY)
    if vat_number:
        scheme = _sub(party, "cac:PartyTaxScheme")
        _text(scheme, "cbc:CompanyID", vat_number)
        _text(_sub(scheme, "cac:TaxScheme"), "cbc:ID", "VAT")


def _legal_entity(party: ET.Element, name: str, company_number: str | None) -> None:
    """The legal name and, when the organisation gave one, its company or charity number (BT-30, BT-47)."""
    entity = _sub(party, "cac:PartyLegalEntity")
    _text(entity, "cbc:RegistrationName", name)
    if company_number:
        _text(entity, "cbc:CompanyID", company_number)


def _delivery(root: ET.Element, supply_date: date) -> None:
    _text(_sub(root, "cac:Delivery"), "cbc:ActualDeliveryDate", supply_date.isoformat())


def _category(rate: VatRate, outside: bool) -> tuple[str, Decimal | None]:
    """The UNCL5305 category code and the percentage it carries (none for O)."""
    if outside:
        return "O", None
    code = {VatRate.STANDARD: "S", VatRate.REDUCED: "S", VatRate.ZERO: "Z", VatRate.EXEMPT: "E"}[rate]
    return code, rate.percent


def _tax_category(parent: ET.Element, tag: str, code: str, percent: Decimal | None, reason: bool) -> None:
    category = _sub(parent, tag)
    _text(category, "cbc:ID", code)
    if percent is not None:
        _text(category, "cbc:Percent", str(percent))
    if reason and code in EXEMPTION_REASONS:
        _text(category, "cbc:TaxExemptionReason", EXEMPTION_REASONS[code])
    _text(_sub(category, "cac:TaxScheme"), "cbc:ID", "VAT")


def _payment_means(root: ET.Element, invoice: IssuedInvoice) -> None:
    """Credit transfer to the consortium's account, quoting the invoice number.

    Peppol (BR-61) refuses a credit transfer without the payee's account, so without one the
    payment instructions are left to the payment terms' note. A UK account is identified as
    sort code and account number together (14 digits), its branch by the sort code.
    """
    sort_code, account_number = invoice.seller_sort_code, invoice.seller_account_number
    if not invoice.has_seller_bank_account or sort_code is None or account_number is None:
        return
    means = _sub(root, "cac:PaymentMeans")
    _text(means, "cbc:PaymentMeansCode", CREDIT_TRANSFER, name="Credit transfer")
    _text(means, "cbc:PaymentID", invoice.number)
    account = _sub(means, "cac:PayeeFinancialAccount")
    _text(account, "cbc:ID", sort_code + account_number)
    if invoice.seller_bank_account_name:
        _text(account, "cbc:Name", invoice.seller_bank_account_name)
    _text(_sub(account, "cac:FinancialInstitutionBranch"), "cbc:ID", sort_code)


def _totals(root: ET.Element, document: Document) -> None:
    """TaxTotal with one subtotal per category and rate, then the monetary totals, all as stored."""
    outside = _outside_vat(document)
    subtotals: dict[tuple[str, Decimal | None], list[int]] = {}
    for vat_line in sorted(document.vat_lines, key=_rate_order):
        sums = subtotals.setdefault(_category(vat_line.vat_rate, outside), [0, 0])
        sums[0] += vat_line.net_pence
        sums[1] += vat_line.vat_pence
    tax_total = _sub(root, "cac:TaxTotal")
    _money(tax_total, "cbc:TaxAmount", document.vat_pence)
    for (code, percent), (net, vat) in subtotals.items():
        subtotal = _sub(tax_total, "cac:TaxSubtotal")
        _money(subtotal, "cbc:TaxableAmount", net)
        _money(subtotal, "cbc:TaxAmount", vat)
        _tax_category(subtotal, "cac:TaxCategory", code, percent, reason=True)
    monetary = _sub(root, "cac:LegalMonetaryTotal")
    _money(monetary, "cbc:LineExtensionAmount", document.net_pence)
    _money(monetary, "cbc:TaxExclusiveAmount", document.net_pence)
    _money(monetary, "cbc:TaxInclusiveAmount", document.total_pence)
    _money(monetary, "cbc:PayableAmount", document.total_pence)


def _rate_order(vat_line: VatAnalysis) -> int:
    return list(VatRate).index(vat_line.vat_rate)


def _line(root: ET.Element, tag: str, quantity_tag: str, line: DocumentLine, document: Document) -> None:
    """One line; a discount (negative unit price) is a negative quantity, since prices may not be negative, and a
    price credit (a rebate share: no units come back) is one unit at its net amount (EN 16931's BR-120 sum)."""
    quantity, unit_price = line.quantity, line.unit_price
    if quantity == 0:
        quantity, unit_price = 1, Decimal(line.net_pence) / 100
    if unit_price < 0:
        quantity, unit_price = -quantity, -unit_price
    element = _sub(root, tag)
    _text(element, "cbc:ID", str(line.position))
    _text(element, quantity_tag, str(quantity), unitCode=UNIT_CODE)
    _money(element, "cbc:LineExtensionAmount", line.net_pence)
    item = _sub(element, "cac:Item")
    _text(item, "cbc:Name", line.description)
    code, percent = _category(line.vat_rate, _outside_vat(document))
    _tax_category(item, "cac:ClassifiedTaxCategory", code, percent, reason=False)
    _text(_sub(element, "cac:Price"), "cbc:PriceAmount", str(plain_price(unit_price)), currencyID=CURRENCY)
