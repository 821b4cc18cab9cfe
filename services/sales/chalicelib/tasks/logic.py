"""Task use cases: create (also inside another feature's transaction), read, patch, complete,
delete, and announce reminders exactly once.

A pending reminder puts the task on the sparse DUE index at `due_at - remind_before_minutes`;
the job clears it and emits TaskDue in one transaction, so a reminder is sent once, and a
new due time schedules a new one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from chalicelib.chunks import every_page, in_chunks
from chalicelib.directory import logic as directory
from chalicelib.leads import repository as leads
from chalicelib.tasks import repository
from chalicelib.tasks.models import TaskItem
from chalicelib.tasks.schemas import TaskOut
from crm_shared import clock
from crm_shared.auth.roles import MANAGERS
from crm_shared.context import Principal
from crm_shared.errors import NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.sales_events import TaskCompleted, TaskCreated, TaskDue
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import UnitOfWork

LINK_PAGE = 100  # tasks read per Query of a link index
CHUNK = 90  # tasks per transaction of their own (1 item each)
ERASED = "[erased]"  # in place of an erased person's name, email or phone in a task's text
TEXT_LIMITS = {"title": 300, "notes": 10_000}


def record(item: TaskItem) -> dict[str, Any]:
    """The task as the API (and its events) show it."""
    remind = remind_at(item.doc)
    return TaskOut(**{**item.doc, "task_id": item.task_id,
                      "remind_at": clock.iso(remind) if remind else None,
                      "created_at": item.created_at, "updated_at": item.updated_at,
                      "version": item.version or 0}).model_dump(mode="json")


def remind_at(doc: dict[str, Any]) -> datetime | None:
    """When the assignee hears of an open task: its due time minus the reminder offset."""
    if doc.get("completed") or not doc.get("due_at"):
        return None
    due = datetime.fromisoformat(str(doc["due_at"]).replace("Z", "+00:00"))
    return due - timedelta(minutes=int(doc.get("remind_before_minutes") or 0))


def _index(item: TaskItem) -> None:
    """Lists, and the DUE entry unless this reminder was already announced."""
    when = remind_at(item.doc)
    pending = when if when and clock.iso(when) != item.reminded_for else None
    repository.index_record(item, pending)


def may_see(principal: Principal, item: TaskItem) -> bool:
    """Admins and managers see every task; others those assigned to or created by them."""
    if principal.kind != "user" or principal.roles & MANAGERS:
        return True
    return principal.subject in {item.doc.get("assignee_id"), item.doc.get("created_by")}


def get(principal: Principal, tenant_id: str, task_id: str, consistent: bool = False) -> TaskItem:
    item = repository.get(tenant_id, task_id, consistent) if is_id(task_id, "tsk") else None
    if item is None or not may_see(principal, item):
        raise NotFound("no such task")
    return item


def _normalized(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Times in the API's ISO form; the assignee and linked lead must exist in the tenant."""
    out = dict(fields)
    if out.get("due_at") is not None:
        out["due_at"] = clock.iso(out["due_at"]) if isinstance(out["due_at"], datetime) else \
            clock.iso(datetime.fromisoformat(str(out["due_at"]).replace("Z", "+00:00")))
    if out.get("assignee_id") and directory.user(tenant_id, out["assignee_id"]) is None:
        raise ValidationFailed.for_field("assignee_id", "no such user in this tenant")
    if "links" in out:
        links = {k: v for k, v in (out["links"] or {}).items() if v}
        lead_id = links.get("lead_id")
        if lead_id and leads.get(tenant_id, lead_id) is None:
            raise ValidationFailed.for_field("links.lead_id", "no such lead")
        out["links"] = links
    return out


def create_in(uow: UnitOfWork, tenant_id: str, fields: dict[str, Any],
              created_by: str | None = None, task_id: str | None = None) -> dict[str, Any]:
    """Stage a task and TaskCreated in another feature's transaction; returns the record.

    `fields` are trusted (already checked by the caller): type, title, due_at (ISO),
    assignee_id, remind_before_minutes, notes, links.
    """
    doc = {k: v for k, v in fields.items() if v is not None}
    doc.setdefault("type", "todo")
    doc["completed"] = bool(doc.get("completed"))
    if doc["completed"]:
        doc["completed_at"] = clock.iso()
    if created_by:
        doc["created_by"] = created_by
    item = repository.new_record(tenant_id, task_id or new_id("tsk"), doc, clock.iso())
    _index(item)
    uow.put(item, TaskItem.PK.does_not_exist(), label="task")
    shown = record(item) | {"version": 1}
    uow.emit(TaskCreated(task_id=item.task_id, task=shown), tenant_id)
    if doc["completed"]:
        uow.emit(TaskCompleted(task_id=item.task_id, task=shown), tenant_id)
    return shown


def create(principal: Principal, tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    doc = _normalized(tenant_id, fields)
    if not doc.get("assignee_id") and principal.kind == "user":
        doc["assignee_id"] = principal.subject
    uow = repository.unit_of_work()
    shown = create_in(uow, tenant_id, doc, created_by=principal.subject)
    uow.commit()
    return shown


def stage_save(uow: UnitOfWork, item: TaskItem, changes: dict[str, Any]) -> list[str]:
    """Stage a merge-patch of the task (completion stamps, reminder, events)."""
    before = dict(item.doc)
    after = {**before, **changes}
    if changes.get("completed") and not before.get("completed"):
        after["completed_at"] = clock.iso()
    elif "completed" in changes and not changes["completed"]:
        after["completed"] = False
        after.pop("completed_at", None)
    after = {k: v for k, v in after.items() if v is not None and v != {}}
    after["completed"] = bool(after.get("completed"))
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        return []
    item.doc = after
    item.updated_at = clock.iso()
    _index(item)
    uow.put(item, label="version")
    if after["completed"] and not before.get("completed"):
        uow.emit(TaskCompleted(task_id=item.task_id,
                               task=record(item) | {"version": (item.version or 0) + 1}),
                 item.tenant_id)
    return changed


def update(principal: Principal, tenant_id: str, task_id: str, fields: dict[str, Any],
           if_match: int | None) -> TaskItem:
    item = get(principal, tenant_id, task_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the task changed since you read it", code="version_mismatch")
    for required in ("title", "type"):
        if required in fields and fields[required] is None:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    uow = repository.unit_of_work()
    if stage_save(uow, item, _normalized(tenant_id, fields)):
        uow.commit()
    return item


def delete(principal: Principal, tenant_id: str, task_id: str) -> None:
    item = get(principal, tenant_id, task_id, consistent=True)
    uow = repository.unit_of_work()
    uow.delete(item, TaskItem.version == item.version, label="version")
    uow.commit()


def remind_due(limit: int = 100) -> int:
    """Scheduled: announce every reminder whose time came (TaskDue), each exactly once."""
    sent = 0
    for item in repository.due_reminders(limit):
        when = remind_at(item.doc)
        if when is None:  # completed meanwhile and not yet re-indexed: just drop the entry
            item.DUEPK = item.DUESK = None
            _commit_quietly(item, None)
            continue
        item.reminded_for = clock.iso(when)
        repository.index_record(item, None)
        sent += _commit_quietly(item, TaskDue(
            task_id=item.task_id, assignee_id=item.doc.get("assignee_id"),
            due_at=str(item.doc["due_at"]), remind_at=clock.iso(when),
            task=record(item) | {"version": (item.version or 0) + 1}))
    return sent


def _commit_quietly(item: TaskItem, event: TaskDue | None) -> int:
    """Clear the DUE entry (and emit) unless the task changed since the job read it."""
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    if event is not None:
        uow.emit(event, item.tenant_id, actor="system:remind_tasks")
    try:
        uow.commit()
    except PreconditionFailed:
        return 0  # edited meanwhile: the edit re-indexed it; the next run sees that
    return 1 if event is not None else 0


def _linked_to(tenant_id: str, contact_id: str) -> list[TaskItem]:
    """Every task linked to the contact: its link index, LINK_PAGE a Query."""
    return [item for item in _by_link(tenant_id, "contact_id", contact_id)
            if (item.doc.get("links") or {}).get("contact_id") == contact_id]


def repoint_contacts(uow: UnitOfWork, tenant_id: str, gone: list[str], new: str) -> int:
    """Tasks linked to merged-away contacts now link to the survivor (ContactMerged): all of
    them, in chunks of their own, none in the event's transaction (the deals', orders',
    points' and carts' handlers can already fill its 100 items). A repointed task leaves
    the old contact's index (its write is version-guarded), so a redelivery, or a retry
    after a failure part-way, finds only the tasks not yet moved."""
    items = [item for old in gone if old != new for item in _linked_to(tenant_id, old)]

    def stage(into: UnitOfWork, chunk: list[TaskItem]) -> None:
        for item in chunk:
            stage_save(into, item, {"links": {**(item.doc.get("links") or {}),
                                              "contact_id": new}})

    in_chunks(uow, items, stage, key=lambda item: item.task_id, in_event=0, chunk=CHUNK)
    return len(items)


def _by_link(tenant_id: str, field: str, value: str) -> list[TaskItem]:
    return every_page(lambda cursor: repository.list_by_link(
        tenant_id, field, value, LINK_PAGE, cursor))


def _erasure(item: TaskItem, contact_id: str, words: re.Pattern[str] | None
             ) -> dict[str, Any]:
    """What erasing the person changes in the task: the contact link, their words."""
    change: dict[str, Any] = {}
    links = dict(item.doc.get("links") or {})
    if links.get("contact_id") == contact_id:
        change["links"] = {k: v for k, v in links.items() if k != "contact_id"}
    for field, limit in TEXT_LIMITS.items():
        text = item.doc.get(field)
        if words is not None and isinstance(text, str) and words.search(text):
            change[field] = words.sub(ERASED, text)[:limit]
    return change


def erase_contact(uow: UnitOfWork, tenant_id: str, contact_id: str,
                  leads: dict[str, list[str]]) -> int:
    """GDPR erasure (ContactErased): tasks linked to the erased contact lose the link (on
    the link index too), and they and the tasks of the person's leads (`leads`: lead id to
    the name, email and phone held there) lose those in their title and notes, as in
    assignment's "First touch: <name>". The tasks stay: they are their assignee's work.

    Call it before the leads are erased, so a retry still knows what to strip. All in
    chunks of their own, none in the event's transaction (as `repoint_contacts`); each write
    is version-guarded and a changed task has left the contact's index and holds none of
    the words, so a redelivery changes none twice."""
    found = sorted({w.strip() for held in leads.values() for w in held if w.strip()},
                   key=len, reverse=True)
    words = re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in found),
                       re.IGNORECASE) if found else None
    candidates = {item.task_id: item for item in _linked_to(tenant_id, contact_id)}
    if words is not None:
        for lead_id in sorted(leads):
            for item in _by_link(tenant_id, "lead_id", lead_id):
                candidates.setdefault(item.task_id, item)
    changes = [(item, change) for item in candidates.values()
               if (change := _erasure(item, contact_id, words))]

    def stage(into: UnitOfWork, chunk: list[tuple[TaskItem, dict[str, Any]]]) -> None:
        for item, change in chunk:
            stage_save(into, item, change)

    in_chunks(uow, changes, stage, key=lambda pair: pair[0].task_id, in_event=0, chunk=CHUNK)
    return len(changes)
