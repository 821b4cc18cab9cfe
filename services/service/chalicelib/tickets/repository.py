"""The only code that knows ticket keys.

- the record `T#<t>#TICKET#<tkt>` / `TICKET`, listed newest first on GSI1 (`T#<t>#TICKETS`),
  GSI2 by status, GSI3 by assignee, GSI4 by team, GSI5 by contact (erasure and merge find a
  person's tickets by it); DUE holds its next SLA due time (the sweep's sparse index);
- its shadow `...` / `SHADOW`: GSI1 by company, GSI2 by priority, GSI3 by SLA state
  (`..#SLA#breached` by breach time, `..#SLA#running` by next due time);
- comments `...` / `COMMENT#<cmt>` and status history `...` / `HISTORY#<at>#<hst>`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib import SERVICE
from chalicelib.sla.clock import parse
from chalicelib.tickets.models import CommentItem, HistoryItem, TicketItem, TicketShadowItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields
from crm_shared.unit_of_work import UnitOfWork

RECORD, SHADOW, COMMENT, HISTORY = "TICKET", "SHADOW", "COMMENT#", "HISTORY#"
SLA_JOB = "sla"
# list filter -> (model, index number, key part)
RECORD_LISTS = {"status": 2, "assignee_id": 3, "team_id": 4, "contact_id": 5}
SHADOW_LISTS = {"company_id": 1, "priority": 2, "sla": 3}
KEY_PARTS = {"status": "STATUS", "assignee_id": "ASSIGNEE", "team_id": "TEAM",
             "contact_id": "CONTACT", "company_id": "COMPANY", "priority": "PRIORITY",
             "sla": "SLA"}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def ticket_pk(tenant_id: str, ticket_id: str) -> str:
    return tenant_key(tenant_id, "TICKET", ticket_id)


def list_pk(tenant_id: str, field: str | None = None, value: str | None = None) -> str:
    if field is None or value is None:
        return tenant_key(tenant_id, "TICKETS")
    return tenant_key(tenant_id, "TICKETS", KEY_PARTS[field], value)


def sla_list(state: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """(value, sort key) of the ticket on the SLA list: breached by breach time, running by
    its next due time, else none."""
    if not state:
        return None, None
    if state.get("first_response_breached") or state.get("resolution_breached"):
        return "breached", str(state.get("breached_at") or "")
    due = [str(state[f"{t}_due"]) for t in ("first_response", "resolution")
           if state.get(f"{t}_due") and not state.get(f"{t}_met")]
    if state.get("running_since") and due:
        return "running", str(min(due))
    return None, None


def index(item: TicketItem, next_due: str | None) -> TicketShadowItem:
    """Set the record's list and due keys; return its shadow with the other three lists."""
    tenant_id, doc = item.tenant_id, item.doc
    sort = f"{item.created_at}#{item.ticket_id}"
    item.GSI1PK, item.GSI1SK = list_pk(tenant_id), sort
    for field, number in RECORD_LISTS.items():
        value = doc.get(field)
        setattr(item, f"GSI{number}PK", list_pk(tenant_id, field, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)
    due = due_fields(SLA_JOB, parse(next_due), tenant_id, item.ticket_id) if next_due else {}
    item.DUEPK, item.DUESK = due.get("DUEPK"), due.get("DUESK")
    shadow = TicketShadowItem(PK=item.PK, SK=SHADOW, ticket_id=item.ticket_id,
                              tenant_id=tenant_id, doc=doc, created_at=item.created_at,
                              updated_at=item.updated_at,
                              version=(item.version or 0) + 1)
    for field, number in SHADOW_LISTS.items():
        if field == "sla":
            value, key = sla_list(doc.get("sla_state"))
            key = f"{key}#{item.ticket_id}" if value else None
        else:
            value, key = doc.get(field), sort
        setattr(shadow, f"GSI{number}PK", list_pk(tenant_id, field, value) if value else None)
        setattr(shadow, f"GSI{number}SK", key if value else None)
    return shadow


def new_record(tenant_id: str, ticket_id: str, doc: dict[str, Any], now: str) -> TicketItem:
    return TicketItem(PK=ticket_pk(tenant_id, ticket_id), SK=RECORD, ticket_id=ticket_id,
                      tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)


def get(tenant_id: str, ticket_id: str, consistent: bool = False) -> TicketItem | None:
    try:
        return TicketItem.get(ticket_pk(tenant_id, ticket_id), RECORD, consistent_read=consistent)
    except TicketItem.DoesNotExist:
        return None


def stage_save(uow: UnitOfWork, item: TicketItem, next_due: str | None, create: bool) -> None:
    """The record (version-checked) and its shadow in the caller's transaction."""
    shadow = index(item, next_due)
    if create:
        uow.put(item, TicketItem.PK.does_not_exist(), label="ticket")
    else:
        uow.put(item, label="version")
    uow.put(shadow, label="ticket_shadow")


def stage_delete(uow: UnitOfWork, item: TicketItem) -> None:
    uow.delete(item, label="version")
    uow.delete(TicketShadowItem(PK=item.PK, SK=SHADOW), label="ticket_shadow")


def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None,
                 condition: Any = None) -> tuple[list[Any], str | None]:
    """A page of tickets on the index for `field` (all tickets when None), newest first;
    the SLA list is ordered by due or breach time, soonest first."""
    pk = list_pk(tenant_id, field, value)
    if field in SHADOW_LISTS:
        number, model = SHADOW_LISTS[field], TicketShadowItem
    else:
        number, model = RECORD_LISTS.get(field or "", 1), TicketItem
    idx = getattr(model, f"gsi{number}")
    forward = field == "sla"
    query: Callable[..., Any] = lambda **kw: idx.query(  # noqa: E731
        pk, condition, scan_index_forward=forward, **kw)
    return query_page(query, f"{pk}:tickets", cursor, limit)


def sla_sort_key(number: int) -> Any:
    return getattr(TicketShadowItem, f"GSI{number}SK")


def by_contact(tenant_id: str, contact_id: str, limit: int = 50) -> list[TicketItem]:
    """Tickets of a contact (one Query on GSI5, up to `limit`)."""
    items, _ = list_records(tenant_id, limit, None, "contact_id", contact_id)
    return items


# -- comments and history -------------------------------------------------------------

def new_comment(tenant_id: str, ticket_id: str, comment_id: str, **fields: Any) -> CommentItem:
    return CommentItem(PK=ticket_pk(tenant_id, ticket_id), SK=COMMENT + comment_id,
                       comment_id=comment_id, ticket_id=ticket_id, **fields)


def comments(tenant_id: str, ticket_id: str, limit: int,
             cursor: str | None) -> tuple[list[CommentItem], str | None]:
    pk = ticket_pk(tenant_id, ticket_id)
    return query_page(lambda **kw: CommentItem.query(pk, CommentItem.SK.startswith(COMMENT),
                                                     **kw), f"{pk}:comments", cursor, limit)


def new_history(tenant_id: str, ticket_id: str, entry_id: str, at: str, **fields: Any
                ) -> HistoryItem:
    return HistoryItem(PK=ticket_pk(tenant_id, ticket_id), SK=f"{HISTORY}{at}#{entry_id}",
                       entry_id=entry_id, ticket_id=ticket_id, at=at, **fields)


def history(tenant_id: str, ticket_id: str, limit: int,
            cursor: str | None) -> tuple[list[HistoryItem], str | None]:
    pk = ticket_pk(tenant_id, ticket_id)
    return query_page(lambda **kw: HistoryItem.query(pk, HistoryItem.SK.startswith(HISTORY),
                                                     **kw), f"{pk}:history", cursor, limit)
