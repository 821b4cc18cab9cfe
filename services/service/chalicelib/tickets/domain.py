"""Ticket rules in plain Python: the status flow, priorities, what counts as open."""

from __future__ import annotations

from typing import Any

from crm_shared.errors import Conflict, ValidationFailed

NEW, OPEN, PENDING, ON_HOLD, RESOLVED, CLOSED = (
    "new", "open", "pending", "on_hold", "resolved", "closed")
UNRESOLVED = frozenset({NEW, OPEN, PENDING, ON_HOLD})
# closed is final; a resolved ticket may be reopened (open) or closed
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({OPEN, PENDING, ON_HOLD, RESOLVED, CLOSED}),
    OPEN: frozenset({PENDING, ON_HOLD, RESOLVED, CLOSED}),
    PENDING: frozenset({OPEN, ON_HOLD, RESOLVED, CLOSED}),
    ON_HOLD: frozenset({OPEN, PENDING, RESOLVED, CLOSED}),
    RESOLVED: frozenset({OPEN, CLOSED}),
    CLOSED: frozenset(),
}
PRIORITIES = ("low", "normal", "high", "urgent")
REQUIRED = ("subject", "channel", "type", "priority", "status")


def check_transition(current: str, wanted: str) -> None:
    """A 409 naming `status` for a move the flow does not allow."""
    if current == wanted:
        return
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (closed is final)"
        raise Conflict.for_field("status", f"{current} may move to {allowed}, not {wanted}",
                                 code="invalid_transition")


def check_required(changes: dict[str, Any]) -> None:
    for name in REQUIRED:
        if name in changes and changes[name] is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")


def raised(priority: str) -> str:
    """One step more urgent (urgent stays urgent)."""
    position = PRIORITIES.index(priority) if priority in PRIORITIES else 1
    return PRIORITIES[min(position + 1, len(PRIORITIES) - 1)]


def apply(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The document after a merge-patch (null removes), and the fields that changed."""
    updated = dict(current)
    changed = []
    for name, value in changes.items():
        if updated.get(name) != value:
            changed.append(name)
        updated[name] = value
    return {k: v for k, v in updated.items() if v is not None}, sorted(changed)


def holder(doc: dict[str, Any]) -> str | None:
    """The agent whose open-ticket count this ticket adds to (least_open routing)."""
    return doc.get("assignee_id") if doc.get("status") in UNRESOLVED else None
