"""The policy library (templates, immutable versions, members' adoptions, reviews, staff acknowledgements)
and the impact pages (what the platform knows and the measures members record)."""
