"""Page, PDF, UBL, API and statement state the same money for an invoice, to the penny.

After a delivery, a partial credit note and a bank part-payment. The PDF and the UBL document
are the invoice as issued (issued documents never change), so they state net, VAT and gross;
the page, the API and the statement also state what was credited, paid and is still due.
"""

import io
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing import payments, services
from billing.models import CreditNote, Invoice, LineKind
from kernel.clock import utcnow
from kernel.extensions import db
from kernel.money import round_half_up
from tests.billing.test_invoicing import delivered_order
from tests.factories import api_token, sign_in

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
MONEY = r"-?£[\d,]+\.\d\d"
FEE_PERCENT = "2.5"


def pence(text: str) -> int:
    """'£1,234.56' or '-£1.23' back to integer pence."""
    match = re.fullmatch(r"(-?)£([\d,]+)\.(\d\d)", text.strip())
    assert match, text
    value = int(match[2].replace(",", "")) * 100 + int(match[3])
    return -value if match[1] else value


def ubl_pence(root: ET.Element, path: str) -> int:
    element = root.find(path, NS)
    assert element.get("currencyID") == "GBP"
    return int(Decimal(element.text) * 100)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_amount(text: str, label: str) -> int:
    [found] = re.findall(rf"^{label} ({MONEY})$", text, re.MULTILINE)
    return pence(found)


def page_totals(html: str) -> dict[str, int]:
    """The invoice page's totals rows: label -> pence."""
    rows = re.findall(rf'<th scope="row">([^<]+)</th><td></td><td class="num">(?:<strong>)?({MONEY})', html)
    return {label: pence(amount) for label, amount in rows}


def statement_rows(html: str) -> list[tuple[str, str, int]]:
    """(what, number, amount) of each statement entry."""
    rows = re.findall(
        rf'<tr><td>[^<]*</td><td>([a-z ]+)</td><td><a href="[^"]*">([^<]+)</a></td>'
        rf'<td>[^<]*</td><td class="num">({MONEY})</td><td class="num">{MONEY}</td></tr>',
        html,
    )
    return [(what, number, pence(amount)) for what, number, amount in rows]


def ubl_totals(xml: bytes) -> dict[str, int]:
    root = ET.fromstring(xml)
    subtotals = root.findall("cac:TaxTotal/cac:TaxSubtotal", NS)
    return {
        "net": ubl_pence(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount"),
        "lines": ubl_pence(root, "cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
        "vat": ubl_pence(root, "cac:TaxTotal/cbc:TaxAmount"),
        "vat_by_rate": sum(ubl_pence(s, "cbc:TaxAmount") for s in subtotals),
        "net_by_rate": sum(ubl_pence(s, "cbc:TaxableAmount") for s in subtotals),
        "gross": ubl_pence(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
        "payable": ubl_pence(root, "cac:LegalMonetaryTotal/cbc:PayableAmount"),
    }


@pytest.fixture
def billed(world):
    """Invoices for a delivered order with a handling fee; ours part-credited (2 units) and part-paid by bank."""
    order = delivered_order(world, fee=FEE_PERCENT, quantities=(7, 5, 9), delivery=999)
    invoices = services.issue_invoices(world.secretary, order.id)
    invoice = next(i for i in invoices if i.member_id == world.member.id)
    goods = next(line for line in invoice.lines if line.kind is LineKind.GOODS)
    note = services.issue_credit_note(
        world.secretary, invoice, [services.CreditItem(goods.id, 2)], "Short delivery: 2 boxes did not arrive"
    )
    payments.record_payment(world.secretary, invoice, 1_234, utcnow().date(), "BACS TAY 0001")
    db.session.commit()
    return order, invoices, invoice, note


def test_the_invoices_recover_exactly_the_order_total_plus_the_fee(billed):
    order, invoices, _, _ = billed

    fee = round_half_up(order.goods_pence * 25, 1000)  # 2.5% of the goods, rounded once
    assert sum(i.net_pence for i in invoices) == order.goods_pence + order.delivery_charge_pence + fee
    assert sum(line.net_pence for i in invoices for line in i.lines if line.kind is LineKind.HANDLING_FEE) == fee


def test_page_pdf_ubl_api_and_statement_agree_to_the_penny(client, world, billed):
    _, _, invoice, note = billed
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    stored = {
        "net": invoice.net_pence,
        "vat": invoice.vat_pence,
        "gross": invoice.total_pence,
        "credited": invoice.credited_pence,
        "paid": invoice.paid_pence,
        "due": invoice.due_pence,
    }
    assert (stored["credited"], stored["paid"]) == (note.total_pence, 1_234)
    assert stored["due"] == stored["gross"] - stored["credited"] - stored["paid"] > 0
    sign_in(client, world.member_user)

    page = page_totals(client.get(f"/invoices/{invoice.id}").get_data(as_text=True))
    assert page == {
        "Total net": stored["net"],
        "Total VAT": stored["vat"],
        "Total": stored["gross"],
        "Credited": stored["credited"],
        "Paid": stored["paid"],
        "Due now": stored["due"],
    }

    pdf = pdf_text(client.get(f"/invoices/{invoice.id}.pdf").data)
    assert (pdf_amount(pdf, "Net total"), pdf_amount(pdf, "VAT"), pdf_amount(pdf, "Total due")) == (
        stored["net"],
        stored["vat"],
        stored["gross"],
    )

    ubl = ubl_totals(client.get(f"/invoices/{invoice.id}.xml").data)
    assert ubl == {
        "net": stored["net"],
        "lines": stored["net"],
        "net_by_rate": stored["net"],
        "vat": stored["vat"],
        "vat_by_rate": stored["vat"],
        "gross": stored["gross"],
        "payable": stored["gross"],
    }

    api = client.get(f"/api/v1/invoices/{invoice.id}", headers=api_token(world.member_user)).json
    assert {key: api[f"{key}_pence"] for key in ("net", "vat", "credited", "paid", "due")} | {
        "gross": api["total_pence"]
    } == stored
    assert sum(line["net_pence"] for line in api["lines"]) == stored["net"]
    assert sum(v["vat_pence"] for v in api["vat_breakdown"]) == stored["vat"]

    statement_page = client.get("/statement").get_data(as_text=True)
    [due] = re.findall(rf'<th scope="row">Due</th><td class="num">({MONEY})</td>', statement_page)
    assert pence(due) == stored["due"]
    entries = statement_rows(statement_page)
    assert entries == [
        ("invoice", invoice.number, stored["gross"]),
        ("credit note", note.number, -stored["credited"]),
        ("payment", invoice.number, -stored["paid"]),
    ]
    statement = client.get("/api/v1/statement", headers=api_token(world.member_user)).json
    assert statement["due_pence"] == statement["balance_pence"] == stored["due"]
    assert sorted((e["kind"], e["amount_pence"]) for e in statement["entries"]) == sorted(
        [("invoice", stored["gross"]), ("credit note", -stored["credited"]), ("payment", -stored["paid"])]
    )


def test_the_credit_note_pdf_ubl_and_page_agree_with_what_is_stored(client, world, billed):
    _, _, invoice, note = billed
    db.session.expire_all()
    note = db.session.get(CreditNote, note.id)
    assert note.net_pence == sum(line.net_pence for line in note.lines)
    assert note.vat_pence == sum(v.vat_pence for v in note.vat_lines)
    assert note.total_pence == note.net_pence + note.vat_pence
    sign_in(client, world.member_user)

    pdf = pdf_text(client.get(f"/credit-notes/{note.id}.pdf").data)
    assert (pdf_amount(pdf, "Net credited"), pdf_amount(pdf, "VAT credited"), pdf_amount(pdf, "Total credited")) == (
        note.net_pence,
        note.vat_pence,
        note.total_pence,
    )

    ubl = ubl_totals(client.get(f"/credit-notes/{note.id}.xml").data)
    assert ubl == {
        "net": note.net_pence,
        "lines": note.net_pence,
        "net_by_rate": note.net_pence,
        "vat": note.vat_pence,
        "vat_by_rate": note.vat_pence,
        "gross": note.total_pence,
        "payable": note.total_pence,
    }

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    [row] = re.findall(rf"<td>{re.escape(note.number)}</td>.*?</tr>", page, re.DOTALL)
    assert [pence(amount) for amount in re.findall(MONEY, row)] == [note.vat_pence, note.total_pence]
