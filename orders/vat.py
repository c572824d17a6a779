"""The VAT analysis of an invoice or credit note: one entry per VAT rate, as HMRC expects.

VAT is worked out on the summed net of each rate and rounded half-up once, not line by
line, so the VAT shown per rate is exactly that rate of the net shown beside it.
Zero-rated and exempt supplies both carry no VAT but are different things on a VAT
return, so they stay separate entries.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from catalogue.enums import VatRate
from kernel.money import vat_pence

# VatRate is declared standard, reduced, zero, exempt: the order an invoice shows. Worked out once,
# as an order's invoices are analysed by the thousand.
_RATES = tuple((rate, rate.percent) for rate in VatRate)


@dataclass(frozen=True)
class VatLine:
    vat_rate: VatRate
    net_pence: int
    vat_pence: int


def vat_analysis(lines: Iterable[tuple[VatRate, int]]) -> list[VatLine]:
    """VAT per rate on the summed net of that rate, rounded half-up once (vat_pence); zero-rated and exempt
    kept as separate entries (both 0 VAT); order: standard, reduced, zero, exempt; rates with no lines omitted.
    Negative nets allowed (credit notes, discounts): halves round away from zero, so a full credit note
    mirrors its invoice to the penny."""
    nets: dict[VatRate, int] = {}
    for vat_rate, net in lines:
        if not isinstance(vat_rate, VatRate):
            raise TypeError(f"Not a VAT rate: {vat_rate!r}.")
        if not isinstance(net, int) or isinstance(net, bool):
            raise TypeError(f"Net amounts are whole pence, not {net!r}.")
        nets[vat_rate] = nets.get(vat_rate, 0) + net
    return [VatLine(rate, nets[rate], vat_pence(nets[rate], percent)) for rate, percent in _RATES if rate in nets]


def rest_of_vat(
    invoiced: Iterable[VatLine], credited_before: Iterable[VatLine], last: Iterable[VatLine]
) -> list[VatLine]:
    """The VAT of the credit note that takes the last of an invoice: per rate, what the invoice charged less
    what earlier credit notes took, so the notes together mirror the invoice to the penny whatever their
    rounding. The net per rate is the last note's own, already exact by line."""
    left: dict[VatRate, int] = {}
    for line in invoiced:
        left[line.vat_rate] = left.get(line.vat_rate, 0) + line.vat_pence
    for line in credited_before:
        left[line.vat_rate] = left.get(line.vat_rate, 0) - line.vat_pence
    return [VatLine(line.vat_rate, line.net_pence, left.get(line.vat_rate, 0)) for line in last]


def document_totals(lines: Iterable[tuple[VatRate, int]]) -> tuple[int, int, int]:
    """(net, VAT, gross) of a document, from its VAT analysis."""
    analysis = vat_analysis(lines)
    net = sum(line.net_pence for line in analysis)
    vat = sum(line.vat_pence for line in analysis)
    return net, vat, net + vat
