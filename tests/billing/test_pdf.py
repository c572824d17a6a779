"""Invoice and credit-note PDFs: everything HMRC asks for is printed, in the app's money format."""

import io
from datetime import date

from pypdf import PdfReader

from billing.pdf import credit_note_pdf, invoice_pdf
from kernel.formatting import pounds, price, uk_date
from tests.billing import documents


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_a_vat_invoice_prints_what_hmrc_requires():
    invoice = documents.invoice()
    text = text_of(invoice_pdf(invoice))

    assert "VAT INVOICE" in text
    for expected in (
        "TAY-2026-000123",
        "2 Mar 2026",
        "Time of supply (tax point) 27 Feb 2026",
        "1 Apr 2026",
        "TAY-PO-2026-000007",
        "Tayside Social Enterprise Consortium Ltd",
        "12 Dock Street",
        "DD1 4HN",
        "VAT registration number: GB284719365",
        "Dundee Community Print CIC",
        "3 Perth Road",
        "VAT number: GB123456789",
    ):
        assert expected in text
    for line in invoice.lines:
        assert f"{line.description} {line.quantity:,} {price(line.unit_price)}" in text
        assert pounds(line.net_pence) in text
    assert "£0.2175" in text and "-£1.23" in text
    for vat in invoice.vat_lines:
        assert f"{vat.vat_rate.label} {pounds(vat.net_pence)} {pounds(vat.vat_pence)}" in text
    assert "Net total £553.29" in text and "VAT £38.04" in text and "Total due £591.33" in text
    assert "bank transfer" in text and "quoting invoice number" in text


def test_zero_rated_and_exempt_supplies_are_shown_apart():
    text = text_of(invoice_pdf(documents.invoice()))

    assert "Zero-rated 0% £76.80 £0.00" in text
    assert "Exempt £85.00 £0.00" in text
    assert "0% (zero) £76.80" in text and "Exempt £85.00" in text


def test_a_buyer_without_a_vat_number_has_none_printed():
    text = text_of(invoice_pdf(documents.invoice(buyer=documents.UNREGISTERED_BUYER)))

    assert "Broughty Ferry Men’s Shed" in text
    assert "VAT number:" not in text
    assert "VAT registration number: GB284719365" in text


def test_a_consortium_without_a_vat_number_issues_a_plain_invoice():
    invoice = documents.unregistered_seller_invoice()
    text = text_of(invoice_pdf(invoice))

    assert "VAT INVOICE" not in text and "INVOICE" in text
    assert "VAT registration number" not in text
    assert f"Total due {pounds(invoice.total_pence)}" in text and invoice.vat_pence == 0


def test_a_credit_note_names_the_invoice_the_reason_and_the_vat_credited():
    invoice = documents.invoice()
    note = documents.credit_note(invoice)
    text = text_of(credit_note_pdf(note))

    assert "CREDIT NOTE" in text and "TAY-CN-2026-000004" in text
    assert f"Credit note for invoice TAY-2026-000123 dated {uk_date(date(2026, 3, 2))}" in text
    assert "Reason: Short delivery: 10 reams did not arrive" in text
    assert "Copier paper A4 80gsm, ream (TAY-PO-2026-000007) 10 £3.1575 20% £31.58" in text
    assert "Standard 20% £31.58 £6.32" in text
    assert "VAT credited £6.32" in text and "Total credited £122.90" in text
    assert note.total_pence == 12_290


def test_long_invoices_continue_over_pages_with_every_line():
    invoice = documents.invoice(specs=documents.MIXED_LINES * 30)
    invoice.lines[0].description = "Printed leaflets, A5 full colour both sides, folded to DL " * 3
    pdf = invoice_pdf(invoice)
    text = text_of(pdf)

    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    assert text.count("Solidarity discount") == 30
    assert f"Total due {pounds(invoice.total_pence)}" in text


def test_text_outside_the_core_fonts_is_printed_not_refused():
    invoice = documents.invoice()
    invoice.lines[1].description = "Delivery 🚚 to Łódź, 50 €"
    text = text_of(invoice_pdf(invoice))

    assert "Delivery ? to ?ód?, 50 €" in text


def test_an_invoice_says_which_account_to_pay_into():
    text = " ".join(text_of(invoice_pdf(documents.invoice())).split())

    assert (
        "Please pay £591.33 by 1 Apr 2026. Pay by bank transfer to Tayside SE Consortium Ltd, sort code 83-44-91, "
        "account 10234567, quoting invoice number TAY-2026-000123 as the reference."
    ) in text


def test_without_a_bank_account_the_invoice_asks_for_a_transfer_to_the_consortium():
    invoice = documents.invoice(seller=documents.SELLER | documents.NO_BANK_ACCOUNT)
    text = " ".join(text_of(invoice_pdf(invoice)).split())

    assert (
        "Please pay £591.33 by bank transfer to Tayside Social Enterprise Consortium Ltd by 1 Apr 2026, "
        "quoting invoice number TAY-2026-000123 as the reference."
    ) in text
    assert "sort code" not in text
