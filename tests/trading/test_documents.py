"""A member's invoice to another member as PDF and as UBL: the UBL passes the EN 16931 and Peppol BIS rules the
billing tests run, for a VAT-registered seller and for one outside VAT."""

import pytest
from sqlalchemy import select

from billing.pdf import invoice_pdf
from billing.ubl import issued_invoice_ubl
from kernel.extensions import db
from tests.billing.test_peppol_rules import Rules
from tests.factories import sign_in
from tests.trading.conftest import book, delivered, room
from trading import services
from trading.models import TradeInvoice


@pytest.fixture(scope="module")
def rules() -> Rules:
    return Rules()


@pytest.mark.parametrize("seller_vat", [None, "GB999999973"])
def test_a_trade_invoice_is_a_valid_peppol_document_from_the_selling_member(traders, rules, seller_vat):
    traders.seller.organisation.vat_number = seller_vat
    listing, slots = room(traders)
    invoice = services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    xml = issued_invoice_ubl(invoice, traders.seller.name, traders.seller.organisation, traders.buyer.organisation)
    assert rules.fatal(xml) == []
    text = xml.decode()
    assert f"<cbc:ID>{invoice.number}</cbc:ID>" in text
    assert f"<cbc:RegistrationName>{traders.seller.organisation.legal_name}</cbc:RegistrationName>" in text
    assert f'<cbc:PayableAmount currencyID="GBP">{invoice.total_pence // 100}.{invoice.total_pence % 100:02d}' in text


def test_the_pdf_and_ubl_are_downloaded_by_the_two_members(app, traders):
    listing, slots = room(traders)
    services.issue_invoice(traders.seller_user, delivered(traders, book(traders, listing, slots[:1])))
    db.session.commit()
    invoice = db.session.scalars(select(TradeInvoice)).one()
    client = app.test_client()
    sign_in(client, traders.buyer_user)
    pdf = client.get(f"/trading/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and pdf.data == invoice_pdf(invoice)
    ubl = client.get(f"/trading/invoices/{invoice.id}.xml")
    assert ubl.status_code == 200 and invoice.number.encode() in ubl.data
