"""Ticket routes: thin; the rules live in logic.py, comments.py and domain.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib import SERVICE
from chalicelib.tickets import comments, logic, repository
from chalicelib.tickets.models import TicketItem
from chalicelib.tickets.schemas import (
    CommentIn,
    CommentOut,
    CommentPage,
    HistoryOut,
    HistoryPage,
    TicketCreate,
    TicketFields,
    TicketOut,
    TicketPage,
)
from crm_shared import clock
from crm_shared.auth.roles import ALL_ROLES, Role
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "tickets")
AGENTS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT_AGENT})
LIST_FILTERS = ("status", "assignee_id", "team_id", "contact_id", "company_id", "priority",
                "sla")
CHOICES = {"status": ("new", "open", "pending", "on_hold", "resolved", "closed"),
           "priority": ("low", "normal", "high", "urgent"), "sla": ("breached", "at_risk")}
PREFIXES = {"assignee_id": "usr", "team_id": "tea", "contact_id": "con", "company_id": "cmp"}


def shown(item: TicketItem, status: int | None = None) -> Reply:
    body = TicketOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/tickets", "POST", roles=AGENTS, body=TicketCreate, response=TicketOut, status=201)
def create_ticket(req: ApiRequest) -> Reply:
    """Open a ticket; its priority defaults from its type, its SLA clock starts now."""
    item = logic.create(req.principal, req.tenant_id, req.body.model_dump(mode="json"))
    reply = shown(item)
    reply.headers["Location"] = f"/tickets/{item.ticket_id}"
    return reply


def _filter(req: ApiRequest) -> tuple[str | None, str | None, Any]:
    filters = {k: req.query[k] for k in LIST_FILTERS if req.query.get(k)}
    if len(filters) > 1:
        raise BadRequest.for_field(sorted(filters)[1], "filter by one of "
                                   + ", ".join(LIST_FILTERS) + " at a time")
    field, value = next(iter(filters.items()), (None, None))
    if field is None or value is None:
        return None, None, None
    if field == "assignee_id" and value == "me":
        value = req.principal.subject
    if field in CHOICES and value not in CHOICES[field]:
        raise BadRequest.for_field(field, "must be one of " + ", ".join(CHOICES[field]))
    if field in PREFIXES and not value.startswith(PREFIXES[field] + "_"):
        raise BadRequest.for_field(field, f"must be an id starting {PREFIXES[field]}_")
    if field != "sla":
        return field, value, None
    if value == "breached":
        return "sla", "breached", None
    raw = req.query.get("within_minutes", "60")
    if not raw.isdigit() or not 1 <= int(raw) <= 10_080:
        raise BadRequest.for_field("within_minutes", "must be 1..10080")
    horizon = clock.iso(clock.now() + timedelta(minutes=int(raw)))
    return "sla", "running", repository.sla_sort_key(3) <= horizon + "~"


@api.route("/tickets", "GET", roles=ALL_ROLES, response=TicketPage)
def list_tickets(req: ApiRequest) -> TicketPage:
    """A page of tickets, newest first; filter by one of status, assignee_id (`me`),
    team_id, contact_id, company_id, priority, or sla=breached|at_risk (due within
    `within_minutes`, default 60, soonest first)."""
    field, value, condition = _filter(req)
    items, cursor = repository.list_records(req.tenant_id, parse_limit(req.query.get("limit")),
                                            req.query.get("cursor"), field, value, condition)
    records = [logic.record(i) for i in items if logic.may_see(req.principal, i.doc)]
    return TicketPage(items=[TicketOut(**r) for r in records], next_cursor=cursor)


@api.route("/tickets/{ticket_id}", "GET", roles=ALL_ROLES, response=TicketOut)
def get_ticket(req: ApiRequest, ticket_id: str) -> Reply:
    """Read a ticket with its SLA due times: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, ticket_id))


@api.route("/tickets/{ticket_id}", "PATCH", roles=AGENTS, body=TicketFields, response=TicketOut)
def update_ticket(req: ApiRequest, ticket_id: str) -> Reply:
    """Change the fields sent (null clears); the status follows the transition table;
    `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, ticket_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route("/tickets/{ticket_id}", "DELETE", roles=frozenset({Role.ADMIN, Role.MANAGER}),
           status=204)
def delete_ticket(req: ApiRequest, ticket_id: str) -> None:
    """Delete a ticket (admins and managers; agents resolve or close instead)."""
    logic.delete(req.principal, req.tenant_id, ticket_id)


@api.route("/tickets/{ticket_id}/comments", "POST", roles=AGENTS, body=CommentIn,
           response=CommentOut, status=201)
def add_comment(req: ApiRequest, ticket_id: str) -> CommentOut:
    """Reply publicly or leave an internal note; attachments are contacts-service file ids."""
    item = comments.add(req.principal, req.tenant_id, ticket_id, req.body)
    return CommentOut(**comments.shown(item))


@api.route("/tickets/{ticket_id}/comments", "GET", roles=ALL_ROLES, response=CommentPage)
def list_comments(req: ApiRequest, ticket_id: str) -> CommentPage:
    """The ticket's comments, oldest first."""
    item = logic.get(req.principal, req.tenant_id, ticket_id)
    found, cursor = repository.comments(req.tenant_id, item.ticket_id,
                                        parse_limit(req.query.get("limit")),
                                        req.query.get("cursor"))
    return CommentPage(items=[CommentOut(**comments.shown(c)) for c in found],
                       next_cursor=cursor)


@api.route("/tickets/{ticket_id}/history", "GET", roles=ALL_ROLES, response=HistoryPage)
def ticket_history(req: ApiRequest, ticket_id: str) -> HistoryPage:
    """Every status change of the ticket, oldest first."""
    item = logic.get(req.principal, req.tenant_id, ticket_id)
    found, cursor = repository.history(req.tenant_id, item.ticket_id,
                                       parse_limit(req.query.get("limit")),
                                       req.query.get("cursor"))
    return HistoryPage(items=[HistoryOut(entry_id=h.entry_id, from_status=h.from_status,
                                         to_status=h.to_status, at=h.at, by=h.by)
                              for h in found], next_cursor=cursor)
