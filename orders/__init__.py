"""Bulk-buy pools: pledges, closing at the tier the whole pool reached, purchase orders, suppliers' demand."""
