"""The catalogue: suppliers' offers (products and services with units, packs and VAT) and their volume price tiers."""
