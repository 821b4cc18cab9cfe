"""The marketing service: audience, segments, templates, campaigns, sends, tracking."""

SERVICE = "marketing"
