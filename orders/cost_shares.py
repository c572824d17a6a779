"""Members' cost shares of a purchase order: goods, delivery, handling fee and solidarity.

Pure integer pence, no database. The order's goods total (all units x the tier unit
price) is rounded once; the members' goods shares sum to it exactly, and each is within
a penny of the member's own units x unit price. The delivery charge and the consortium's
handling fee follow the goods shares by the largest-remainder method, so the invoices
recover exactly goods + delivery + fee. Solidarity moves pence from the top turnover
band to the lowest band and never changes the total.

Tie-breaks are deterministic everywhere: larger remainder, then larger weight, then
lower member id.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from kernel.allocation import largest_remainder, largest_remainders
from kernel.money import line_pence, round_half_up
from organisations.enums import TurnoverBand

SURCHARGED_BAND = TurnoverBand.OVER_2M
DISCOUNTED_BAND = TurnoverBand.UNDER_100K


@dataclass(frozen=True)
class MemberUnits:
    member_id: int
    units: int  # delivered units after a delivery, else allocated units (>= 0)
    turnover_band: TurnoverBand


@dataclass(frozen=True)
class CostShare:
    member_id: int
    units: int
    goods_pence: int  # share of the order's goods total, by units
    delivery_pence: int  # share of the delivery charge, in proportion to goods shares
    handling_fee_pence: int  # share of the consortium's handling fee, in proportion to goods shares
    solidarity_pence: int  # + surcharge (top band), - discount (lowest band), 0 otherwise

    @property
    def net_pence(self) -> int:
        return self.goods_pence + self.delivery_pence + self.handling_fee_pence + self.solidarity_pence


def goods_total_pence(units: int, unit_price: Decimal) -> int:
    """The order's goods total: all units x the tier unit price, rounded once."""
    _check_count("units", units)
    _check_price(unit_price)
    return line_pence(units, unit_price)


def handling_fee_total_pence(goods_pence: int, fee_percent: Decimal) -> int:
    """The consortium's handling fee on the goods total, half-up to the penny."""
    _check_count("goods_pence", goods_pence)
    _check_percent("handling_fee_percent", fee_percent)
    return _percent_of(goods_pence, fee_percent)


@dataclass(frozen=True)
class OrderShares:
    """Every member's share of one order, figure by figure, in the order the members were given.

    The shares hang together (each is a largest-remainder split over all the members), so they are
    worked out for every member at once; a page that shows a few members makes only their `CostShare`s.
    """

    member_ids: list[int]
    units: list[int]
    goods: list[int]
    delivery: list[int]
    fees: list[int]
    solidarity: list[int]

    def __len__(self) -> int:
        return len(self.member_ids)

    def share(self, index: int) -> CostShare:
        return CostShare(
            self.member_ids[index],
            self.units[index],
            self.goods[index],
            self.delivery[index],
            self.fees[index],
            self.solidarity[index],
        )


def cost_shares(
    members: Sequence[MemberUnits],
    unit_price: Decimal,
    delivery_charge_pence: int,
    handling_fee_percent: Decimal = Decimal(0),
    solidarity_rate_percent: Decimal = Decimal(0),
) -> list[CostShare]:
    """Each member's share of the order, in the order of `members` (see `order_shares`)."""
    shares = order_shares(
        [member.member_id for member in members],
        [member.units for member in members],
        [member.turnover_band for member in members],
        unit_price,
        delivery_charge_pence,
        handling_fee_percent,
        solidarity_rate_percent,
    )
    return [shares.share(index) for index in range(len(shares))]


def order_shares(
    member_ids: Sequence[int],
    units: Sequence[int],
    turnover_bands: Sequence[TurnoverBand],
    unit_price: Decimal,
    delivery_charge_pence: int,
    handling_fee_percent: Decimal = Decimal(0),
    solidarity_rate_percent: Decimal = Decimal(0),
) -> OrderShares:
    """The members' shares of the order: member i has `member_ids[i]`, `units[i]` and `turnover_bands[i]`.

    The delivery charge and fee follow the goods shares; when the goods total is 0 (free
    goods, or prices below a penny) the delivery charge follows units instead.

    Solidarity: each top-band member pays `solidarity_rate_percent` of its goods share
    (half-up); the pot goes back to lowest-band members in proportion to their goods
    shares. The pot is capped at the lowest band's goods total, so no discount exceeds
    the member's own goods share (no one is paid to take goods, and its net stays at
    least its delivery + fee); when the cap bites, the surcharges are scaled down to the
    pot in proportion to what each would have paid. Without members of both bands, no
    solidarity applies.
    """
    ids, units = list(member_ids), list(units)
    if len(set(ids)) != len(ids):
        raise ValueError("A member appears more than once in the order.")
    for member_id, count in zip(ids, units, strict=True):
        _check_count(f"units of member {member_id}", count)
    _check_price(unit_price)
    _check_count("delivery_charge_pence", delivery_charge_pence)
    _check_percent("handling_fee_percent", handling_fee_percent)
    _check_percent("solidarity_rate_percent", solidarity_rate_percent)

    goods = _goods_shares(units, ids, unit_price)
    goods_total = sum(goods)
    fee_total = handling_fee_total_pence(goods_total, handling_fee_percent)

    delivery_weights = goods if goods_total else units
    if delivery_charge_pence and not any(delivery_weights):
        raise ValueError("A delivery charge needs at least one member with units to carry it.")
    delivery = _split(delivery_charge_pence, delivery_weights, ids)
    fees = _split(fee_total, goods, ids)
    solidarity = _solidarity(ids, turnover_bands, goods, solidarity_rate_percent)
    return OrderShares(ids, units, goods, delivery, fees, solidarity)


def _goods_shares(units: list[int], ids: list[int], unit_price: Decimal) -> list[int]:
    """Largest remainder with each member's exact units x price as its quota.

    Each share is its quota rounded down or up, so within a penny of units x price;
    the shares sum to the goods total rounded once. (Splitting the rounded total by units
    instead can miss a member's exact value by more than a penny.)
    """
    goods_total = line_pence(sum(units), unit_price)
    numerator, denominator = unit_price.as_integer_ratio()
    quotas = [divmod(count * numerator * 100, denominator) for count in units]
    shares = [whole for whole, _ in quotas]
    remainders = [remainder for _, remainder in quotas]
    # Rounding the total moves it by at most half a penny, so the leftover is at most the
    # number of members with a fractional quota: zero-unit members never take one.
    leftover = goods_total - sum(shares)
    if leftover:
        preference = [(-count, member_id) for count, member_id in zip(units, ids, strict=True)]
        for i in largest_remainders(remainders, leftover, preference):
            shares[i] += 1
    return shares


def _solidarity(ids: list[int], bands: Sequence[TurnoverBand], goods: list[int], rate_percent: Decimal) -> list[int]:
    if not rate_percent:
        return [0] * len(goods)
    surcharges = [
        _percent_of(share, rate_percent) if band is SURCHARGED_BAND else 0
        for band, share in zip(bands, goods, strict=True)
    ]
    discount_weights = [share if band is DISCOUNTED_BAND else 0 for band, share in zip(bands, goods, strict=True)]
    pot = min(sum(surcharges), sum(discount_weights))
    if pot < sum(surcharges):
        surcharges = _split(pot, surcharges, ids)
    discounts = _split(pot, discount_weights, ids)
    return [surcharge - discount for surcharge, discount in zip(surcharges, discounts, strict=True)]


def _split(total: int, weights: list[int], ids: list[int]) -> list[int]:
    if not total:  # nothing to share (no fee, no solidarity): every share is 0, with no ranking of thousands
        return [0] * len(weights)
    return largest_remainder(
        total, weights, [(-weight, member_id) for weight, member_id in zip(weights, ids, strict=True)]
    )


def _percent_of(pence: int, percent: Decimal) -> int:
    numerator, denominator = percent.as_integer_ratio()
    return round_half_up(pence * numerator, denominator * 100)


def _check_count(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be a whole number, not {value!r}.")
    if value < 0:
        raise ValueError(f"{name} cannot be negative ({value}).")


def _check_price(unit_price: Decimal) -> None:
    if not isinstance(unit_price, Decimal):
        raise TypeError(f"The unit price must be a Decimal, not {unit_price!r}.")
    if not unit_price.is_finite() or unit_price < 0:
        raise ValueError(f"The unit price must be a price of 0 or more, not {unit_price}.")


def _check_percent(name: str, percent: Decimal) -> None:
    if not isinstance(percent, (Decimal, int)) or isinstance(percent, bool):
        raise TypeError(f"{name} must be a Decimal, not {percent!r}.")
    if (isinstance(percent, Decimal) and not percent.is_finite()) or not 0 <= percent <= 100:
        raise ValueError(f"{name} must be between 0 and 100, not {percent}.")
