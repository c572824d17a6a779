"""Largest-remainder allocation: split a whole number of pence or units exactly.

Used for members' cost shares (billing) and for the units of a pool's packs (orders).
Every share is the exact proportional share rounded down or up, and the shares sum to
the total, so nothing is lost or invented by rounding. Integer arithmetic only: with
W = sum(weights), the exact share total * w / W is the quotient and remainder of
divmod(total * w, W), so remainders compare exactly over one common denominator.
"""

from collections.abc import Sequence
from typing import Any


def largest_remainder(total: int, weights: Sequence[int], preference: Sequence[Any] | None = None) -> list[int]:
    """Splits `total` (an integer >= 0: pence or units) in proportion to integer `weights` (>= 0) by the
    largest-remainder method. Shares sum exactly to `total`; each share is floor(exact) or floor(exact) + 1,
    where exact = total * weight / sum(weights) as a Fraction; a zero weight gets 0.
    Leftover units go to the largest remainders first; ties between equal remainders go to the item whose
    `preference` key sorts first (default preference: larger weight first, then lower index).
    Raises ValueError when total > 0 and every weight is 0, or on negative input."""
    if not isinstance(total, int) or not all(isinstance(weight, int) for weight in weights):
        raise TypeError("Allocation works on whole numbers (pence or units) only.")
    if total < 0:
        raise ValueError(f"Cannot allocate a negative total ({total}).")
    if any(weight < 0 for weight in weights):
        raise ValueError("Weights cannot be negative.")
    if preference is not None and len(preference) != len(weights):
        raise ValueError(f"{len(preference)} preference keys for {len(weights)} weights.")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total > 0:
            raise ValueError(f"Cannot allocate {total} when every weight is zero.")
        return [0] * len(weights)

    shares = []
    remainders = []
    for weight in weights:
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    leftover = total - sum(shares)
    if leftover:
        # Remainders sum to leftover * weight_sum and each is below weight_sum, so more than
        # `leftover` items have one: a zero weight (remainder 0) never takes a leftover unit.
        candidates = [index for index, remainder in enumerate(remainders) if remainder]
        if preference is None:
            candidates.sort(key=lambda i: (-remainders[i], -weights[i], i))
        else:
            candidates.sort(key=lambda i: (-remainders[i], preference[i], i))
        for index in candidates[:leftover]:
            shares[index] += 1
    return shares
