"""A purchase order as rows, for the CSV a supplier opens in a spreadsheet."""

from decimal import Decimal

from kernel.clock import uk_date
from orders.models import PurchaseOrder
from orders.purchase_orders import allocation_totals

HEADER = [
    "Order",
    "Consortium",
    "Supplier",
    "Offer",
    "Unit",
    "Pack size",
    "Packs",
    "Member",
    "Units",
    "Delivered units",
    "Unit price (GBP, net)",
    "Line total (GBP, net)",
    "Delivery address",
    "Contact email",
]


def order_csv_rows(order: PurchaseOrder) -> tuple[list[str], list[list]]:
    totals = allocation_totals(order)
    rows = [
        [
            order.number,
            order.consortium.name,
            order.supplier.name,
            order.offer_name,
            order.unit,
            order.pack_size,
            order.packs,
            a.member_name,
            a.units,
            "" if a.delivered_units is None else a.delivered_units,
            order.unit_price,
            _pounds(totals[a.member_id]),
            a.delivery_address,
            a.contact_email,
        ]
        for a in order.allocations
    ]
    rows.append(
        [
            order.number,
            order.consortium.name,
            order.supplier.name,
            order.offer_name,
            order.unit,
            order.pack_size,
            order.packs,
            "Total",
            order.units,
            "",
            order.unit_price,
            _pounds(order.goods_pence),
            "",
            "",
        ]
    )
    if order.delivery_charge_pence:
        rows.append(
            [
                order.number,
                order.consortium.name,
                order.supplier.name,
                "Delivery charge",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                _pounds(order.delivery_charge_pence),
                "",
                "",
            ]
        )
    return HEADER, rows


def _pounds(pence: int) -> Decimal:
    """Exact pounds with two places (1234.56) for spreadsheets; no float ever touches the amount."""
    return Decimal(pence).scaleb(-2)


ORDERS_HEADER = [
    "Order",
    "Status",
    "Consortium",
    "Supplier",
    "Offer",
    "Unit",
    "Pack size",
    "Packs",
    "Units",
    "Unit price (GBP, net)",
    "Goods (GBP, net)",
    "Delivery (GBP, net)",
    "Total (GBP, net)",
    "Made",
]


def orders_csv_rows(orders) -> tuple[list[str], list[list]]:
    return ORDERS_HEADER, [
        [
            o.number,
            o.status.value,
            o.consortium.name,
            o.supplier.name,
            o.offer_name,
            o.unit,
            o.pack_size,
            o.packs,
            o.units,
            o.unit_price,
            _pounds(o.goods_pence),
            _pounds(o.delivery_charge_pence),
            _pounds(o.total_pence),
            uk_date(o.created_at).isoformat(),
        ]
        for o in orders
    ]
