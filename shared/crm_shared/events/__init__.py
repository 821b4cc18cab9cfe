"""Events: the envelope and catalog, the transactional outbox, and reliable consumers."""
