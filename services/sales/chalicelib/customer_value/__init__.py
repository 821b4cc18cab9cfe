"""Customer value, RFM, order stats and co-purchases, maintained from order events."""
