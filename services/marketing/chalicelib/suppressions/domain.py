"""Suppression rules: how an address is hashed and which reasons stop which messages."""

from __future__ import annotations

import hashlib

from crm_shared.contact_data import normalize_email, normalize_phone
from crm_shared.errors import ValidationFailed

REASONS = ("hard_bounce", "complaint", "unsubscribe", "manual", "erased")
#: Transactional messages (receipts, password resets) ignore marketing opt-outs only.
TRANSACTIONAL_BLOCKERS = frozenset({"hard_bounce", "complaint", "manual", "erased"})
MARKETING_BLOCKERS = frozenset(REASONS)
#: Reasons the API may lift: an erasure is permanent.
LIFTABLE = frozenset(REASONS) - {"erased"}


def normalized(channel: str, address: str, field: str = "address") -> str:
    """The address as every sender and every check spells it (a 422 naming `field`)."""
    if channel == "email":
        return normalize_email(address, field)
    if channel == "sms":
        return normalize_phone(address, "US", field)
    raise ValidationFailed.for_field("channel", "must be email or sms")


def lenient(channel: str, address: str) -> str:
    """`normalized`, or the trimmed lowercase address when it does not validate (erasure
    must still suppress whatever address it was given)."""
    try:
        return normalized(channel, address)
    except ValidationFailed:
        return address.strip().lower()


def address_hash(tenant_id: str, address: str) -> str:
    """sha256 of tenant and normalized address: the same person in another tenant differs."""
    return hashlib.sha256(f"{tenant_id}\x00{address}".encode()).hexdigest()


def blocks(reasons: set[str], transactional: bool) -> str | None:
    """The reason that stops a message, or None."""
    blockers = TRANSACTIONAL_BLOCKERS if transactional else MARKETING_BLOCKERS
    return next((r for r in REASONS if r in reasons and r in blockers), None)
