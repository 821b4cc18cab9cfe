"""Lead routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.leads import logic, repository
from chalicelib.leads.models import LeadItem
from chalicelib.leads.schemas import LeadCreate, LeadFields, LeadOut, LeadPage
from crm_shared.auth.roles import ALL_ROLES, WRITERS, visibility
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "leads")
LIST_FILTERS = ("owner_id", "status", "source")


def shown(item: LeadItem, status: int | None = None) -> Reply:
    body = LeadOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/leads", "POST", roles=WRITERS, body=LeadCreate, response=LeadOut, status=201)
def create_lead(req: ApiRequest) -> Reply:
    """Create a lead. An email another open lead has is flagged (`duplicate_of`), or a 409
    naming `email` with `?on_duplicate=reject`."""
    mode = req.query.get("on_duplicate", "flag")
    if mode not in {"flag", "reject"}:
        raise BadRequest.for_field("on_duplicate", "must be flag or reject")
    item = logic.create(req.principal, req.tenant_id,
                        req.body.model_dump(mode="json", exclude_none=True),
                        reject_duplicate=mode == "reject")
    reply = shown(item)
    reply.headers["Location"] = f"/leads/{item.lead_id}"
    return reply


@api.route("/leads", "GET", roles=ALL_ROLES, response=LeadPage)
def list_leads(req: ApiRequest) -> LeadPage:
    """A page of leads, newest first; filter by one of owner_id (`me` for yourself), status,
    source."""
    filters = {k: req.query[k] for k in LIST_FILTERS if req.query.get(k)}
    if len(filters) > 1:
        raise BadRequest.for_field(sorted(filters)[1], "filter by one of owner_id, status or "
                                   "source at a time")
    field, value = next(iter(filters.items()), (None, None))
    if field == "owner_id" and value == "me":
        value = req.principal.subject
    if field == "status" and value not in {"new", "working", "qualified", "disqualified",
                                           "converted"}:
        raise BadRequest.for_field("status", "must be new, working, qualified, disqualified "
                                   "or converted")
    items, cursor = repository.list_records(req.tenant_id, parse_limit(req.query.get("limit")),
                                            req.query.get("cursor"), field, value)
    seen = visibility(req.principal)
    records = [logic.record(i) for i in items]
    return LeadPage(items=[LeadOut(**r) for r in records
                           if seen.allows(r.get("owner_id"), r.get("team_id"))
                           or r.get("created_by") == req.principal.subject],
                    next_cursor=cursor)


@api.route("/leads/{lead_id}", "GET", roles=ALL_ROLES, response=LeadOut)
def get_lead(req: ApiRequest, lead_id: str) -> Reply:
    """Read a lead: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, lead_id))


@api.route("/leads/{lead_id}", "PATCH", roles=WRITERS, body=LeadFields, response=LeadOut)
def update_lead(req: ApiRequest, lead_id: str) -> Reply:
    """Change the fields sent (null clears); status moves new -> working -> qualified |
    disqualified; `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, lead_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route("/leads/{lead_id}", "DELETE", roles=WRITERS, status=204)
def delete_lead(req: ApiRequest, lead_id: str) -> None:
    """Delete a lead and free its email."""
    logic.delete(req.principal, req.tenant_id, lead_id)
