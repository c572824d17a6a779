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

The sources are bulk-buy invoices (`purchase_order_facts`: invoice -> purchase order ->
offer, with the list price the order snapshotted) and shared-service invoices
(`shared_service_facts`: invoice -> its SharedServiceCharge -> the pool's offer, with the
charge's units and list price snapshot). Another kind of invoice joins every report by adding
its own SELECT of the same columns to `fact_sources()`; use `kernel.sql_figures.line_pence_sql` and the
invoice's kept figures (`Invoice.units`, `supplier_pence` and what credit notes took of them, see `units_left`)
so its rounding and credit notes agree with these. Those figures are kept as invoices and credit notes are
issued (billing.services), so a report reads no invoice or credit note line.
"""

from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, SQLColumnExpression, Subquery, cast, extract, select, union_all

from billing.models import Invoice
from catalogue.models import Offer
from kernel.sql_figures import line_pence_sql
from orders.models import PurchaseOrder
from organisations.models import Member, Organisation, Supplier
from shared_services.models import ServicePool, SharedServiceCharge

FACT_COLUMNS = (
    "invoice_id",
    "member_id",
    "network_id",
    "consortium_id",
    "category_id",
    "supplier_id",
    "offer_id",
    "buy_social",
    "year",
    "month",
    "units",
    "list_value_pence",
    "spend_pence",
    "supplier_pence",
)


def units_left() -> ColumnElement[int]:
    """The invoice's units of goods or service less those its credit notes credited."""
    return Invoice.units - Invoice.credited_units


def issue_year_month(issue_date: SQLColumnExpression[Any]) -> tuple[ColumnElement, ColumnElement]:
    return (
        cast(extract("year", issue_date), Integer).label("year"),
        cast(extract("month", issue_date), Integer).label("month"),
    )


def _invoice_facts(units, list_price, offer_id, supplier_id, *path) -> Select:
    """The columns every report reads, for invoices reached through `path` (target, on) to their offer."""
    query = select(
        Invoice.id.label("invoice_id"),
        Invoice.member_id.label("member_id"),
        Member.network_id.label("network_id"),
        Invoice.consortium_id.label("consortium_id"),
        Offer.category_id.label("category_id"),
        supplier_id.label("supplier_id"),
        offer_id.label("offer_id"),
        Organisation.is_social_enterprise.label("buy_social"),
        *issue_year_month(Invoice.issue_date),
        units.label("units"),
        line_pence_sql(units, list_price).label("list_value_pence"),
        (Invoice.net_pence - Invoice.credited_net_pence).label("spend_pence"),
        (Invoice.supplier_pence - Invoice.credited_supplier_pence).label("supplier_pence"),
    )
    for target, on in path:
        query = query.join(target, on)
    return (
        query.join(Supplier, Supplier.id == supplier_id)
        .join(Organisation, Organisation.id == Supplier.organisation_id)
        .join(Member, Member.id == Invoice.member_id)
    )


def purchase_order_facts() -> Select:
    """Bulk-buy invoices: one row per invoice of a purchase order, priced at the order's list price snapshot."""
    return _invoice_facts(
        units_left(),
        PurchaseOrder.list_price,
        PurchaseOrder.offer_id,
        PurchaseOrder.supplier_id,
        (PurchaseOrder, PurchaseOrder.id == Invoice.purchase_order_id),
        (Offer, Offer.id == PurchaseOrder.offer_id),
    )


def shared_service_facts() -> Select:
    """Shared-service invoices: one row per participant's invoice of a billed period.

    The list value is what the member would have paid buying the same service alone for that
    period: the offer's list price (one unit for one period, e.g. a month of a PR retainer, an
    HR line seat-month) at billing, times the charge's units (pledged units, or 1, the member
    itself, for the equal and headcount keys). The saving is that less the member's share.
    The invoice has one service line of quantity 1 (the share), and a credit note of that line
    credits all the units.
    """
    units = SharedServiceCharge.units * units_left()  # the invoice's units are 1, or 0 once credited
    return _invoice_facts(
        units,
        SharedServiceCharge.list_unit_price,
        ServicePool.offer_id,
        Offer.supplier_id,
        (SharedServiceCharge, SharedServiceCharge.invoice_id == Invoice.id),
        (ServicePool, ServicePool.id == SharedServiceCharge.service_pool_id),
        (Offer, Offer.id == ServicePool.offer_id),
    )


def fact_sources() -> list[Select]:
    """Every kind of invoice the reports count; add a source here (see the module's docstring)."""
    return [purchase_order_facts(), shared_service_facts()]


def invoice_facts() -> Subquery:
    """One row per invoice of every source, with the columns of `FACT_COLUMNS`."""
    return union_all(*fact_sources()).subquery("facts")
