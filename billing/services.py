"""Invoicing members their cost shares, crediting corrections, and each member's statement.

Issuing is one transaction under the purchase order's row lock, and idempotent: an order
already invoiced issues nothing new. Invoice numbers are reserved as a block from the
consortium's counter in that same transaction, so they have no gaps and never repeat.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Select,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from billing import notices
from billing.charging import charge_after_commit
from billing.models import (
    SUPPLIER_KINDS,
    UNIT_KINDS,
    CreditNote,
    CreditNoteLine,
    CreditNoteVat,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    InvoiceVat,
    LineKind,
    Payment,
)
from billing.payments import apply_status
from billing.standing import BAND_STARTS, BANDS, UNPAID, AgedRow, Standing, held_as_credit, standing
from catalogue.models import VatRate
from kernel.bulk import insert_rows, no_collection_pauses
from kernel.clock import uk_date, uk_today, utcnow
from kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from kernel.extensions import db
from kernel.formatting import pounds
from kernel.lifecycle import Who
from kernel.money import line_pence
from kernel.numbering import format_number, next_values
from kernel.paging import ListPage
from orders.cost_shares import MemberUnits
from orders.invoice_plan import OrderTerms, member_bills
from orders.models import POOL_LIFECYCLE, Allocation, Pool, PoolStatus, PurchaseOrder, PurchaseOrderStatus
from orders.vat import VatLine, rest_of_vat, vat_analysis
from organisations import audit
from organisations.models import Consortium, Member, Organisation, TurnoverBand, User
from pools.services import take_writer_lock

INVOICE_SERIES, CREDIT_SERIES = "INV", "CN"
INVOICE_DIGITS = 6
BILLABLE = (PurchaseOrderStatus.DELIVERED, PurchaseOrderStatus.CONFIRMED)
LOAD_CHUNK = 5000  # ids per IN list, under SQLite's limit on bound parameters


# Who sees what


def visible_invoices(user: User) -> Select:
    query = select(Invoice)
    if not user.is_admin:
        query = query.where(
            or_(
                Invoice.member_id.in_(user.member_ids or {-1}),
                Invoice.consortium_id.in_(user.secretary_consortium_ids or {-1}),
            )
        )
    return query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())


def invoice_for(user: User, invoice_id: int) -> Invoice:
    invoice = db.session.scalar(
        visible_invoices(user)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.vat_lines))
    )
    if invoice is None:
        raise NotFound("No such invoice.")
    return invoice


def can_manage_billing(user: User, consortium_id: int) -> bool:
    return user.is_admin or consortium_id in user.secretary_consortium_ids


def _require_billing(user: User | None, consortium_id: int) -> None:
    if user is not None and not can_manage_billing(user, consortium_id):
        raise Forbidden("Only the consortium's secretary does its billing.")


# Issuing invoices


def _address(organisation: Organisation) -> str:
    return ", ".join(organisation.address_lines)


@dataclass(frozen=True)
class Seller:
    name: str
    address: str
    vat_number: str | None
    bank_account_name: str | None
    sort_code: str | None
    account_number: str | None

    @classmethod
    def of(cls, consortium: Consortium) -> "Seller":
        organisation = consortium.organisation
        return cls(
            organisation.legal_name,
            _address(organisation),
            organisation.vat_number,
            consortium.bank_account_name,
            consortium.bank_sort_code,
            consortium.bank_account_number,
        )


def order_terms(order: PurchaseOrder, pool: Pool, seller: Seller) -> OrderTerms:
    """What the order's invoices are worked out from, as the close preview worked them out."""
    consortium = order.consortium
    return OrderTerms(
        goods_description=f"{order.offer_name} ({order.number})",
        consortium_name=consortium.name,
        unit_price=order.unit_price,
        vat_rate=order.vat_rate,
        handling_fee_percent=consortium.handling_fee_percent,
        solidarity_rate_percent=pool.solidarity_rate_percent,
        vat_registered=bool(seller.vat_number),
    )


@dataclass(frozen=True)
class Buyer:
    member_id: int
    turnover_band: TurnoverBand
    name: str
    address: str
    vat_number: str | None
    email: str


def _buyer_rows() -> Select[int, TurnoverBand, str, str, str | None, str, str, str | None, str]:
    """The columns a Buyer is read from: a member's billing details, joined once to its organisation."""
    return select(
        Member.id,
        Member.turnover_band,
        Organisation.legal_name,
        Organisation.address_line1,
        Organisation.address_line2,
        Organisation.city,
        Organisation.postcode,
        Organisation.vat_number,
        func.coalesce(Member.billing_email, Organisation.contact_email),
    ).join(Organisation, Member.organisation_id == Organisation.id)


def _buyer(row: Any) -> Buyer:
    return Buyer(row[0], row[1], row[2], ", ".join(part for part in row[3:7] if part), row[7], row[8])


def _buyers(order: PurchaseOrder) -> dict[int, Buyer]:
    """The billing details of every member on the order, read in one query."""
    rows = db.session.execute(
        _buyer_rows()
        .join(Allocation, Allocation.member_id == Member.id)
        .where(Allocation.purchase_order_id == order.id)
    )
    return {row[0]: _buyer(row) for row in rows}


def buyer_of(member_id: int) -> Buyer:
    """One member's billing details, as `_buyers` reads them for an order."""
    row = db.session.execute(_buyer_rows().where(Member.id == member_id)).one_or_none()
    if row is None:
        raise NotFound("No such member.")
    return _buyer(row)


# A new invoice's credited figures, written out: rows inserted in bulk take no model defaults.
NOTHING_CREDITED = {"credited_pence": 0, "credited_units": 0, "credited_net_pence": 0, "credited_supplier_pence": 0}


def _reported(lines: Iterable[dict[str, Any]]) -> dict[str, int]:
    """What an invoice's or credit note's lines add to the figures the reports read from the invoice: units bought
    and the supplier's part of the net (see Invoice.units)."""
    units = supplier = 0
    for line in lines:
        units += line["quantity"] if line["kind"] in UNIT_KINDS else 0
        supplier += line["net_pence"] if line["kind"] in SUPPLIER_KINDS else 0
    return {"units": units, "supplier_pence": supplier}


@dataclass(frozen=True)
class LineIn:
    """One line of an invoice issued from given lines (not from a purchase order)."""

    kind: LineKind
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: VatRate
    net_pence: int


def issue_invoice(
    actor: User | None,
    consortium: Consortium,
    member_id: int,
    lines: Iterable[LineIn],
    reference: str,
    supply_date: date,
    today: date | None = None,
) -> Invoice:
    """Issues one member an invoice from the consortium for the given lines, with no purchase order.

    The same snapshot of seller and buyer, VAT analysis and number series as order invoices;
    `actor` None is a scheduled run. The caller owns the transaction (and any idempotency).
    """
    _require_billing(actor, consortium.id)
    items: list[dict[str, Any]] = [
        dict(
            position=n,
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate=line.vat_rate,
            net_pence=line.net_pence,
        )
        for n, line in enumerate(lines, start=1)
    ]
    if not items:
        raise ValidationFailed.field("lines", "An invoice needs at least one line.")
    if any(item["net_pence"] < 0 or item["quantity"] < 1 for item in items):
        raise ValidationFailed.field("lines", "Invoice lines have a quantity of 1 or more and no negative amount.")
    today = today or uk_today()
    seller, buyer = Seller.of(consortium), buyer_of(member_id)
    analysis = vat_analysis((item["vat_rate"], item["net_pence"]) for item in items)
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    number = next_values(consortium, INVOICE_SERIES)[0]
    invoice = Invoice(
        number=format_number(consortium, "", today.year, number, INVOICE_DIGITS),
        consortium_id=consortium.id,
        member_id=member_id,
        purchase_order_id=None,
        status=InvoiceStatus.ISSUED,
        issue_date=today,
        supply_date=supply_date,
        due_date=today + timedelta(days=consortium.payment_terms_days),
        reference=reference,
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        paid_pence=0,
        **NOTHING_CREDITED,
        **_reported(items),
        seller_name=seller.name,
        seller_address=seller.address,
        seller_vat_number=seller.vat_number,
        seller_bank_account_name=seller.bank_account_name,
        seller_sort_code=seller.sort_code,
        seller_account_number=seller.account_number,
        buyer_name=buyer.name,
        buyer_address=buyer.address,
        buyer_vat_number=buyer.vat_number,
        buyer_email=buyer.email,
        lines=[InvoiceLine(**item) for item in items],
        vat_lines=[InvoiceVat(vat_rate=v.vat_rate, net_pence=v.net_pence, vat_pence=v.vat_pence) for v in analysis],
    )
    db.session.add(invoice)
    db.session.flush()
    charge_after_commit([invoice.id])
    return invoice


@no_collection_pauses()
def issue_invoices(actor: User | None, order_id: int, today: date | None = None) -> "IssuedInvoices":
    """Invoices every member of a delivered (or confirmed) order its cost share.

    `actor` None is a scheduled run. Running it again for the same order issues nothing new.
    Rows are written in bulk: an order can be shared by thousands of members. Two runs at once
    take turns on the order's row lock (SQLite's writer lock), so the second finds the first's
    invoices and issues nothing.
    """
    take_writer_lock(PurchaseOrder.__table__, order_id)
    order = db.session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound("No such purchase order.")
    _require_billing(actor, order.consortium_id)
    if order.status not in BILLABLE:
        raise Conflict(f"A {order.status.value} order cannot be invoiced; wait until it is confirmed or delivered.")
    if db.session.scalar(select(Invoice.id).where(Invoice.purchase_order_id == order.id).limit(1)) is not None:
        return IssuedInvoices([])
    today = today or uk_today()
    consortium, pool = order.consortium, db.session.get_one(Pool, order.pool_id)
    # A delivered order's allocations all have their delivered units: record_delivery writes every one as the
    # order moves to delivered (the column is NULL only before a delivery).
    units_column = (
        cast("InstrumentedAttribute[int]", Allocation.delivered_units)
        if order.status is PurchaseOrderStatus.DELIVERED
        else Allocation.units
    )
    buyers = _buyers(order)
    allocations = db.session.execute(
        select(Allocation.member_id, units_column)
        .where(Allocation.purchase_order_id == order.id)
        .order_by(Allocation.id)
    )
    units = [
        MemberUnits(member_id, member_units, buyers[member_id].turnover_band) for member_id, member_units in allocations
    ]
    seller = Seller.of(consortium)
    bills = [
        bill
        for bill in member_bills(order_terms(order, pool, seller), units, order.delivery_charge_pence)
        if bill.net_pence
    ]
    if not bills:
        return IssuedInvoices([])
    numbers = next_values(consortium, INVOICE_SERIES, len(bills))
    # The time of supply is the delivery, or the invoice's own date when it is issued first (HMRC's tax point).
    supply_date = min(uk_date(order.delivered_at), today) if order.delivered_at else today
    due_date = today + timedelta(days=consortium.payment_terms_days)
    created = utcnow()
    invoice_rows: list[dict[str, Any]] = []
    lines_of: list[list[dict]] = []
    vat_of: list[Sequence[VatLine]] = []
    for bill, number in zip(bills, numbers, strict=True):
        buyer = buyers[bill.member_id]
        net, vat = bill.net_pence, bill.vat_pence
        lines = [vars(line) | {"position": n} for n, line in enumerate(bill.lines, start=1)]
        invoice_rows.append(
            dict(
                number=format_number(consortium, "", today.year, number, INVOICE_DIGITS),
                consortium_id=consortium.id,
                member_id=buyer.member_id,
                purchase_order_id=order.id,
                status=InvoiceStatus.ISSUED,
                issue_date=today,
                supply_date=supply_date,
                due_date=due_date,
                reference=order.number,
                net_pence=net,
                vat_pence=vat,
                total_pence=net + vat,
                paid_pence=0,
                **NOTHING_CREDITED,
                **_reported(lines),
                created_at=created,
                seller_name=seller.name,
                seller_address=seller.address,
                seller_vat_number=seller.vat_number,
                seller_bank_account_name=seller.bank_account_name,
                seller_sort_code=seller.sort_code,
                seller_account_number=seller.account_number,
                buyer_name=buyer.name,
                buyer_address=buyer.address,
                buyer_vat_number=buyer.vat_number,
                buyer_email=buyer.email,
            )
        )
        lines_of.append(lines)
        vat_of.append(bill.vat)
    db.session.flush()
    ids = insert_rows(Invoice.__table__, invoice_rows, returning=Invoice.__table__.c.id)
    insert_rows(
        InvoiceLine.__table__,
        [line | {"invoice_id": invoice_id} for invoice_id, lines in zip(ids, lines_of, strict=True) for line in lines],
    )
    insert_rows(
        InvoiceVat.__table__,
        [
            {"invoice_id": invoice_id, "vat_rate": v.vat_rate, "net_pence": v.net_pence, "vat_pence": v.vat_pence}
            for invoice_id, analysis in zip(ids, vat_of, strict=True)
            for v in analysis
        ],
    )
    _mark_pool_invoiced(pool, actor)
    db.session.flush()
    issued = IssuedInvoices(ids)
    if ids:
        issued_numbers = f"{invoice_rows[0]['number']} to {invoice_rows[-1]['number']}"
        audit.record(
            actor,
            "invoices_issued",
            f"{len(ids)} for purchase order {order.number}",
            order.consortium_id,
            issued_numbers,
        )
    notices.invoices_issued(order)
    charge_after_commit(ids)
    return issued


class IssuedInvoices(Sequence[Invoice]):
    """The invoices one run issued, in issue order, loaded from the database when first read.

    An order can be shared by thousands of members: issuing their invoices writes rows in
    bulk, and builds no objects for a caller that only counts them.
    """

    def __init__(self, ids: list[int]):
        self.ids = ids
        self._loaded: list[Invoice] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if self._loaded is None:
            self._loaded = self._load(self.ids)
        return self._loaded[index]

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    @staticmethod
    def _load(ids: list[int]) -> list[Invoice]:
        by_id: dict[int, Invoice] = {}
        for start in range(0, len(ids), LOAD_CHUNK):
            by_id.update(
                (invoice.id, invoice)
                for invoice in db.session.scalars(
                    select(Invoice).where(Invoice.id.in_(ids[start : start + LOAD_CHUNK]))
                )
            )
        return [by_id[invoice_id] for invoice_id in ids]


def _mark_pool_invoiced(pool: Pool, actor: User | None) -> None:
    """A pool is invoiced once every live order of it has invoices."""
    uninvoiced = db.session.execute(
        select(func.count())
        .select_from(PurchaseOrder)
        .where(
            PurchaseOrder.pool_id == pool.id,
            PurchaseOrder.status != PurchaseOrderStatus.CANCELLED,
            ~select(Invoice.id).where(Invoice.purchase_order_id == PurchaseOrder.id).exists(),
        )
    ).scalar_one()
    if uninvoiced == 0 and pool.status in (PoolStatus.CLOSED, PoolStatus.ORDERED, PoolStatus.DELIVERED):
        POOL_LIFECYCLE.move(pool, PoolStatus.INVOICED, actor, by=Who.SYSTEM)


def billable_orders(user: User, consortium_id: int) -> list[PurchaseOrder]:
    """Delivered or confirmed orders of the consortium that have no invoices yet."""
    return list(
        db.session.scalars(
            select(PurchaseOrder)
            .where(
                PurchaseOrder.consortium_id == consortium_id,
                PurchaseOrder.status.in_(BILLABLE),
                ~select(Invoice.id).where(Invoice.purchase_order_id == PurchaseOrder.id).exists(),
            )
            .order_by(PurchaseOrder.created_at)
        )
    )


# Credit notes


@dataclass(frozen=True)
class CreditItem:
    """Credit `quantity` of an invoice line (all of it when None)."""

    line_id: int
    quantity: int | None = None


def issue_credit_note(
    actor: User, invoice: Invoice, items: Iterable[CreditItem], reason: str, today: date | None = None
) -> CreditNote:
    """A full or partial credit of an issued invoice, never more than is left to credit."""
    _require_billing(actor, invoice.consortium_id)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationFailed.field("reason", "Say why, in under 500 characters; it is printed on the credit note.")
    # Locked first: what earlier credit notes took is read under the lock, so two at once cannot both take it.
    invoice = db.session.execute(
        select(Invoice).where(Invoice.id == invoice.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    lines_by_id = {line.id: line for line in invoice.lines}
    credited = _credited_by_line(invoice.id)
    if all(credited.get(line.id, (0, 0))[0] >= line.quantity for line in invoice.lines):
        left = invoice.total_pence - invoice.credited_pence
        raise Conflict(f"Only {pounds(left)} is left to credit on invoice {invoice.number}.")
    credit_lines: list[dict[str, Any]] = []
    for item in items:
        line = lines_by_id.get(item.line_id)
        if line is None:
            raise ValidationFailed.field("lines", f"Line {item.line_id} is not on invoice {invoice.number}.")
        taken_quantity, taken_pence = credited.get(line.id, (0, 0))
        left = line.quantity - taken_quantity
        if left <= 0:
            raise ValidationFailed.field("lines", f"“{line.description}” is already credited in full.")
        quantity = left if item.quantity is None else item.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 0 < quantity <= left:
            already = f" ({taken_quantity} already credited)" if taken_quantity else ""
            raise ValidationFailed.field(
                "lines",
                f"Credit between 1 and {left} of “{line.description}”: {left} of {line.quantity} left{already}.",
            )
        # The last of a line credits exactly what is left of its net, so a line credited in parts sums to it.
        net = line.net_pence - taken_pence if quantity == left else line_pence(quantity, line.unit_price)
        credited[line.id] = (taken_quantity + quantity, taken_pence + net)
        credit_lines.append(
            dict(
                position=len(credit_lines) + 1,
                kind=line.kind,
                description=line.description,
                quantity=quantity,
                unit_price=line.unit_price,
                vat_rate=line.vat_rate,
                net_pence=net,
                invoice_line_id=line.id,
            )
        )
    if not credit_lines:
        raise ValidationFailed.field("lines", "Choose at least one line to credit.")
    analysis = vat_analysis((line["vat_rate"], line["net_pence"]) for line in credit_lines)
    if all(credited.get(line.id, (0, 0))[0] == line.quantity for line in invoice.lines):
        invoiced = [VatLine(v.vat_rate, v.net_pence, v.vat_pence) for v in invoice.vat_lines]
        analysis = rest_of_vat(invoiced, _credited_vat(invoice.id), analysis)
    net, vat = sum(v.net_pence for v in analysis), sum(v.vat_pence for v in analysis)
    if invoice.credited_pence + net + vat > invoice.total_pence:
        left = invoice.total_pence - invoice.credited_pence
        raise Conflict(f"Only {pounds(left)} is left to credit on invoice {invoice.number}.")
    today = today or uk_today()
    consortium = invoice.consortium
    number = next_values(consortium, CREDIT_SERIES)[0]
    note = CreditNote(
        number=format_number(consortium, CREDIT_SERIES, today.year, number, INVOICE_DIGITS),
        invoice=invoice,
        consortium_id=invoice.consortium_id,
        member_id=invoice.member_id,
        issue_date=today,
        reason=reason,
        net_pence=net,
        vat_pence=vat,
        total_pence=net + vat,
        created_by_id=actor.id,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_vat_number=invoice.seller_vat_number,
        seller_bank_account_name=invoice.seller_bank_account_name,
        seller_sort_code=invoice.seller_sort_code,
        seller_account_number=invoice.seller_account_number,
        buyer_name=invoice.buyer_name,
        buyer_address=invoice.buyer_address,
        buyer_vat_number=invoice.buyer_vat_number,
        buyer_email=invoice.buyer_email,
        lines=[CreditNoteLine(**line) for line in credit_lines],
        vat_lines=[CreditNoteVat(vat_rate=v.vat_rate, net_pence=v.net_pence, vat_pence=v.vat_pence) for v in analysis],
    )
    db.session.add(note)
    _credit(invoice, note.total_pence, credit_lines)
    db.session.flush()
    audit.record(
        actor, "credit_note_issued", f"{note.number} crediting invoice {invoice.number}", invoice.consortium_id, reason
    )
    apply_status(invoice, actor)
    db.session.flush()
    return note


def issue_price_credit(
    actor: User | None, invoice: Invoice, net_pence: int, vat_rate: VatRate, description: str, reason: str
) -> CreditNote:
    """Credits a reduction of the price on an invoice (a share of a supplier's rebate, say): one line of no
    invoice line, since no quantity comes back, with the VAT of its rate; never more than is left to credit.
    `actor` None is a scheduled run."""
    _require_billing(actor, invoice.consortium_id)
    if isinstance(net_pence, bool) or not isinstance(net_pence, int) or net_pence <= 0:
        raise ValidationFailed.field("net_pence", "Credit a whole number of pence above nothing.")
    invoice = db.session.execute(
        select(Invoice).where(Invoice.id == invoice.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    analysis = vat_analysis([(vat_rate, net_pence)])
    total = sum(v.net_pence + v.vat_pence for v in analysis)
    if invoice.credited_pence + total > invoice.total_pence:
        left = invoice.total_pence - invoice.credited_pence
        raise Conflict(f"Only {pounds(left)} is left to credit on invoice {invoice.number}.")
    today = uk_today()
    consortium = invoice.consortium
    number = next_values(consortium, CREDIT_SERIES)[0]
    parties = {
        column: getattr(invoice, column)
        for column in (
            "seller_name",
            "seller_address",
            "seller_vat_number",
            "seller_bank_account_name",
            "seller_sort_code",
            "seller_account_number",
            "buyer_name",
            "buyer_address",
            "buyer_vat_number",
            "buyer_email",
        )
    }
    line = dict(
        position=1,
        kind=LineKind.GOODS,
        description=description,
        quantity=0,  # no unit comes back, so reports' units (and list value) stay as invoiced
        unit_price=Decimal(net_pence).scaleb(-2),
        vat_rate=vat_rate,
        net_pence=net_pence,
        invoice_line_id=None,
    )
    note = CreditNote(
        number=format_number(consortium, CREDIT_SERIES, today.year, number, INVOICE_DIGITS),
        invoice=invoice,
        consortium_id=invoice.consortium_id,
        member_id=invoice.member_id,
        issue_date=today,
        reason=reason,
        net_pence=net_pence,
        vat_pence=total - net_pence,
        total_pence=total,
        created_by_id=actor.id if actor is not None else None,
        lines=[CreditNoteLine(**line)],
        vat_lines=[CreditNoteVat(vat_rate=v.vat_rate, net_pence=v.net_pence, vat_pence=v.vat_pence) for v in analysis],
        **parties,
    )
    db.session.add(note)
    _credit(invoice, total, [line])
    db.session.flush()
    audit.record(
        actor, "credit_note_issued", f"{note.number} crediting invoice {invoice.number}", invoice.consortium_id, reason
    )
    apply_status(invoice, actor)
    return note


def _credit(invoice: Invoice, total_pence: int, lines: list[dict[str, Any]]) -> None:
    """What a credit note takes off its invoice: the amount due, and the figures the reports read."""
    taken = _reported(lines)
    invoice.credited_pence += total_pence
    invoice.credited_units += taken["units"]
    invoice.credited_net_pence += sum(line["net_pence"] for line in lines)
    invoice.credited_supplier_pence += taken["supplier_pence"]


def _credited_by_line(invoice_id: int) -> dict[int, tuple[int, int]]:
    """What earlier credit notes of the invoice took from each of its lines: (quantity, net pence)."""
    rows = db.session.execute(
        select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.quantity), func.sum(CreditNoteLine.net_pence))
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id, CreditNoteLine.invoice_line_id.is_not(None))
        .group_by(CreditNoteLine.invoice_line_id)
    )
    return {line_id: (int(quantity), int(pence)) for line_id, quantity, pence in rows if line_id is not None}


def _credited_vat(invoice_id: int) -> list[VatLine]:
    """The VAT per rate that earlier credit notes of the invoice took."""
    rows = db.session.execute(
        select(CreditNoteVat.vat_rate, func.sum(CreditNoteVat.net_pence), func.sum(CreditNoteVat.vat_pence))
        .join(CreditNote, CreditNote.id == CreditNoteVat.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id)
        .group_by(CreditNoteVat.vat_rate)
    )
    return [VatLine(rate, int(net), int(vat)) for rate, net, vat in rows]


def full_credit(invoice: Invoice) -> list[CreditItem]:
    """What is left of every line that earlier credit notes have not taken in full."""
    credited = _credited_by_line(invoice.id)
    return [CreditItem(line.id) for line in invoice.lines if credited.get(line.id, (0, 0))[0] < line.quantity]


# Where invoices stand: overdue, statements, finance exports


def standing_of(invoice: Invoice, today: date | None = None) -> Standing:
    """The state an invoice shows today (overdue is derived from its due date, never stored)."""
    return standing(invoice.status.value, invoice.due_date, today or uk_today())


def held_as_credit_pence(invoice: Invoice) -> int:
    """What was paid (and credited) on the invoice beyond its total, held as credit on the member's account."""
    return held_as_credit(invoice.total_pence, invoice.paid_pence, invoice.credited_pence)


UNPAID_STATUSES = [InvoiceStatus(value) for value in UNPAID]


def in_state(query: Select, state: str, today: date | None = None) -> Select:
    """Only invoices that `standing` shows in `state`, or every unpaid one for "unpaid"."""
    today = today or uk_today()
    if state == "unpaid":
        return query.where(Invoice.status.in_(UNPAID_STATUSES))
    if state == "overdue":
        return query.where(Invoice.status.in_(UNPAID_STATUSES), Invoice.due_date < today)
    query = query.where(Invoice.status == InvoiceStatus(state))
    return query.where(Invoice.due_date >= today) if state in UNPAID else query


def check_period(from_date: date | None, to_date: date | None) -> None:
    if from_date is not None and to_date is not None and to_date < from_date:
        raise ValidationFailed.field("to_date", "The end of the period cannot be before its start.")


@dataclass(frozen=True)
class StatementEntry:
    on: date
    kind: str  # invoice, credit note, payment, refund
    number: str
    description: str
    amount_pence: int  # what the member owes more (+) or less (-)
    invoice_id: int
    balance_pence: int = 0  # the balance after this entry


@dataclass
class Statement:
    member: Member
    entries: list[StatementEntry]  # those of the period, each with the balance after it
    today: date
    open_invoices: list[Invoice]
    from_date: date | None = None  # None: from the first entry
    to_date: date | None = None  # None: to the last entry
    opening_balance_pence: int = 0  # the balance before the period

    @property
    def closing_balance_pence(self) -> int:
        """Positive: the member owes; negative: credit held for it."""
        return self.opening_balance_pence + sum(e.amount_pence for e in self.entries)

    @property
    def balance_pence(self) -> int:
        return self.closing_balance_pence

    @property
    def due_pence(self) -> int:
        return sum(i.due_pence for i in self.open_invoices)

    @property
    def overdue_pence(self) -> int:
        return sum(i.due_pence for i in self.open_invoices if i.due_date < self.today)


def statement(
    member: Member, from_date: date | None = None, to_date: date | None = None, today: date | None = None
) -> Statement:
    """Invoices, credit notes, payments and refunds of one member in date order, with the balance after each.

    The period runs from `from_date` to `to_date` inclusive; what came before it is the opening balance.
    """
    check_period(from_date, to_date)
    today = today or uk_today()
    invoices = db.session.scalars(select(Invoice).where(Invoice.member_id == member.id)).all()
    notes = db.session.scalars(select(CreditNote).where(CreditNote.member_id == member.id)).all()
    payments = db.session.scalars(select(Payment).where(Payment.member_id == member.id)).all()
    by_id = {i.id: i for i in invoices}
    entries = [StatementEntry(i.issue_date, "invoice", i.number, i.reference, i.total_pence, i.id) for i in invoices]
    entries += [
        StatementEntry(
            n.issue_date,
            "credit note",
            n.number,
            f"Credit for {by_id[n.invoice_id].number}",
            -n.total_pence,
            n.invoice_id,
        )
        for n in notes
    ]
    entries += [
        StatementEntry(
            p.received_on,
            "payment" if p.amount_pence > 0 else "refund",
            by_id[p.invoice_id].number,
            p.reference,
            -p.amount_pence,
            p.invoice_id,
        )
        for p in payments
    ]
    order = {"invoice": 0, "credit note": 1, "payment": 2, "refund": 3}
    entries.sort(key=lambda e: (e.on, order[e.kind], e.number))
    opening = sum(e.amount_pence for e in entries if from_date is not None and e.on < from_date)
    in_period = [
        e for e in entries if (from_date is None or e.on >= from_date) and (to_date is None or e.on <= to_date)
    ]
    with_balances, balance = [], opening
    for entry in in_period:
        balance += entry.amount_pence
        with_balances.append(replace(entry, balance_pence=balance))
    open_invoices = [i for i in invoices if i.status in UNPAID_STATUSES and i.due_pence]
    return Statement(
        member, with_balances, today, sorted(open_invoices, key=lambda i: i.due_date), from_date, to_date, opening
    )


def consortium_invoices(consortium_id: int, state: str, today: date | None = None) -> Select:
    """The consortium's invoices in one state (or "unpaid"), the earliest due first."""
    query = select(Invoice).where(Invoice.consortium_id == consortium_id)
    return in_state(query, state, today).order_by(Invoice.due_date, Invoice.id)


def payments_period(from_date: date | None, to_date: date | None) -> tuple[date, date]:
    """The period of payments asked for: to today and from the first of the end's month, unless given."""
    to_date = to_date or uk_today()
    from_date = from_date or to_date.replace(day=1)
    check_period(from_date, to_date)
    return from_date, to_date


def _received_in(consortium_id: int, from_date: date, to_date: date) -> list:
    check_period(from_date, to_date)
    return [Invoice.consortium_id == consortium_id, Payment.received_on.between(from_date, to_date)]


def payments_received(consortium_id: int, from_date: date, to_date: date) -> Select:
    """Money received by the consortium in the period (refunds as negative rows), in the order it came in."""
    return (
        select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(*_received_in(consortium_id, from_date, to_date))
        .options(selectinload(Payment.invoice))
        .order_by(Payment.received_on, Payment.id)
    )


def payments_received_total(consortium_id: int, from_date: date, to_date: date) -> int:
    """The sum of `payments_received`' rows, to the penny."""
    return db.session.execute(
        select(func.coalesce(func.sum(Payment.amount_pence), 0))
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(*_received_in(consortium_id, from_date, to_date))
    ).scalar_one()


@dataclass(frozen=True)
class MemberDebt:
    member_id: int
    name: str
    row: AgedRow[int]


@dataclass(frozen=True)
class AgedDebtReport:
    """The totals and count of every debtor, and one page of them by name."""

    consortium: Consortium
    today: date
    page: ListPage[MemberDebt]
    totals: AgedRow[None]

    @property
    def members(self) -> list[MemberDebt]:
        """The page's debtors."""
        return self.page.items


@dataclass(frozen=True)
class AgedDebtInFull:
    """The totals and every debtor by name (the CSV), the debtors read from the database as they are iterated."""

    consortium: Consortium
    today: date
    totals: AgedRow[None]
    members: Iterator[MemberDebt]


AGED_DEBT_PER_PAGE = 50  # debtors a page on the report's page, and when the caller does not say


def _band_of(due_date: InstrumentedAttribute[date], today: date) -> ColumnElement[int]:
    """`band((today - due_date).days)` in SQL, from the same BAND_STARTS: a debt is in the last band whose first
    day past due it has reached. Days past due >= start is due_date <= today - start, compared as dates, which
    PostgreSQL and SQLite (dates as ISO text) both order alike, where subtracting dates differs between them."""
    whens = [(due_date <= today - timedelta(days=start), i) for i, start in enumerate(BAND_STARTS, 1)]
    return case(*reversed(whens), else_=0)


def _debt_by_member(consortium_id: int, today: date) -> CTE:
    """What each member owes the consortium per band: the unpaid invoices with anything still owed (`aged_debt`
    counts only those), summed per member."""
    owed = Invoice.total_pence - Invoice.credited_pence - Invoice.paid_pence
    debts = (
        select(Invoice.member_id, _band_of(Invoice.due_date, today).label("band"), owed.label("owed"))
        .where(Invoice.consortium_id == consortium_id, Invoice.status.in_(UNPAID_STATUSES), owed > 0)
        .subquery("debts")
    )
    in_band = [func.sum(case((debts.c.band == i, debts.c.owed), else_=0)).label(f"band_{i}") for i in range(len(BANDS))]
    return select(debts.c.member_id, *in_band).group_by(debts.c.member_id).cte("debt_by_member")


def _by_name(name: ColumnElement[str], member_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """Debtors in the order they have always had, Python's (name.casefold(), member id): lower() then code point
    order, which PostgreSQL compares as "C" (bytes of UTF-8) and SQLite as bytes already. lower() is casefold() on
    ASCII; beyond it SQLite's lower() changes no letter (É stays É) and PostgreSQL's keeps ß and a final ς."""
    folded: ColumnElement[str] = func.lower(name)
    if db.session.get_bind().dialect.name == "postgresql":
        folded = folded.collate("C")
    return [folded, member_id]


def _aged_debt_statement(consortium_id: int, today: date, limit: int | None, offset: int) -> CompoundSelect:
    """One statement: first the totals of every band over all debtors with their count, then `limit` debtors
    (None: all) after the first `offset` in name order, numbered in that order, so the invoices are summed once
    and only the cut is sorted to the end."""
    by_member = _debt_by_member(consortium_id, today)
    bands = [by_member.c[f"band_{i}"] for i in range(len(BANDS))]
    totals = select(
        literal(0).label("part"),
        literal(0).label("position"),
        null().label("member_id"),
        null().label("name"),
        *(func.coalesce(func.sum(column), 0).label(column.name) for column in bands),
        func.count().label("count"),
    ).select_from(by_member)
    named = (
        select(by_member.c.member_id, Organisation.legal_name.label("name"), *bands)
        .join(Member, Member.id == by_member.c.member_id)
        .join(Organisation, Organisation.id == Member.organisation_id)
        .subquery("named")
    )
    cut = select(named).order_by(*_by_name(named.c.name, named.c.member_id)).limit(limit).offset(offset).subquery("cut")
    page = select(
        literal(1).label("part"),
        func.row_number().over(order_by=_by_name(cut.c.name, cut.c.member_id)).label("position"),
        cut.c.member_id,
        cut.c.name,
        *(cut.c[column.name] for column in bands),
        null().label("count"),
    )
    return union_all(totals, page).order_by(literal_column("part"), literal_column("position"))


def _aged_debt(
    consortium_id: int, today: date, limit: int | None, offset: int, *, streamed: bool = False
) -> tuple[AgedRow[None], int, Iterator[MemberDebt]]:
    """The statement's answer: the totals and the count of debtors, then the cut's debtors as they are read."""
    statement = _aged_debt_statement(consortium_id, today, limit, offset)
    if streamed:
        statement = statement.execution_options(yield_per=1000)
    # Each row is (part, position, member id, name, the pence of each band, the count of debtors).
    rows = iter(db.session.execute(statement))
    first = next(rows)
    debtors = (
        MemberDebt(member_id, name, AgedRow(member_id, _pence(bands))) for _, _, member_id, name, *bands, _ in rows
    )
    return AgedRow(None, _pence(first[4:-1])), int(first[-1]), debtors


def _pence(sums: Sequence[Any]) -> tuple[int, ...]:
    """Sums as int pence, whatever type the database answers a sum in."""
    return tuple(int(pence) for pence in sums)


def aged_debt_report(
    consortium: Consortium, today: date | None = None, *, page: int = 1, per_page: int = AGED_DEBT_PER_PAGE
) -> AgedDebtReport:
    """What the consortium's members owe today by days past the due date: the totals of every debtor and page
    `page` of them by name, summed and cut by one statement however many invoices and debtors there are."""
    today = today or uk_today()
    totals, count, debtors = _aged_debt(consortium.id, today, per_page, (page - 1) * per_page)
    return AgedDebtReport(consortium, today, ListPage(list(debtors), page, per_page, count), totals)


def aged_debt_in_full(consortium: Consortium, today: date | None = None) -> AgedDebtInFull:
    """The same report with every debtor (the CSV), fetched from the database a thousand at a time as they are
    iterated: no list of every debtor is built."""
    today = today or uk_today()
    totals, _, debtors = _aged_debt(consortium.id, today, None, 0, streamed=True)
    return AgedDebtInFull(consortium, today, totals, debtors)
