"""Clearing's netting and the cancellation policy, as pure functions."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading.netting import Trade, net_debit_pence, positions
from trading.policy import cancellation_fee_pence

trades = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 30), st.integers(0, 10**9))
    .filter(lambda t: t[0] != t[1])
    .map(lambda t: Trade(*t)),
    max_size=200,
)


@given(trades)
def test_nets_sum_to_zero_and_each_member_is_owed_and_owes_its_invoices(found):
    result = positions(found)
    assert sum(p.net_pence for p in result) == 0
    for p in result:
        assert p.owed_pence == sum(t.total_pence for t in found if t.seller_id == p.member_id)
        assert p.owes_pence == sum(t.total_pence for t in found if t.buyer_id == p.member_id)
    assert [p.member_id for p in result] == sorted({t.seller_id for t in found} | {t.buyer_id for t in found})


def test_two_members_trading_both_ways_settle_the_difference():
    result = positions([Trade(1, 2, 5000), Trade(2, 1, 3000), Trade(3, 1, 100)])
    assert [(p.member_id, p.owed_pence, p.owes_pence, p.net_pence) for p in result] == [
        (1, 5000, 3100, 1900),
        (2, 3000, 5000, -2000),
        (3, 100, 0, 100),
    ]
    assert net_debit_pence(3000, 5000) == 2000 and net_debit_pence(5000, 3000) == 0


def test_a_member_trading_with_itself_or_a_negative_invoice_is_refused():
    with pytest.raises(ValueError):
        positions([Trade(1, 1, 10)])
    with pytest.raises(ValueError):
        positions([Trade(1, 2, -10)])


@pytest.mark.parametrize(
    ("cancelled_on", "fee"),
    [(date(2026, 12, 7), 0), (date(2026, 12, 8), 1250), (date(2026, 12, 10), 1250)],
)
def test_the_fee_applies_only_inside_the_free_days(cancelled_on, fee):
    assert cancellation_fee_pence(2500, date(2026, 12, 10), cancelled_on, 3, 50) == fee


@given(st.integers(0, 10**9), st.integers(0, 100))
def test_the_fee_is_the_percent_rounded_half_up_and_never_above_the_net(net, percent):
    fee = cancellation_fee_pence(net, date(2026, 12, 10), date(2026, 12, 10), 1, percent)
    assert 0 <= fee <= net
    assert abs(fee * 100 - net * percent) <= 50
