"""A listing's cancellation policy: free until some days before the booking starts, then a fee percent of its net."""

from datetime import date

from kernel.money import round_half_up


def cancellation_fee_pence(
    net_pence: int, starts_on: date, cancelled_on: date, free_days: int, fee_percent: int
) -> int:
    """The fee for cancelling on `cancelled_on` a booking starting `starts_on`; rounded half-up once."""
    if fee_percent <= 0 or (starts_on - cancelled_on).days >= free_days:
        return 0
    return round_half_up(net_pence * fee_percent, 100)
