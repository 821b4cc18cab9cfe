"""Loyalty: a programme per tenant, an append-only points ledger per contact, tiers."""
