"""A pledge-time estimate is the invoice calculation with the rest of the pool grouped: the goods within a penny
of the invoice's, every other line within two pence when the delivery charge is no more than the goods."""

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from catalogue.enums import VatRate
from orders.cost_shares import MemberUnits
from orders.invoice_plan import LineKind, OrderTerms, consortium_delivery, estimated_bill, member_bills
from organisations.enums import TurnoverBand


def terms(price="20.00", fee="0", solidarity="0", registered=True, vat=VatRate.STANDARD) -> OrderTerms:
    return OrderTerms(
        goods_description="A4 copier paper",
        consortium_name="Tayside",
        unit_price=Decimal(price),
        vat_rate=vat,
        handling_fee_percent=Decimal(fee),
        solidarity_rate_percent=Decimal(solidarity),
        vat_registered=registered,
    )


members = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(list(TurnoverBand)), st.integers(1, 500)), min_size=1, max_size=12
)


@given(
    members=members,
    price=st.sampled_from(["0.0840", "3.1575", "20.00", "22.4999"]),
    fee=st.sampled_from(["0", "2.5", "7.25", "25"]),
    solidarity=st.sampled_from(["0", "2.5", "10", "25"]),
    registered=st.booleans(),
    vat=st.sampled_from(list(VatRate)),
    delivery=st.integers(0, 20_000),
)
@settings(max_examples=400, deadline=None)
def test_each_line_of_a_grouped_estimate_is_within_pennies_of_the_exact_bill(
    members, price, fee, solidarity, registered, vat, delivery
):
    """Exact: every member of every consortium on its own, as the close preview and invoicing run it.

    Grouping moves only which way a share rounds: a penny on the goods, and on a line split by the goods
    (delivery, fee, solidarity) a penny plus what a penny of goods carries of it, so delivery far above
    the goods would move by more; members are told the total can move until the pool closes.
    """
    order_terms = terms(price, fee, solidarity, registered, vat)
    ids = sorted({consortium for consortium, _, _ in members})
    units = [sum(u for c, _, u in members if c == consortium) for consortium in ids]
    assume(delivery <= sum(order_terms.unit_price * u * 100 for u in units))
    split = consortium_delivery(delivery, units)
    exact = {}
    for consortium, consortium_delivery_pence in zip(ids, split, strict=True):
        mine = [MemberUnits(n, units, band) for n, (c, band, units) in enumerate(members) if c == consortium]
        exact |= {bill.member_id: bill for bill in member_bills(order_terms, mine, consortium_delivery_pence)}
    for n, (consortium, band, units) in enumerate(members):
        others = [(c, b, u) for m, (c, b, u) in enumerate(members) if m != n]
        estimate = estimated_bill(order_terms, MemberUnits(n, units, band), consortium, others, delivery)
        assert abs(estimate.goods_pence - exact[n].goods_pence) <= 1
        for part in ("delivery_pence", "handling_fee_pence", "solidarity_pence"):
            assert abs(getattr(estimate, part) - getattr(exact[n], part)) <= 2, part


def test_a_worked_estimate_carries_the_fee_the_solidarity_and_vat_per_rate():
    """10 boxes of a pool of 55 at £20.00, £15.00 delivery, a 2.5% fee, 5% solidarity from a top-band member."""
    estimate = estimated_bill(
        terms(fee="2.5", solidarity="5"),
        MemberUnits(1, 10, TurnoverBand.OVER_2M),
        7,
        [(7, TurnoverBand.UNDER_100K, 25), (7, TurnoverBand.FROM_100K_TO_500K, 20)],
        1500,
    )
    assert (
        estimate.unit_price,
        estimate.goods_pence,
        estimate.delivery_pence,
        estimate.handling_fee_pence,
        estimate.solidarity_pence,
        estimate.net_pence,
        estimate.vat_pence,
        estimate.total_pence,
    ) == (Decimal("20.00"), 20000, 273, 500, 1000, 21773, 4355, 26128)
    assert [line.kind for line in estimate.lines] == [
        LineKind.GOODS,
        LineKind.DELIVERY,
        LineKind.HANDLING_FEE,
        LineKind.SOLIDARITY,
    ]


def test_an_unregistered_consortium_charges_no_vat_on_any_line():
    estimate = estimated_bill(
        terms(fee="2.5", registered=False), MemberUnits(1, 10, TurnoverBand.UNDER_100K), 7, [], 900
    )
    assert {v.vat_rate for v in estimate.vat} == {VatRate.EXEMPT}
    assert (estimate.net_pence, estimate.vat_pence, estimate.total_pence) == (20000 + 900 + 500, 0, 21400)
