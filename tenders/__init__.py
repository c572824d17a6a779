"""Tenders on pooled demand: suppliers compete with sealed, tiered bids; the winner becomes the pool's offer."""
