"""A member's trade invoices for its own accounts in Xero: those it issued as sales, those it received as bills.

Read as plain rows, one query per table (invoices, lines, VAT) however many invoices there are, and laid
out by billing's Xero export, so a trade invoice imports exactly as a consortium's invoice does.
"""

from sqlalchemy import ColumnElement, select

from billing.xero import BILLS_HEADER, SALES_HEADER, XeroDocument, document_rows
from kernel.extensions import db
from trading.models import TradeInvoice, TradeInvoiceLine, TradeInvoiceVat

PARTIES = ("buyer_name", "buyer_address", "buyer_email", "seller_name", "seller_address")


def header(sales: bool) -> list[str]:
    return SALES_HEADER if sales else BILLS_HEADER


def member_rows(member_id: int, sales: bool) -> list[list]:
    """The invoices the member issued (`sales`) or received, with every line and its VAT."""
    side = TradeInvoice.seller_id if sales else TradeInvoice.buyer_id
    return document_rows(_read(side == member_id), sales)


def _read(where: ColumnElement[bool]) -> list[XeroDocument]:
    documents: dict[int, XeroDocument] = {}
    parties = [getattr(TradeInvoice, party) for party in PARTIES]
    for row in db.session.execute(
        select(
            TradeInvoice.id,
            TradeInvoice.number,
            TradeInvoice.issue_date,
            TradeInvoice.due_date,
            TradeInvoice.reference,
            *parties,
        ).where(where)
    ):
        documents[row.id] = XeroDocument(
            row.number,
            row.issue_date,
            row.due_date,
            row.reference,
            1,
            buyer_name=row.buyer_name,
            buyer_address=row.buyer_address,
            buyer_email=row.buyer_email,
            seller_name=row.seller_name,
            seller_address=row.seller_address,
        )
    for line in db.session.execute(
        select(
            TradeInvoiceLine.trade_invoice_id.label("owner"),
            TradeInvoiceLine.description,
            TradeInvoiceLine.quantity,
            TradeInvoiceLine.unit_price,
            TradeInvoiceLine.vat_rate,
            TradeInvoiceLine.net_pence,
        )
        .join(TradeInvoice, TradeInvoiceLine.trade_invoice_id == TradeInvoice.id)
        .where(where)
        .order_by(TradeInvoiceLine.trade_invoice_id, TradeInvoiceLine.position)
    ):
        documents[line.owner].lines.append(line)
    for owner, rate, vat_pence in db.session.execute(
        select(TradeInvoiceVat.trade_invoice_id, TradeInvoiceVat.vat_rate, TradeInvoiceVat.vat_pence)
        .join(TradeInvoice, TradeInvoiceVat.trade_invoice_id == TradeInvoice.id)
        .where(where)
    ):
        documents[owner].vat[rate] = vat_pence
    return list(documents.values())
