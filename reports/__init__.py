"""Savings and impact: what joint purchasing achieved, for members, networks, consortia, the platform and suppliers."""
