"""The only code that knows task keys.

- the record `T#<t>#TASK#<tsk>` / `TASK`;
- GSI1, open tasks by assignee and due time: `T#<t>#TASKS#OPEN#<usr>` / `<due_at|~>#<tsk>`
  (no due date sorts last); GSI2, completed ones by completion: `..#DONE#<usr>`;
- GSI3/GSI4/GSI5 by linked lead, contact, opportunity: `T#<t>#TASKS#<KIND>#<id>`;
- DUE (sparse) while a reminder is pending, for the `remind_tasks` job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.tasks.models import TaskItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

RECORD = "TASK"
JOB = "remind_tasks"
NO_DUE = "~"
LINK_INDEXES = {"lead_id": (3, "LEAD"), "contact_id": (4, "CONTACT"),
                "opportunity_id": (5, "OPPORTUNITY")}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "TASKS", *parts)


def index_record(item: TaskItem, remind_at: datetime | None) -> None:
    doc, tenant_id = item.doc, item.tenant_id
    assignee = doc.get("assignee_id") or "none"
    if doc.get("completed"):
        item.GSI1PK = item.GSI1SK = None
        item.GSI2PK = _pk(tenant_id, "DONE", assignee)
        item.GSI2SK = f"{doc.get('completed_at')}#{item.task_id}"
    else:
        item.GSI1PK = _pk(tenant_id, "OPEN", assignee)
        item.GSI1SK = f"{doc.get('due_at') or NO_DUE}#{item.task_id}"
        item.GSI2PK = item.GSI2SK = None
    links = doc.get("links") or {}
    for field, (number, part) in LINK_INDEXES.items():
        value = links.get(field)
        setattr(item, f"GSI{number}PK", _pk(tenant_id, part, value) if value else None)
        setattr(item, f"GSI{number}SK", f"{item.created_at}#{item.task_id}" if value else None)
    due = due_fields(JOB, remind_at, tenant_id, item.task_id) if remind_at else {}
    item.DUEPK, item.DUESK = due.get("DUEPK"), due.get("DUESK")


def new_record(tenant_id: str, task_id: str, doc: dict[str, Any], now: str) -> TaskItem:
    return TaskItem(PK=tenant_key(tenant_id, "TASK", task_id), SK=RECORD, task_id=task_id,
                    tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)


def get(tenant_id: str, task_id: str, consistent: bool = False) -> TaskItem | None:
    try:
        return TaskItem.get(tenant_key(tenant_id, "TASK", task_id), RECORD,
                            consistent_read=consistent)
    except TaskItem.DoesNotExist:
        return None


def list_by_assignee(tenant_id: str, assignee: str, completed: bool, due_before: str | None,
                     limit: int, cursor: str | None) -> tuple[list[TaskItem], str | None]:
    """Open tasks by due time (soonest first), or completed ones (latest first)."""
    if completed:
        pk = _pk(tenant_id, "DONE", assignee)
        return query_page(lambda **kw: TaskItem.gsi2.query(pk, scan_index_forward=False, **kw),
                          f"{pk}:tasks", cursor, limit)
    pk = _pk(tenant_id, "OPEN", assignee)
    condition = due_before > TaskItem.GSI1SK if due_before else None
    return query_page(lambda **kw: TaskItem.gsi1.query(pk, condition, **kw),
                      f"{pk}:{due_before}:tasks", cursor, limit)


def list_by_link(tenant_id: str, field: str, value: str, limit: int,
                 cursor: str | None) -> tuple[list[TaskItem], str | None]:
    number, part = LINK_INDEXES[field]
    pk = _pk(tenant_id, part, value)
    index = getattr(TaskItem, f"gsi{number}")
    return query_page(lambda **kw: index.query(pk, **kw), f"{pk}:tasks", cursor, limit)


def due_reminders(limit: int = 100) -> list[TaskItem]:
    return due_items(TaskItem, JOB, limit)
