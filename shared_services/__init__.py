"""Shared-service pools: a fixed cost per period (an HR line, a PR retainer) split among the members taking part."""
