"""What an audit entry says about an event: subject, action and field-level changes.

Pure rules, no DynamoDB. Field-level before/after comes from events that carry it:
`previous` + `changed` (OpportunityUpdated), `previous_<f>`/`<f>` (LeadScored's score,
ContractRenewed's end_date) and `from_<f>`/`to_<f>` (OpportunityStageChanged's stage,
TicketStatusChanged's status). Events with `changed` and the record after it (Contact-,
Company-, Lead-, TicketUpdated) give the after of each changed field; every other event
gives its after only (a created record whole, the data of the rest).
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

from ulid import ULID

DEFAULT_RETENTION_DAYS = 365
MAX_RETENTION_DAYS = 3650
MAX_CHANGES_BYTES = 100_000  # an item holds at most 400 KB
ID_FIELDS = {"key_id": "api_key"}
VERBS = {"created": "create", "updated": "update", "deleted": "delete"}
Changes = dict[str, dict[str, Any]]


def entry_id(at: datetime) -> str:
    """`aud_<ULID>` whose time part is `at`: ids sort as the entries happened."""
    return f"aud_{ULID.from_datetime(at)}"


def id_bound(at: datetime, upper: bool) -> str:
    """The smallest (or largest) entry id at `at`, for time-range queries on ids."""
    stamp = str(ULID.from_datetime(at))[:10]
    return f"aud_{stamp}{'Z' * 16 if upper else '0' * 16}"


def expires(occurred_at: datetime, retention_days: int) -> datetime:
    return occurred_at + timedelta(days=retention_days)


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def subject(data: dict[str, Any], fields: list[str], detail_type: str,
            tenant_id: str) -> tuple[str, str]:
    """The record an event is about: its first `<entity>_id` field."""
    for name in fields:
        value = data.get(name)
        if name.endswith("_id") and isinstance(value, str) and value:
            return ID_FIELDS.get(name, name.removesuffix("_id")), value
    return snake(detail_type).rsplit("_", 1)[0], tenant_id


def action(detail_type: str, entity_type: str) -> str:
    """`ContactCreated` on a contact is "create"; `MessageOpened` on one "message_opened"."""
    name = snake(detail_type)
    prefix = entity_type + "_"
    rest = name.removeprefix(prefix) if name.startswith(prefix) else name
    return VERBS.get(rest, rest)


def changes(data: dict[str, Any], entity_type: str) -> Changes:
    """Field-level before/after where the event has it; the after otherwise."""
    record = data.get(entity_type)
    record = record if isinstance(record, dict) else None
    changed = data.get("changed")
    previous = data.get("previous")
    if isinstance(changed, list) and record is not None:
        if isinstance(previous, dict) and previous:
            return {f: {"before": previous.get(f), "after": record.get(f)} for f in changed}
        return {f: {"after": record.get(f)} for f in changed}
    pairs: Changes = {}
    for name, value in data.items():
        for before, after in (("previous_", ""), ("from_", "to_")):
            if name.startswith(before):
                field = name.removeprefix(before)
                if after + field in data:
                    pairs[field] = {"before": value, "after": data[after + field]}
    if pairs:
        return pairs
    shown: dict[str, Any] = record if record is not None else {
        k: v for k, v in data.items() if k != f"{entity_type}_id"}
    return {k: {"after": v} for k, v in shown.items()}


#: Fields whose values are the person's own data. The log keeps that they changed, never
#: what they held: entries outlive a GDPR erasure (and their S3 copies are locked), so
#: they must not hold what erasure removes.
PERSONAL_FIELDS = frozenset({
    "name", "first_name", "last_name", "display_name", "email", "emails", "phone", "phones",
    "address", "addresses", "birthday", "important_dates", "social", "notes", "note", "body",
    "description", "subject", "comment", "text", "shipping", "customer", "participants",
    "preferences", "properties", "utm", "lead", "contact", "to", "from_address",
    "title",  # a person's job title, and free text that names people (a task's "Call Jane")
})
REDACTED = "[personal data]"


def redacted(value: Any, key: str = "") -> Any:
    """`value` with every personal field's content replaced, at any depth."""
    if key in PERSONAL_FIELDS and value not in (None, "", [], {}):
        return REDACTED
    if isinstance(value, dict):
        return {k: redacted(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v, key) for v in value]
    return value


def encoded(value: Changes) -> str:
    """The changes as stored (personal values redacted): JSON, cut to a note when a record
    is too large to keep."""
    value = {field: {side: redacted(content, field) for side, content in pair.items()}
             for field, pair in value.items()}
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    if len(text.encode()) <= MAX_CHANGES_BYTES:
        return text
    return json.dumps({"_truncated": {"after": sorted(value)}})
