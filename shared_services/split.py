"""Splitting one period's cost among a pool's participants: pure integer pence, no database.

The shares come from the largest-remainder method (kernel.allocation), so they sum
exactly to the cost and each is its exact share rounded down or up, within a penny.
Ties go to the larger weight, then the lower member id, so the split is the same on every run.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kernel.allocation import largest_remainder


@dataclass(frozen=True)
class Participant:
    member_id: int
    weight: int  # 1 (equal), the headcount, or the pledged units; >= 0


@dataclass(frozen=True)
class Share:
    member_id: int
    weight: int
    pence: int


def split_cost(cost_pence: int, participants: Sequence[Participant]) -> list[Share]:
    """Each participant's share of `cost_pence`, in the order given.

    When every weight is zero (say, headcounts all recorded as 0) the cost is split equally
    rather than left unbilled. Raises ValueError for a cost with nobody to carry it.
    """
    if isinstance(cost_pence, bool) or not isinstance(cost_pence, int):
        raise TypeError(f"The cost must be whole pence, not {cost_pence!r}.")
    if cost_pence < 0:
        raise ValueError(f"The cost cannot be negative ({cost_pence}).")
    ids = [p.member_id for p in participants]
    if len(set(ids)) != len(ids):
        raise ValueError("A member appears more than once among the participants.")
    if not participants:
        if cost_pence:
            raise ValueError("A cost needs at least one participant to carry it.")
        return []
    weights = [p.weight for p in participants]
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
        raise ValueError("Weights are whole numbers of 0 or more.")
    if not any(weights):
        weights = [1] * len(weights)
    pence = largest_remainder(cost_pence, weights, [(-w, member_id) for w, member_id in zip(weights, ids, strict=True)])
    return [Share(p.member_id, w, share) for p, w, share in zip(participants, weights, pence, strict=True)]


@dataclass(frozen=True)
class Split:
    """One period's split in closed form, for pools of thousands: what a participant pays follows from its
    weight and its place among the participants of that weight, with no Share for each.

    `split_cost` gives a participant of weight w the floor of cost x w / W, then hands the pennies left over
    out by remainder (largest first), larger weight, lower member id. Participants of one weight have one
    remainder, so the pennies go a weight at a time: each participant of a weight in `plus_one` gets one,
    and of the weight `cut`, only the `cut_count` with the lowest member ids.
    """

    floor: Mapping[int, int]  # pence by weight
    plus_one: frozenset[int]
    cut: int | None
    cut_count: int

    def pence(self, weight: int, lower_ids: int) -> int:
        """The share of a participant of `weight` that `lower_ids` participants of its weight precede by member id."""
        return self.floor[weight] + (weight in self.plus_one or (weight == self.cut and lower_ids < self.cut_count))

    def total(self, counts: Mapping[int, int], cut_served: int) -> int:
        """What some participants pay together: `counts` of them by weight, `cut_served` of them among the
        cut's first `cut_count`."""
        whole = sum(count * (self.floor[weight] + (weight in self.plus_one)) for weight, count in counts.items())
        return whole + cut_served

    def paying(self, counts: Mapping[int, int], cut_served: int) -> int:
        """How many of them pay anything (a share of nothing is not invoiced)."""
        paid = sum(count for weight, count in counts.items() if self.floor[weight] or weight in self.plus_one)
        return paid + (cut_served if self.cut is not None and not self.floor[self.cut] else 0)


def split_by_weight(cost_pence: int, counts: Mapping[int, int]) -> Split:
    """`split_cost` among `counts[w]` participants of each weight w, in closed form (see Split).

    The all-zero weights split equally, as `split_cost` does. Raises ValueError for a cost with nobody to carry it.
    """
    if isinstance(cost_pence, bool) or not isinstance(cost_pence, int):
        raise TypeError(f"The cost must be whole pence, not {cost_pence!r}.")
    if cost_pence < 0:
        raise ValueError(f"The cost cannot be negative ({cost_pence}).")
    if any(isinstance(w, bool) or not isinstance(w, int) or w < 0 or count < 1 for w, count in counts.items()):
        raise ValueError("Weights are whole numbers of 0 or more, each held by a participant or more.")
    if not counts and cost_pence:
        raise ValueError("A cost needs at least one participant to carry it.")
    equal = not any(counts)
    effective = {weight: 1 if equal else weight for weight in counts}
    total_weight = sum(effective[weight] * count for weight, count in counts.items()) or 1
    floor: dict[int, int] = {}
    remainder: dict[int, int] = {}
    for weight, weighs in effective.items():
        floor[weight], remainder[weight] = divmod(cost_pence * weighs, total_weight)
    left = cost_pence - sum(floor[weight] * count for weight, count in counts.items())
    plus_one: set[int] = set()
    cut, cut_count = None, 0
    # As in largest_remainder, fewer pennies are left than participants with a remainder: they run out on the way.
    for weight in sorted((w for w in counts if remainder[w]), key=lambda w: (-remainder[w], -effective[w])):
        if left == 0:
            break
        if counts[weight] <= left:
            plus_one.add(weight)
            left -= counts[weight]
        else:
            cut, cut_count, left = weight, left, 0
    return Split(floor, frozenset(plus_one), cut, cut_count)
