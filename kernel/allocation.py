"""Largest-remainder allocation: split a whole number of pence or units exactly.

Used for members' cost shares (billing) and for the units of a pool's packs (orders).
Every share is the exact proportional share rounded down or up, and the shares sum to
the total, so nothing is lost or invented by rounding. Integer arithmetic only: with
W = sum(weights), the exact share total * w / W is the quotient and remainder of
divmod(total * w, W), so remainders compare exactly over one common denominator.
"""

from collections import Counter
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
        keys = [-weight for weight in weights] if preference is None else preference
        for index in largest_remainders(remainders, leftover, keys):
            shares[index] += 1
    return shares


def largest_remainders(remainders: Sequence[int], count: int, preference: Sequence[Any]) -> list[int]:
    """The indexes of the `count` largest remainders above 0 (all of them if fewer), equal remainders in
    `preference` order, then index order: the items that take a leftover unit.

    The same items as sorting every index by (-remainder, preference, index) and taking the first `count`,
    but only the items tied at the cut are sorted: a big order's members have a few distinct remainders
    (from a few distinct quantities), so thousands of keys are neither made nor ranked one by one."""
    if count <= 0:
        return []
    tally = Counter(remainders)
    tally.pop(0, None)
    taken = 0  # items with a remainder above the cut
    for cut in sorted(tally, reverse=True):
        if taken + tally[cut] >= count:
            break
        taken += tally[cut]
    else:
        return [index for index, remainder in enumerate(remainders) if remainder]
    above = [index for index, remainder in enumerate(remainders) if remainder > cut]
    tied = sorted((preference[index], index) for index, remainder in enumerate(remainders) if remainder == cut)
    return above + [index for _, index in tied[: count - taken]]
