"""Tenant lifecycle and the defaults a new tenant starts with."""

from __future__ import annotations

PROVISIONING = "provisioning"
ACTIVE = "active"
DELETED = "deleted"

DEFAULT_SETTINGS: dict[str, object] = {
    "record_visibility": "team",  # what reps and agents see: own | team | all
    "default_phone_region": "US",
    "currency": "USD",
    "timezone": "UTC",
}


def can_serve(status: str) -> bool:
    """Only an active tenant's users may work; offboarded tenants answer 404."""
    return status == ACTIVE
