"""The bottom layer: what every part of the marketplace needs and no part owns.

The database base and extensions, errors, money and its one rounding rule, allocation,
document numbering, the clock, formatting, CSV, the JSON API framework, paging and lifecycles.
It imports no domain package; every package above may import it.
"""
