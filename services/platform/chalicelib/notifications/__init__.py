"""The per-user notification inbox, fed by events, with a delta feed and a daily digest."""
