"""Webhook rules in plain Python: secrets, rotation, matching, the body, retry timing."""

from __future__ import annotations

import hashlib
import json
import secrets as random
from datetime import datetime, timedelta
from typing import Any

from crm_shared import clock
from crm_shared.field_permissions import Rules, mask_nested, principal_for_role
from crm_shared.filters import FilterGroup, matches
from crm_shared.ids import new_id

ROTATION_OVERLAP = timedelta(hours=24)
RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = 60  # seconds; doubles per failed attempt
MAX_STEP = 12 * 3600  # SQS caps a message's visibility timeout at 12 hours
LEASE = timedelta(seconds=60)  # longer than one attempt (10 s timeout) plus its writes
PING = "WebhookPing"
DEFAULT_ROLE = "viewer"  # what a subscription saved without a role acts as


def new_secret() -> dict[str, Any]:
    """A signing secret and its key id; `expires_at` is set when a newer one replaces it."""
    return {"key_id": new_id("whk"), "secret": "whsec_" + random.token_urlsafe(32),
            "expires_at": None}


def live_secrets(secrets: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The secrets deliveries are signed with: the current one and any still overlapping."""
    moment = clock.iso(now)
    return [s for s in secrets if s.get("expires_at") is None or s["expires_at"] > moment]


def rotate(secrets: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """A new current secret first; the old current one stays valid for 24 h."""
    expiry = clock.iso(now + ROTATION_OVERLAP)
    kept = [{**s, "expires_at": s.get("expires_at") or expiry}
            for s in live_secrets(secrets, now)][:1]
    return [new_secret(), *kept]


def role_of(role: str | None) -> str:
    return role or DEFAULT_ROLE


def masked(data: dict[str, Any], tenant_id: str, webhook_id: str, role: str | None,
           rules: Rules) -> dict[str, Any]:
    """The event's data as the subscription's role may see it: the records in it lose the
    fields the API would hide from a user with that role (crm_shared.field_permissions)."""
    principal = principal_for_role(tenant_id, role_of(role), f"webhook:{webhook_id}")
    found: dict[str, Any] = mask_nested(data, principal, rules)
    return found


def wanted(filter_doc: dict[str, Any] | None, data: dict[str, Any]) -> bool:
    """Whether a subscription's filter (crm_shared.filters) admits the event's data."""
    if not filter_doc:
        return True
    groups = [FilterGroup.model_validate(g) for g in filter_doc.get("filter_groups", [])]
    return matches(groups, data)


def body(event_id: str, event_type: str, occurred_at: str, tenant_id: str,
         data: dict[str, Any]) -> str:
    """The JSON every attempt sends: fixed once, so retries sign the same bytes."""
    return json.dumps({"id": event_id, "type": event_type, "occurred_at": occurred_at,
                       "tenant_id": tenant_id, "data": data}, separators=(",", ":"),
                      sort_keys=True)


def delivery_id_for(event_id: str) -> str:
    """One delivery per event and subscription: its id is the event's ULID."""
    return "dlv_" + event_id.split("_", 1)[-1]


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def call_delivery_id(run_id: str, action_index: int) -> str:
    """One delivery per workflow run and action, however often its call is requested: the
    run's ULID time, then 80 bits of a hash of (run, action), so it is a well-formed id."""
    stamp = run_id.split("_", 1)[-1][:10]
    bits = int.from_bytes(hashlib.sha256(f"{run_id}#{action_index}".encode()).digest()[:10])
    tail = "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(16)))
    return f"dlv_{stamp}{tail}"


def backoff(failed_attempts: int) -> int:
    """Seconds before the next attempt after `failed_attempts` failures (1 m, 2 m, 4 m ...)."""
    return int(min(FIRST_RETRY * 2 ** max(failed_attempts - 1, 0), MAX_STEP))


def gives_up(created_at: str, retry_at: datetime) -> bool:
    """True when the next attempt would fall outside the 24 h retry window."""
    return clock.iso(retry_at) > clock.iso(
        datetime.fromisoformat(created_at.replace("Z", "+00:00")) + RETRY_WINDOW)


def outcome(status_code: int | None) -> str:
    """`delivered` (2xx), `gone` (410: the receiver asked to stop) or `retry`."""
    if status_code is not None and 200 <= status_code < 300:
        return "delivered"
    if status_code == 410:
        return "gone"
    return "retry"
