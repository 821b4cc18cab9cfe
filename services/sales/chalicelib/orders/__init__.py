"""Orders: the customer transaction record, idempotent on (source, external_id)."""
