"""A member's invoice for its share of an order, worked out with no database: the lines, VAT per rate, totals.

Invoicing issues exactly these bills, and every figure a member sees before the invoice (the pledge
estimate, the close preview, the pool-closed email, the pool page) is the same calculation run as
a dry run, so what a member is told is what it is billed. It lives below billing, in orders, so
the pledge and closing code can run it too.
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from catalogue.enums import VatRate
from kernel.allocation import largest_remainder
from kernel.money import line_pence
from orders.cost_shares import CostShare, MemberUnits, OrderShares, cost_shares, order_shares
from orders.vat import VatLine, vat_analysis
from organisations.enums import TurnoverBand


class LineKind(enum.Enum):
    GOODS = "goods"
    DELIVERY = "delivery"
    HANDLING_FEE = "handling_fee"
    SOLIDARITY = "solidarity"
    SERVICE = "service"


@dataclass(frozen=True)
class OrderTerms:
    """What one consortium's order bills its members on, besides their units and the delivery charge."""

    goods_description: str
    consortium_name: str
    unit_price: Decimal
    vat_rate: VatRate
    handling_fee_percent: Decimal
    solidarity_rate_percent: Decimal
    vat_registered: bool  # an unregistered consortium charges no VAT


@dataclass(frozen=True)
class PlannedLine:
    kind: LineKind
    description: str
    quantity: int
    unit_price: Decimal
    vat_rate: VatRate
    net_pence: int


@dataclass(frozen=True)
class MemberBill:
    """One member's invoice as it will be issued: its cost share, lines and VAT analysis."""

    share: CostShare
    lines: tuple[PlannedLine, ...]
    vat: tuple[VatLine, ...]

    @property
    def member_id(self) -> int:
        return self.share.member_id

    @property
    def units(self) -> int:
        return self.share.units

    @property
    def unit_price(self) -> Decimal:
        return self.lines[0].unit_price  # the goods line comes first

    @property
    def goods_pence(self) -> int:
        return self.share.goods_pence

    @property
    def delivery_pence(self) -> int:
        return self.share.delivery_pence

    @property
    def handling_fee_pence(self) -> int:
        return self.share.handling_fee_pence

    @property
    def solidarity_pence(self) -> int:
        return self.share.solidarity_pence

    @property
    def net_pence(self) -> int:
        return sum(v.net_pence for v in self.vat)

    @property
    def vat_pence(self) -> int:
        return sum(v.vat_pence for v in self.vat)

    @property
    def total_pence(self) -> int:
        return self.net_pence + self.vat_pence

    def saving_against(self, list_price: Decimal) -> int:
        """What buying these units alone at the list price would cost more, net of the handling fee
        and solidarity line that pooling adds (delivery aside: buying alone is delivered too)."""
        return line_pence(self.units, list_price) - (self.goods_pence + self.handling_fee_pence + self.solidarity_pence)


def charged_vat_rate(vat_registered: bool, rate: VatRate) -> VatRate:
    """The rate a line is charged at: an unregistered consortium charges no VAT."""
    return rate if vat_registered else VatRate.EXEMPT


def consortium_delivery(delivery_charge_pence: int, units_by_consortium: Sequence[int]) -> list[int]:
    """A pool's delivery charge split among its consortia's orders by their units (in consortium id order)."""
    return largest_remainder(delivery_charge_pence, list(units_by_consortium))


def member_bills(terms: OrderTerms, members: Sequence[MemberUnits], delivery_charge_pence: int) -> list[MemberBill]:
    """Every member's bill for its share of one consortium's order, in the order of `members`."""
    shares = cost_shares(
        members, terms.unit_price, delivery_charge_pence, terms.handling_fee_percent, terms.solidarity_rate_percent
    )
    return [member_bill(terms, share) for share in shares]


def members_shares(
    terms: OrderTerms,
    member_ids: Sequence[int],
    units: Sequence[int],
    turnover_bands: Sequence[TurnoverBand],
    delivery_charge_pence: int,
) -> OrderShares:
    """The cost shares `member_bills` bills, for a caller that turns only some of them into bills
    (`member_bill`): the close preview of a pool with thousands of members shows a page of them."""
    return order_shares(
        member_ids,
        units,
        turnover_bands,
        terms.unit_price,
        delivery_charge_pence,
        terms.handling_fee_percent,
        terms.solidarity_rate_percent,
    )


def estimated_bill(
    terms: OrderTerms,
    member: MemberUnits,
    consortium_id: int,
    others: Iterable[tuple[int, TurnoverBand, int]],
    pool_delivery_pence: int,
) -> MemberBill:
    """A member's bill if the pool closed now, with everyone else grouped: `others` are the other members'
    units as (consortium id, turnover band, units), one entry per group.

    The pledge path cannot afford to read every pledge of a big pool under the pool's lock, and the bill
    depends on the others only through totals: each consortium's units (the delivery split), the
    member's consortium's goods (its delivery and fee shares) and its top and lowest turnover bands
    (solidarity). Every share is the exact share rounded up or down, so grouping the others changes only
    which way a share rounds: each line stays within a penny of the invoice's when the pledges are
    allocated as they stand (see tests/orders/test_estimates.py). The close preview, which has every
    allocation, uses `member_bills` and is exact.
    """
    ours: dict[TurnoverBand, int] = {}
    by_consortium = {consortium_id: member.units}
    for other_consortium, band, units in others:
        by_consortium[other_consortium] = by_consortium.get(other_consortium, 0) + units
        if other_consortium == consortium_id:
            ours[band] = ours.get(band, 0) + units
    ordering = sorted(by_consortium)
    delivery = consortium_delivery(pool_delivery_pence, [by_consortium[c] for c in ordering])
    rest = [
        MemberUnits(-1 - n, units, band)
        for n, (band, units) in enumerate(sorted(ours.items(), key=lambda item: item[0].value))
        if units
    ]
    return member_bills(terms, [member, *rest], delivery[ordering.index(consortium_id)])[0]


def member_bill(terms: OrderTerms, share: CostShare) -> MemberBill:
    """The invoice a member's cost share of an order brings."""
    goods_rate = charged_vat_rate(terms.vat_registered, terms.vat_rate)
    fee_rate = charged_vat_rate(terms.vat_registered, VatRate.STANDARD)
    goods = PlannedLine(
        LineKind.GOODS, terms.goods_description, share.units, terms.unit_price, goods_rate, share.goods_pence
    )
    extras = [
        (LineKind.DELIVERY, "Share of the delivery charge", share.delivery_pence, goods_rate),
        (LineKind.HANDLING_FEE, f"{terms.consortium_name} consortium handling fee", share.handling_fee_pence, fee_rate),
        (
            LineKind.SOLIDARITY,
            "Solidarity surcharge" if share.solidarity_pence > 0 else "Solidarity discount",
            share.solidarity_pence,
            goods_rate,
        ),
    ]
    lines = [goods] + [  # an extra of nothing is no line
        PlannedLine(kind, description, 1, Decimal(pence).scaleb(-2), rate, pence)
        for kind, description, pence, rate in extras
        if pence
    ]
    return MemberBill(share, tuple(lines), tuple(vat_analysis((line.vat_rate, line.net_pence) for line in lines)))
