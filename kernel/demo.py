"""Demo histories of every package, played out in date order."""

import heapq
from collections.abc import Iterator
from datetime import date

History = Iterator[date]


def run_in_date_order(*histories: History) -> None:
    """Takes the steps of every history in date order, as a real ledger would have seen them happen.

    A history is a generator that yields the day of its next step, then takes that step when
    resumed; it may issue documents dated only on that day (or later, before its next yield).
    Steps on the same day run in the order the histories are given. Document numbers follow
    this order, so interleaving the histories makes them rise with their dates.
    """
    waiting: list[tuple[date, int, History]] = []

    def advance(position: int, history: History) -> None:
        day = next(history, None)
        if day is not None:
            heapq.heappush(waiting, (day, position, history))

    for position, history in enumerate(histories):
        advance(position, history)
    while waiting:
        _, position, history = heapq.heappop(waiting)
        advance(position, history)
