"""Peppol BIS Billing 3.0 UBL documents: IDs, parties, VAT breakdown and totals as stored, to the penny."""

import html
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.models import CreditNote, Invoice
from billing.ubl import CUSTOMIZATION_ID, PROFILE_ID, amount, credit_note_ubl, invoice_ubl, postal_address
from kernel.errors import Conflict
from kernel.extensions import db
from tests.billing import documents
from tests.billing.conftest import issued_invoice
from tests.factories import api_token, organisation_form, sign_in

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cn": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CODES = {"standard": ("S", "20"), "reduced": ("S", "5"), "zero": ("Z", "0"), "exempt": ("E", "0")}


def parse(xml: bytes) -> ET.Element:
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    return ET.fromstring(xml)


def pounds(pence: int) -> Decimal:
    return Decimal(pence) / 100


def money(root: ET.Element, path: str) -> Decimal:
    element = root.find(path, NS)
    assert element.get("currencyID") == "GBP"
    return Decimal(element.text)


def subtotals(root: ET.Element) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    found = {}
    for subtotal in root.findall("cac:TaxTotal/cac:TaxSubtotal", NS):
        key = (
            subtotal.findtext("cac:TaxCategory/cbc:ID", namespaces=NS),
            subtotal.findtext("cac:TaxCategory/cbc:Percent", namespaces=NS),
        )
        found[key] = (money(subtotal, "cbc:TaxableAmount"), money(subtotal, "cbc:TaxAmount"))
    return found


def assert_totals_as_stored(root: ET.Element, document, line_path: str) -> None:
    assert money(root, "cac:TaxTotal/cbc:TaxAmount") == pounds(document.vat_pence)
    assert money(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount") == pounds(document.net_pence)
    assert money(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount") == pounds(document.net_pence)
    assert money(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount") == pounds(document.total_pence)
    assert money(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == pounds(document.total_pence)
    lines = root.findall(line_path, NS)
    assert sum(money(line, "cbc:LineExtensionAmount") for line in lines) == pounds(document.net_pence)
    assert subtotals(root) == {
        CODES[vat.vat_rate.value]: (pounds(vat.net_pence), pounds(vat.vat_pence)) for vat in document.vat_lines
    }


def test_an_invoice_is_a_peppol_invoice_with_the_stored_totals():
    invoice = documents.invoice()
    root = parse(invoice_ubl(invoice))

    assert root.tag == f"{{{NS['inv']}}}Invoice"
    assert root.findtext("cbc:CustomizationID", namespaces=NS) == CUSTOMIZATION_ID
    assert root.findtext("cbc:ProfileID", namespaces=NS) == PROFILE_ID
    assert root.findtext("cbc:ID", namespaces=NS) == "TAY-2026-000123"
    assert root.findtext("cbc:IssueDate", namespaces=NS) == "2026-03-02"
    assert root.findtext("cbc:DueDate", namespaces=NS) == "2026-04-01"
    assert root.findtext("cbc:InvoiceTypeCode", namespaces=NS) == "380"
    assert root.findtext("cbc:DocumentCurrencyCode", namespaces=NS) == "GBP"
    assert root.findtext("cbc:BuyerReference", namespaces=NS) == "TAY-PO-2026-000007"
    assert root.findtext("cac:Delivery/cbc:ActualDeliveryDate", namespaces=NS) == "2026-02-27"
    assert root.findtext("cac:PaymentMeans/cbc:PaymentMeansCode", namespaces=NS) == "30"
    assert root.findtext("cac:PaymentMeans/cbc:PaymentID", namespaces=NS) == "TAY-2026-000123"
    assert_totals_as_stored(root, invoice, "cac:InvoiceLine")
    assert money(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == Decimal("591.33")


def test_exempt_categories_give_a_reason_and_rates_their_percentages():
    root = parse(invoice_ubl(documents.invoice()))
    categories = {
        c.findtext("cbc:ID", namespaces=NS): c for c in root.findall(".//cac:TaxSubtotal/cac:TaxCategory", NS)
    }

    assert categories.keys() == {"S", "Z", "E"}
    assert categories["E"].findtext("cbc:TaxExemptionReason", namespaces=NS)
    assert all(c.findtext("cac:TaxScheme/cbc:ID", namespaces=NS) == "VAT" for c in categories.values())


def test_invoice_lines_carry_quantity_unit_price_and_tax_category():
    invoice = documents.invoice()
    lines = parse(invoice_ubl(invoice)).findall("cac:InvoiceLine", NS)

    assert len(lines) == len(invoice.lines)
    for element, line in zip(lines, invoice.lines, strict=True):
        quantity = element.find("cbc:InvoicedQuantity", NS)
        assert quantity.get("unitCode") == "C62"
        price = Decimal(element.findtext("cac:Price/cbc:PriceAmount", namespaces=NS))
        assert price >= 0
        assert int(quantity.text) * price == line.quantity * line.unit_price
        assert money(element, "cbc:LineExtensionAmount") == pounds(line.net_pence)
        assert abs(int(quantity.text) * price - pounds(line.net_pence)) <= Decimal("0.01")
        assert element.findtext("cac:Item/cbc:Name", namespaces=NS) == line.description
        code, percent = CODES[line.vat_rate.value]
        assert element.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", namespaces=NS) == code
        assert element.findtext("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", namespaces=NS) == percent
    prices = [element.findtext("cac:Price/cbc:PriceAmount", namespaces=NS) for element in lines]
    assert "0.2175" in prices and "3.1575" in prices and "4.99" in prices
    discount = lines[-1]
    assert discount.findtext("cbc:InvoicedQuantity", namespaces=NS) == "-1"
    assert discount.findtext("cbc:LineExtensionAmount", namespaces=NS) == "-1.23"


def test_parties_have_names_addresses_and_vat_numbers_where_registered():
    root = parse(invoice_ubl(documents.invoice(buyer=documents.UNREGISTERED_BUYER)))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", NS)

    assert seller.findtext("cac:PartyName/cbc:Name", namespaces=NS) == "Tayside Social Enterprise Consortium Ltd"
    assert (
        seller.findtext("cac:PartyLegalEntity/cbc:RegistrationName", namespaces=NS)
        == "Tayside Social Enterprise Consortium Ltd"
    )
    assert seller.findtext("cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS) == "GB284719365"
    assert seller.findtext("cac:PostalAddress/cbc:CityName", namespaces=NS) == "Dundee"
    assert seller.findtext("cac:PostalAddress/cbc:PostalZone", namespaces=NS) == "DD1 4HN"
    assert seller.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=NS) == "GB"
    assert (seller.find("cbc:EndpointID", NS).get("schemeID"), seller.findtext("cbc:EndpointID", namespaces=NS)) == (
        "9932",
        "GB284719365",
    )
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "SC612345"
    assert buyer.findtext("cac:PartyName/cbc:Name", namespaces=NS) == "Broughty Ferry Men’s Shed"
    assert buyer.find("cac:PartyTaxScheme", NS) is None
    assert buyer.findtext("cac:PostalAddress/cbc:StreetName", namespaces=NS) == "7 Gray Street"
    assert buyer.findtext("cac:PostalAddress/cbc:CityName", namespaces=NS) == "Broughty Ferry"
    assert buyer.findtext("cac:PostalAddress/cac:Country/cbc:IdentificationCode", namespaces=NS) == "GB"
    assert (buyer.find("cbc:EndpointID", NS).get("schemeID"), buyer.findtext("cbc:EndpointID", namespaces=NS)) == (
        "0088",
        "5012345678900",
    )
    assert buyer.findtext("cac:Contact/cbc:ElectronicMail", namespaces=NS) == "shed@broughty.example.org"


def test_a_registered_buyer_shows_its_vat_number():
    root = parse(invoice_ubl(documents.invoice()))

    assert (
        root.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS)
        == "GB123456789"
    )


def test_an_unregistered_consortium_invoices_outside_the_scope_of_vat():
    invoice = documents.unregistered_seller_invoice()
    root = parse(invoice_ubl(invoice))

    assert subtotals(root) == {("O", None): (pounds(invoice.net_pence), Decimal("0.00"))}
    assert root.find(".//cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReason", NS) is not None
    assert root.findall(".//cac:PartyTaxScheme", NS) == []
    assert {c.text for c in root.findall(".//cac:ClassifiedTaxCategory/cbc:ID", NS)} == {"O"}
    assert money(root, "cac:LegalMonetaryTotal/cbc:PayableAmount") == pounds(invoice.total_pence)


def test_a_credit_note_references_the_invoice_it_corrects():
    invoice = documents.invoice()
    note = documents.credit_note(invoice)
    root = parse(credit_note_ubl(note))

    assert root.tag == f"{{{NS['cn']}}}CreditNote"
    assert root.findtext("cbc:ID", namespaces=NS) == "TAY-CN-2026-000004"
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=NS) == "381"
    assert root.findtext("cbc:Note", namespaces=NS) == "Short delivery: 10 reams did not arrive"
    reference = root.find("cac:BillingReference/cac:InvoiceDocumentReference", NS)
    assert reference.findtext("cbc:ID", namespaces=NS) == "TAY-2026-000123"
    assert reference.findtext("cbc:IssueDate", namespaces=NS) == "2026-03-02"
    assert_totals_as_stored(root, note, "cac:CreditNoteLine")
    assert [
        line.findtext("cbc:CreditedQuantity", namespaces=NS) for line in root.findall("cac:CreditNoteLine", NS)
    ] == ["10", "1"]


def test_an_invoice_read_back_from_the_database_gives_the_same_document(world):
    invoice = documents.invoice()
    invoice.consortium, invoice.member = world.consortium, world.member
    note = documents.credit_note(invoice)
    note.consortium_id, note.member_id = world.consortium.id, world.member.id
    expected_invoice, expected_note = invoice_ubl(invoice), credit_note_ubl(note)
    db.session.add_all([invoice, note])
    db.session.commit()
    invoice_id, note_id = invoice.id, note.id
    db.session.expunge_all()

    assert invoice_ubl(db.session.get(Invoice, invoice_id)) == expected_invoice
    assert credit_note_ubl(db.session.get(CreditNote, note_id)) == expected_note


def test_addresses_are_taken_apart_into_street_city_and_postcode():
    address = postal_address("Unit 4, 12 Dock Street, Dundee, DD1 4HN")

    assert (address.lines, address.city, address.postcode) == (["Unit 4", "12 Dock Street"], "Dundee", "DD1 4HN")
    assert postal_address("1 High Street, Dundee").postcode == ""
    assert postal_address("").lines == []


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_amounts_are_exact_two_place_decimals(pence):
    text = amount(pence)

    assert Decimal(text) * 100 == pence
    assert len(text.split(".")[1]) == 2


def test_a_credit_transfer_names_the_payees_uk_account():
    root = parse(invoice_ubl(documents.invoice()))
    means = root.findall("cac:PaymentMeans", NS)

    assert len(means) == 1
    assert [child.tag.split("}")[1] for child in means[0]] == ["PaymentMeansCode", "PaymentID", "PayeeFinancialAccount"]
    account = means[0].find("cac:PayeeFinancialAccount", NS)
    assert [child.tag.split("}")[1] for child in account] == ["ID", "Name", "FinancialInstitutionBranch"]
    assert account.findtext("cbc:ID", namespaces=NS) == "83449110234567"
    assert account.findtext("cbc:Name", namespaces=NS) == "Tayside SE Consortium Ltd"
    assert account.findtext("cac:FinancialInstitutionBranch/cbc:ID", namespaces=NS) == "834491"
    following = [child.tag.split("}")[1] for child in root]
    assert following.index("PaymentMeans") == following.index("Delivery") + 1
    assert following.index("PaymentTerms") == following.index("PaymentMeans") + 1


def test_without_the_payees_account_no_credit_transfer_is_claimed():
    """Peppol BR-61: a credit transfer (code 30) must name the account; the payment terms still say how to pay."""
    invoice = documents.invoice(seller=documents.SELLER | documents.NO_BANK_ACCOUNT)
    root = parse(invoice_ubl(invoice))

    assert root.find("cac:PaymentMeans", NS) is None
    assert "bank transfer" in root.findtext("cac:PaymentTerms/cbc:Note", namespaces=NS)
    assert_totals_as_stored(root, invoice, "cac:InvoiceLine")


def endpoint(root: ET.Element, party: str) -> tuple[str, str]:
    element = root.find(f"cac:{party}/cac:Party/cbc:EndpointID", NS)
    return element.get("schemeID"), element.text


def test_a_peppol_id_addresses_the_party_before_its_vat_number():
    invoice = documents.invoice()
    invoice.member.organisation.peppol_scheme, invoice.member.organisation.peppol_id = "0088", "5030000000019"
    root = parse(invoice_ubl(invoice))

    assert endpoint(root, "AccountingCustomerParty") == ("0088", "5030000000019")
    assert endpoint(root, "AccountingSupplierParty") == ("9932", "GB284719365")
    assert (
        root.findtext("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID", namespaces=NS)
        == "GB123456789"
    )


def test_a_consortium_without_a_vat_number_is_identified_by_its_peppol_id():
    """BR-CO-26: the seller carries an identifier; a GLN is an ISO 6523 scheme, so it is named (BR-CL-10)."""
    root = parse(invoice_ubl(documents.unregistered_seller_invoice()))
    seller = root.find("cac:AccountingSupplierParty/cac:Party", NS)

    assert endpoint(root, "AccountingSupplierParty") == ("0088", "5060123450002")
    identifier = seller.find("cac:PartyIdentification/cbc:ID", NS)
    assert (identifier.get("schemeID"), identifier.text) == ("0088", "5060123450002")
    assert seller.findtext("cac:PartyLegalEntity/cbc:CompanyID", namespaces=NS) == "SC623456"
    assert seller.find("cac:PartyTaxScheme", NS) is None


def test_no_document_is_addressed_by_e_mail():
    for xml in (
        invoice_ubl(documents.invoice(buyer=documents.UNREGISTERED_BUYER)),
        invoice_ubl(documents.unregistered_seller_invoice()),
        credit_note_ubl(documents.credit_note(documents.invoice())),
    ):
        assert {e.get("schemeID") for e in parse(xml).iter(f"{{{NS['cbc']}}}EndpointID")} <= {"9932", "0088"}


def test_a_buyer_with_neither_peppol_id_nor_vat_number_gets_no_document_but_what_to_add():
    invoice = documents.invoice(buyer=documents.UNREGISTERED_BUYER)
    invoice.member.organisation.peppol_scheme = invoice.member.organisation.peppol_id = None

    with pytest.raises(Conflict) as refused:
        invoice_ubl(invoice)

    assert refused.value.message == (
        "This document cannot be a valid Peppol document: "
        "add a Peppol ID or VAT number to Broughty Ferry Men’s Shed's profile."
    )


def test_a_consortium_with_neither_gets_no_document_but_what_to_add():
    invoice = documents.unregistered_seller_invoice()
    invoice.consortium.organisation.peppol_scheme = invoice.consortium.organisation.peppol_id = None

    with pytest.raises(Conflict, match="add a Peppol ID or VAT number to Lothians Community Consortium's profile"):
        invoice_ubl(invoice)
    with pytest.raises(Conflict, match="Lothians Community Consortium's profile"):
        credit_note_ubl(documents.credit_note(invoice))


def test_adding_a_peppol_id_to_the_profile_makes_an_earlier_document_downloadable(client, world):
    """The address is read from the organisation as it is now: the refusal is mended on the profile."""
    invoice = issued_invoice(world.member)
    world.member.organisation.peppol_scheme = world.member.organisation.peppol_id = None
    db.session.commit()
    sign_in(client, world.member_user)

    page = client.get(f"/invoices/{invoice.id}.xml")
    api = client.get(f"/api/v1/invoices/{invoice.id}.xml", headers=api_token(world.member_user))

    message = f"add a Peppol ID or VAT number to {world.member.name}'s profile"
    assert page.status_code == 409 and message in html.unescape(page.get_data(as_text=True))
    assert api.status_code == 409 and message in api.json["error"]["message"]

    profile = client.post(
        f"/members/{world.member.id}/profile",
        data=organisation_form(world.member.name, peppol_scheme="9932", peppol_id="gb 302 3456 78", billing_email=""),
    )
    assert profile.status_code == 302

    xml = client.get(f"/invoices/{invoice.id}.xml")
    assert xml.status_code == 200
    assert endpoint(parse(xml.data), "AccountingCustomerParty") == ("9932", "GB302345678")
