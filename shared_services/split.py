"""Splitting one period's cost among a pool's participants: pure integer pence, no database.

The shares come from the largest-remainder method (kernel.allocation), so they sum
exactly to the cost and each is its exact share rounded down or up, within a penny.
Ties go to the larger weight, then the lower member id, so the split is the same on every run.
"""

from collections.abc import Sequence
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
