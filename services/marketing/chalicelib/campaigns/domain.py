"""Campaign rules: the status flow and when a schedule is acceptable. No I/O here."""

from __future__ import annotations

from datetime import datetime

from crm_shared.errors import Conflict, ValidationFailed

STATUSES = ("draft", "scheduled", "sending", "paused", "sent", "cancelled")
EDITABLE = frozenset({"draft"})
PAUSABLE = frozenset({"sending", "scheduled"})
CANCELLABLE = frozenset({"draft", "scheduled", "sending", "paused"})


def check_schedule(send_at: datetime | None, now: datetime) -> None:
    if send_at is None:
        return
    if send_at.tzinfo is None:
        raise ValidationFailed.for_field("schedule.send_at", "needs a time zone (e.g. Z)")
    if send_at <= now:
        raise ValidationFailed.for_field("schedule.send_at", "is in the past")


def require(status: str, allowed: frozenset[str], action: str) -> None:
    if status not in allowed:
        raise Conflict.for_field("status", f"a {status} campaign cannot be {action}")
