"""VAT analysis: VAT per rate on the summed net, half-up once; zero-rated and exempt apart."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue.models import VatRate
from kernel.money import vat_pence
from orders.vat import VatLine, document_totals, vat_analysis

STANDARD, REDUCED, ZERO, EXEMPT = VatRate.STANDARD, VatRate.REDUCED, VatRate.ZERO, VatRate.EXEMPT

lines = st.lists(st.tuples(st.sampled_from(VatRate), st.integers(-(10**7), 10**7)), max_size=20)


def half_up(exact: Fraction) -> int:
    """Half-up rounding (halves away from zero) written out independently of kernel.money."""
    return int(math.copysign(math.floor(abs(exact) + Fraction(1, 2)), exact))


@given(lines=lines)
@settings(max_examples=1000)
def test_each_rate_carries_its_summed_net_and_that_net_times_the_rate_rounded_once(lines):
    analysis = vat_analysis(lines)
    used = {rate for rate, _ in lines}
    assert [line.vat_rate for line in analysis] == [rate for rate in VatRate if rate in used]
    for line in analysis:
        net = sum(amount for rate, amount in lines if rate is line.vat_rate)
        assert line.net_pence == net
        assert line.vat_pence == half_up(Fraction(net) * Fraction(line.vat_rate.percent) / 100)
    net, vat, gross = document_totals(lines)
    assert net == sum(amount for _, amount in lines)
    assert vat == sum(line.vat_pence for line in analysis)
    assert gross == net + vat


@given(lines=lines, data=st.data())
@settings(max_examples=200)
def test_a_credit_note_mirrors_its_invoice_and_line_order_does_not_matter(lines, data):
    negated = [(rate, -amount) for rate, amount in lines]
    assert vat_analysis(negated) == [
        VatLine(line.vat_rate, -line.net_pence, -line.vat_pence) for line in vat_analysis(lines)
    ]
    assert vat_analysis(data.draw(st.permutations(lines))) == vat_analysis(lines)


def test_standard_rate_vat_is_worked_out_on_the_summed_net():
    """£10.03 at 20% is 200.6p: 201p."""
    assert vat_analysis([(STANDARD, 500), (STANDARD, 503)]) == [VatLine(STANDARD, 1003, 201)]
    assert document_totals([(STANDARD, 500), (STANDARD, 503)]) == (1003, 201, 1204)


def test_rounding_per_rate_differs_from_rounding_per_line():
    """Three 2p lines: 0.4p of VAT each rounds to nothing, but 6p at 20% is 1.2p: 1p.
    Two 10p lines at 5%: 0.5p each rounds up to 1p, but 20p at 5% is exactly 1p."""
    standard = [(STANDARD, 2)] * 3
    reduced = [(REDUCED, 10)] * 2
    assert sum(vat_pence(net, rate.percent) for rate, net in standard) == 0
    assert sum(vat_pence(net, rate.percent) for rate, net in reduced) == 2
    assert vat_analysis(standard + reduced) == [VatLine(STANDARD, 6, 1), VatLine(REDUCED, 20, 1)]


def test_zero_rated_and_exempt_are_separate_entries_in_invoice_order():
    analysis = vat_analysis([(EXEMPT, 700), (ZERO, 300), (REDUCED, 1000), (STANDARD, 1003), (ZERO, 200)])
    assert analysis == [
        VatLine(STANDARD, 1003, 201),
        VatLine(REDUCED, 1000, 50),
        VatLine(ZERO, 500, 0),
        VatLine(EXEMPT, 700, 0),
    ]
    assert document_totals([(EXEMPT, 700), (ZERO, 300), (REDUCED, 1000), (STANDARD, 1003), (ZERO, 200)]) == (
        3203,
        251,
        3454,
    )


def test_rates_without_lines_are_left_out_and_no_lines_total_nothing():
    assert vat_analysis([(REDUCED, 1000)]) == [VatLine(REDUCED, 1000, 50)]
    assert vat_analysis([]) == []
    assert document_totals([]) == (0, 0, 0)


def test_negative_nets_round_half_away_from_zero():
    """A discount or credit note: -£10.03 at 20% is -200.6p: -201p; a reduced-rate -10p is -0.5p: -1p."""
    assert vat_analysis([(STANDARD, -1003), (REDUCED, -10)]) == [
        VatLine(STANDARD, -1003, -201),
        VatLine(REDUCED, -10, -1),
    ]
    assert document_totals([(STANDARD, 1500), (STANDARD, -497)]) == (1003, 201, 1204)


def test_lines_may_be_any_iterable():
    assert document_totals((rate, 100) for rate in VatRate) == (400, 25, 425)


@pytest.mark.parametrize("line", [(STANDARD, 1.5), ("standard", 100), (STANDARD, True)])
def test_only_whole_pence_and_vat_rates_are_accepted(line):
    with pytest.raises(TypeError):
        vat_analysis([line])
