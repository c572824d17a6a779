"""The one query every report reads: each invoice mapped to what it bought, from whom, and at what list value.

Extension point. `invoice_facts()` is the UNION ALL of `fact_sources()`; each source is a
SELECT yielding one row per invoice with exactly the columns of `FACT_COLUMNS`, in that
order and with those labels:

    invoice_id, member_id, network_id, consortium_id   who was invoiced, by which consortium
    category_id, supplier_id, offer_id, buy_social      what was bought, from whom
    year, month                                         the invoice's issue date
    units                                               units invoiced, less units credited
    list_value_pence                                    units x the list unit price of the time, half-up
    spend_pence                                         the invoice's net (ex-VAT), less credit notes' net
    supplier_pence                                      the part of spend that pays the supplier

Today the only source is bulk-buy invoices (`purchase_order_facts`): invoice -> purchase
order -> offer (category, supplier) with the list price the order snapshotted. A second
kind of invoice (for example shared-service invoices, which have no purchase order but a
link row naming the pool's offer, the units and a list unit price snapshot) joins every
report by adding its own SELECT of the same columns to `fact_sources()`; use
`list_value_pence()` and `credits()` so its rounding and credit notes agree with these.
"""
from sqlalchemy import BigInteger, ColumnElement, Integer, Select, Subquery, case, cast, extract, func, select, union_all

from billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine, LineKind
from catalogue.models import Offer
from marketplace.models import Member, Organisation, Supplier
from orders.models import PurchaseOrder

FACT_COLUMNS = ("invoice_id", "member_id", "network_id", "consortium_id", "category_id", "supplier_id", "offer_id",
                "buy_social", "year", "month", "units", "list_value_pence", "spend_pence", "supplier_pence")
SUPPLIER_KINDS = (LineKind.GOODS, LineKind.DELIVERY, LineKind.SERVICE)


def list_value_pence(units: ColumnElement, list_unit_price: ColumnElement) -> ColumnElement:
    """units x list price in pence, half-up, computed the same on SQLite and PostgreSQL.

    Prices have at most four places, so units x price x 10,000 is a whole number (rounded to
    it to shed SQLite's binary floats); adding 50 and dividing by 100 rounds it half-up.
    """
    hundredths = cast(func.round(units * list_unit_price * 10000), BigInteger)
    return (hundredths + 50) // 100


def credits() -> Subquery:
    """Per invoice: the net credited, the units of goods or service credited, the supplier's part credited."""
    line = CreditNoteLine
    return (select(CreditNote.invoice_id.label("invoice_id"),
                   func.sum(line.net_pence).label("net_pence"),
                   func.sum(case((line.kind.in_([LineKind.GOODS, LineKind.SERVICE]), line.quantity), else_=0))
                   .label("units"),
                   func.sum(case((line.kind.in_(SUPPLIER_KINDS), line.net_pence), else_=0)).label("supplier_pence"))
            .join(line, line.credit_note_id == CreditNote.id)
            .group_by(CreditNote.invoice_id)
            .subquery("credited"))


def _invoiced_lines() -> Subquery:
    line = InvoiceLine
    return (select(line.invoice_id.label("invoice_id"),
                   func.sum(case((line.kind.in_([LineKind.GOODS, LineKind.SERVICE]), line.quantity), else_=0))
                   .label("units"),
                   func.sum(case((line.kind.in_(SUPPLIER_KINDS), line.net_pence), else_=0)).label("supplier_pence"))
            .group_by(line.invoice_id)
            .subquery("invoiced"))


def issue_year_month(issue_date: ColumnElement) -> tuple[ColumnElement, ColumnElement]:
    return (cast(extract("year", issue_date), Integer).label("year"),
            cast(extract("month", issue_date), Integer).label("month"))


def purchase_order_facts() -> Select:
    """Bulk-buy invoices: one row per invoice of a purchase order, priced at the order's list price snapshot."""
    invoiced, credited = _invoiced_lines(), credits()
    units = func.coalesce(invoiced.c.units, 0) - func.coalesce(credited.c.units, 0)
    return (select(Invoice.id.label("invoice_id"), Invoice.member_id.label("member_id"),
                   Member.network_id.label("network_id"), Invoice.consortium_id.label("consortium_id"),
                   Offer.category_id.label("category_id"), PurchaseOrder.supplier_id.label("supplier_id"),
                   PurchaseOrder.offer_id.label("offer_id"), Organisation.is_social_enterprise.label("buy_social"),
                   *issue_year_month(Invoice.issue_date),
                   units.label("units"),
                   list_value_pence(units, PurchaseOrder.list_price).label("list_value_pence"),
                   (Invoice.net_pence - func.coalesce(credited.c.net_pence, 0)).label("spend_pence"),
                   (func.coalesce(invoiced.c.supplier_pence, 0) - func.coalesce(credited.c.supplier_pence, 0))
                   .label("supplier_pence"))
            .join(PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id)
            .join(Offer, Offer.id == PurchaseOrder.offer_id)
            .join(Supplier, Supplier.id == PurchaseOrder.supplier_id)
            .join(Organisation, Organisation.id == Supplier.organisation_id)
            .join(Member, Member.id == Invoice.member_id)
            .outerjoin(invoiced, invoiced.c.invoice_id == Invoice.id)
            .outerjoin(credited, credited.c.invoice_id == Invoice.id))


def fact_sources() -> list[Select]:
    """Every kind of invoice the reports count; add a source here (see the module's docstring)."""
    return [purchase_order_facts()]


def invoice_facts() -> Subquery:
    """One row per invoice of every source, with the columns of `FACT_COLUMNS`."""
    return union_all(*fact_sources()).subquery("facts")
