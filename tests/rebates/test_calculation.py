"""The pure rebate rules: tiers, retrospective against graduated, and exact shares."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebates.calculation import Basis, Method, Tier, check_tiers, rebate_pence, share_out

SPEND_TIERS = [Tier(0, Decimal("1")), Tier(1_000_000, Decimal("2.5")), Tier(5_000_000, Decimal("4"))]


@st.composite
def tier_tables(draw):
    thresholds = sorted(draw(st.sets(st.integers(0, 10_000_000), min_size=1, max_size=5)))
    rates = sorted(
        draw(st.lists(st.decimals("0.01", "50", places=2), min_size=len(thresholds), max_size=len(thresholds)))
    )
    return [Tier(t, r) for t, r in zip(thresholds, rates, strict=True)]


def test_retrospective_pays_the_whole_period_at_the_tier_reached():
    # £12,000 reaches the 2.5% tier: £300.00 on all of it.
    assert rebate_pence(1_200_000, SPEND_TIERS, Basis.SPEND, Method.RETROSPECTIVE) == 30_000


def test_graduated_pays_each_band_at_its_own_rate():
    # £10,000 at 1% + £2,000 at 2.5% = £100 + £50.
    assert rebate_pence(1_200_000, SPEND_TIERS, Basis.SPEND, Method.GRADUATED) == 15_000


def test_units_earn_pence_per_unit_rounded_once():
    tiers = [Tier(100, Decimal("0.5")), Tier(500, Decimal("1.25"))]
    assert rebate_pence(99, tiers, Basis.UNITS, Method.RETROSPECTIVE) == 0
    assert rebate_pence(501, tiers, Basis.UNITS, Method.RETROSPECTIVE) == 626  # 626.25p
    assert rebate_pence(501, tiers, Basis.UNITS, Method.GRADUATED) == 201  # 400 x 0.5 + 1 x 1.25 = 201.25p


def test_a_period_below_the_first_threshold_earns_nothing():
    tiers = [Tier(1_000_000, Decimal("2"))]
    assert rebate_pence(999_999, tiers, Basis.SPEND, Method.RETROSPECTIVE) == 0
    assert rebate_pence(999_999, tiers, Basis.SPEND, Method.GRADUATED) == 0


def test_unsound_tier_tables_are_named():
    assert check_tiers([]) == ["Give at least one tier."]
    assert "A higher tier never pays a lower rate." in check_tiers([Tier(0, Decimal(3)), Tier(10, Decimal(2))])
    assert "Thresholds rise from one tier to the next." in check_tiers([Tier(10, Decimal(1)), Tier(10, Decimal(2))])
    assert check_tiers(SPEND_TIERS) == []


@given(tier_tables(), st.integers(0, 20_000_000), st.sampled_from(list(Basis)))
def test_retrospective_is_never_below_graduated(tiers, volume, basis):
    assert rebate_pence(volume, tiers, basis, Method.RETROSPECTIVE) >= rebate_pence(
        volume, tiers, basis, Method.GRADUATED
    )


@given(tier_tables(), st.integers(0, 20_000_000), st.sampled_from(list(Method)))
def test_more_spend_never_earns_less(tiers, volume, method):
    assert rebate_pence(volume + 1, tiers, Basis.SPEND, method) >= rebate_pence(volume, tiers, Basis.SPEND, method)


def test_retention_is_kept_and_the_rest_shared_by_spend():
    sharing = share_out(10_000, Decimal("10"), [300, 600, 100])
    assert sharing.retained_pence == 1_000
    assert sharing.shares == [2_700, 5_400, 900]


def test_a_bad_retention_or_amount_is_refused():
    with pytest.raises(ValueError):
        share_out(100, Decimal("100.01"), [1])
    with pytest.raises(ValueError):
        share_out(-1, Decimal(0), [1])


@given(
    st.integers(0, 10**9),
    st.decimals("0", "100", places=2),
    st.lists(st.integers(0, 10**8), min_size=1, max_size=40),
)
def test_shares_sum_exactly_and_nobody_gets_what_they_did_not_earn(received, retention, spends):
    sharing = share_out(received, retention, spends)
    assert sharing.retained_pence + sharing.distributed_pence == received
    assert all(share >= 0 for share in sharing.shares)
    total = sum(spends)
    if total == 0:
        assert sharing.shares == [0] * len(spends) and sharing.retained_pence == received
        return
    distributed = received - sharing.retained_pence
    for spend, share in zip(spends, sharing.shares, strict=True):
        exact = Fraction(distributed * spend, total)
        assert exact - 1 < share < exact + 1  # within a penny of its exact share
        if spend == 0:
            assert share == 0
