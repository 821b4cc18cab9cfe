"""Opportunity routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib import SERVICE
from chalicelib.opportunities import logic, repository
from chalicelib.opportunities.schemas import (
    HistoryPage,
    OpportunityCreate,
    OpportunityFields,
    OpportunityOut,
    OpportunityPage,
    StageEntry,
)
from crm_shared.auth.roles import ALL_ROLES, Role
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "opportunities")
DEAL_WRITERS: frozenset[str] = frozenset({Role.ADMIN, Role.MANAGER, Role.SALES_REP})
FILTERS = ("owner_id", "team_id", "pipeline_id", "company_id", "contact_id",
           "expected_close_from")


def shown(record: dict[str, Any], status: int | None = None) -> Reply:
    body = OpportunityOut(**record)
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


def _date(req: ApiRequest, name: str) -> str | None:
    raw = req.query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise BadRequest.for_field(name, "must be a date (YYYY-MM-DD)") from None


@api.route("/opportunities", "POST", roles=DEAL_WRITERS, body=OpportunityCreate,
           response=OpportunityOut, status=201)
def create_opportunity(req: ApiRequest) -> Reply:
    """Create a deal (owner: the caller unless given; pipeline: the default unless given)."""
    record = logic.create(req.principal, req.tenant_id, req.body)
    reply = shown(record)
    reply.headers["Location"] = f"/opportunities/{record['opportunity_id']}"
    return reply


@api.route("/opportunities", "GET", roles=ALL_ROLES, response=OpportunityPage)
def list_opportunities(req: ApiRequest) -> OpportunityPage:
    """A page of deals, newest change first, filtered by one of owner_id, team_id,
    pipeline_id (and stage), company_id, contact_id, or an expected close date range
    (expected_close_from / expected_close_to, soonest first)."""
    limit, cursor = parse_limit(req.query.get("limit")), req.query.get("cursor")
    start, end = _date(req, "expected_close_from"), _date(req, "expected_close_to")
    used = [f for f in FILTERS if req.query.get(f)]
    if end and "expected_close_from" not in used:
        used.append("expected_close_from")
    if len(used) > 1:
        raise BadRequest.for_field(used[1], "filter by one of owner_id, team_id, pipeline_id, "
                                   "company_id, contact_id or expected close dates at a time")
    stage = req.query.get("stage")
    if stage and used != ["pipeline_id"]:
        raise BadRequest.for_field("stage", "filter by stage together with pipeline_id")
    if start and end and end < start:
        raise BadRequest.for_field("expected_close_to", "is before expected_close_from")
    field = used[0] if used else None
    if field == "pipeline_id":
        pipeline, found = logic.pipeline_filter(req.tenant_id, req.query["pipeline_id"], stage)
        items, cursor = repository.list_in_pipeline(req.tenant_id, pipeline, found, limit,
                                                    cursor)
        records = [logic.record(i) for i in items]
    elif field == "expected_close_from":
        items, cursor = repository.list_closing(req.tenant_id, start, end, limit, cursor)
        records = [logic.record(i) for i in items]
    elif field in ("company_id", "contact_id"):
        links, cursor = repository.links(req.tenant_id, req.query[field], limit, cursor)
        records = [dict(link.record) for link in links]
    else:
        items, cursor = repository.list_records(req.tenant_id, limit, cursor, field,
                                                req.query.get(field) if field else None)
        records = [logic.record(i) for i in items if not i.deleted]
    seen = logic.seen_by(req.principal)
    return OpportunityPage(items=[OpportunityOut(**r) for r in records
                                  if seen.allows(r.get("owner_id"), r.get("team_id"))],
                           next_cursor=cursor)


@api.route("/opportunities/{opportunity_id}", "GET", roles=ALL_ROLES, response=OpportunityOut)
def get_opportunity(req: ApiRequest, opportunity_id: str) -> Reply:
    """Read a deal: one GetItem."""
    return shown(logic.record(logic.get(req.principal, req.tenant_id, opportunity_id)))


@api.route("/opportunities/{opportunity_id}", "PATCH", roles=DEAL_WRITERS,
           body=OpportunityFields, response=OpportunityOut)
def update_opportunity(req: ApiRequest, opportunity_id: str) -> Reply:
    """Change the fields sent (null clears); a stage change is recorded in its history.
    `If-Match` makes it conditional (a stale one is a 412)."""
    return shown(logic.update(req.principal, req.tenant_id, opportunity_id, req.body,
                              req.if_match()))


@api.route("/opportunities/{opportunity_id}", "DELETE", roles=DEAL_WRITERS, status=204)
def delete_opportunity(req: ApiRequest, opportunity_id: str) -> None:
    """Delete a deal; a tombstone stays for sync clients for 30 days."""
    logic.delete(req.principal, req.tenant_id, opportunity_id, req.if_match())


@api.route("/opportunities/{opportunity_id}/history", "GET", roles=ALL_ROLES,
           response=HistoryPage)
def opportunity_history(req: ApiRequest, opportunity_id: str) -> HistoryPage:
    """The deal's stays per stage, oldest first: entered_at, exited_at and duration_seconds
    (the current stage has no exit yet)."""
    logic.get(req.principal, req.tenant_id, opportunity_id)
    entries, cursor = repository.history(req.tenant_id, opportunity_id,
                                         parse_limit(req.query.get("limit")),
                                         req.query.get("cursor"))
    return HistoryPage(items=[StageEntry(
        pipeline_id=e.pipeline_id, stage=e.stage, stage_kind=e.stage_kind,
        entered_at=e.entered_at, exited_at=e.exited_at,
        duration_seconds=int(e.duration_seconds) if e.duration_seconds is not None else None)
        for e in entries], next_cursor=cursor)
