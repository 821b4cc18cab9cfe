"""The audit log: append-only entries of who read, exported or changed which record."""
