"""Members trading with members: listings of spare capacity, bookings, member-to-member invoices, monthly clearing."""
