"""Which events notify whom, and what the notice says: plain Python, no storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TYPES = ("assigned", "mention", "sla", "sla_at_risk", "task_due", "approval")


@dataclass(frozen=True)
class Notice:
    type: str
    title: str
    body: str | None
    link: dict[str, str] | None


def _others(user_ids: list[str | None], actor: str) -> list[str]:
    """Distinct recipients, never the person who caused the event (no self-notices)."""
    seen: list[str] = []
    for user_id in user_ids:
        if user_id and user_id.startswith("usr_") and user_id not in seen \
                and actor != f"user:{user_id}":
            seen.append(user_id)
    return seen


def _title(record: dict[str, Any], *keys: str) -> str:
    for key in keys:
        if record.get(key):
            return str(record[key])[:200]
    return ""


def notices(detail_type: str, data: dict[str, Any],
            actor: str) -> tuple[Notice, list[str]] | None:
    """The notice an event makes and its recipients (None: the event notifies no one)."""
    if detail_type == "LeadAssigned":
        return Notice("assigned", "A lead was assigned to you", None,
                      {"type": "lead", "id": data["lead_id"]}), _others([data["owner_id"]], actor)
    if detail_type == "TicketAssigned":
        ticket = data.get("ticket") or {}
        return Notice("assigned", "A ticket was assigned to you",
                      _title(ticket, "subject"), {"type": "ticket", "id": data["ticket_id"]}), \
            _others([data.get("assignee_id")], actor)
    if detail_type == "UserMentioned":
        return Notice("mention", "You were mentioned", data.get("excerpt") or None,
                      {"type": data["record_type"], "id": data["record_id"],
                       **({"parent_id": data["parent_id"]} if data.get("parent_id") else {})}), \
            _others([*data["user_ids"]], f"user:{data.get('author_id')}")
    if detail_type == "SlaBreached":
        ticket = data.get("ticket") or {}
        target = str(data.get("target", "")).replace("_", " ")
        return Notice("sla", f"SLA breached: {target}", _title(ticket, "subject"),
                      {"type": "ticket", "id": data["ticket_id"]}), \
            _others([*data.get("notify_user_ids", [])], "system")
    if detail_type == "TicketSlaAtRisk":
        # the assignee; with nobody assigned, the ticket team's manager (`team_manager_id`,
        # looked up by the caller: this module reads nothing)
        ticket = data.get("ticket") or {}
        target = str(data.get("target", "")).replace("_", " ")
        return Notice("sla_at_risk", f"SLA at risk: {target} due soon",
                      _title(ticket, "subject"), {"type": "ticket", "id": data["ticket_id"]}), \
            _others([data.get("assignee_id") or data.get("team_manager_id")], "system")
    if detail_type == "TaskDue":
        task = data.get("task") or {}
        return Notice("task_due", "A task is due", _title(task, "title", "subject"),
                      {"type": "task", "id": data["task_id"]}), \
            _others([data.get("assignee_id")], "system")
    if detail_type == "ApprovalRequested":
        return Notice("approval", "An approval is waiting for you", data.get("reason"),
                      {"type": "approval", "id": data["approval_id"]}), \
            _others([data.get("approver_id")], actor)
    return None


def wants(types: dict[str, Any], notice_type: str, channel: str = "in_app") -> bool:
    """A user's preference for a type and channel (`in_app`, `digest`): on by default
    (the digest itself is off until the user turns it on)."""
    return bool((types.get(notice_type) or {}).get(channel, True))


def notification_id_for(event_id: str) -> str:
    """One notice per event and recipient: the id is the event's ULID, in each inbox."""
    return "ntf_" + event_id.split("_", 1)[-1]
