"""What every kind of pool shares: columns, visibility, who runs it, its lifecycle moves, open and cancel.

Bulk-buy pools (orders) and shared-service pools (shared_services) each declare their kind once
here and get the same rules, pages and API handlers; tenders, frameworks and bookings can too.
"""
