"""Return routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.returns import logic, repository
from chalicelib.returns.models import ReturnItem
from chalicelib.returns.schemas import ReturnCreate, ReturnFields, ReturnOut, ReturnPage
from crm_shared.auth.roles import ALL_ROLES, Role
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "returns")
AGENTS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT_AGENT})
FILTERS = {"status": None, "ticket_id": "tkt", "contact_id": "con"}
STATUSES = ("requested", "approved", "rejected", "received", "refunded", "replaced")


def shown(item: ReturnItem, status: int | None = None) -> Reply:
    body = ReturnOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/returns", "POST", roles=AGENTS, body=ReturnCreate, response=ReturnOut,
           status=201)
def request_return(req: ApiRequest) -> Reply:
    """Record a customer's return on their ticket (the ticket shows it as a public note)."""
    item = logic.create(req.principal, req.tenant_id, req.body.model_dump(mode="json"))
    reply = shown(item)
    reply.headers["Location"] = f"/returns/{item.return_id}"
    return reply


@api.route("/returns", "GET", roles=ALL_ROLES, response=ReturnPage)
def list_returns(req: ApiRequest) -> ReturnPage:
    """Returns, newest first; filter by one of status, ticket_id or contact_id."""
    sent = {k: req.query[k] for k in FILTERS if req.query.get(k)}
    if len(sent) > 1:
        raise BadRequest.for_field(sorted(sent)[1], "filter by one of "
                                   + ", ".join(FILTERS) + " at a time")
    field, value = next(iter(sent.items()), (None, None))
    if field == "status" and value not in STATUSES:
        raise BadRequest.for_field("status", "must be one of " + ", ".join(STATUSES))
    prefix = FILTERS.get(field or "")
    if prefix and not str(value).startswith(prefix + "_"):
        raise BadRequest.for_field(str(field), f"must be an id starting {prefix}_")
    items, cursor = repository.list_records(req.tenant_id, parse_limit(req.query.get("limit")),
                                            req.query.get("cursor"), field, value)
    return ReturnPage(items=[ReturnOut(**logic.record(i)) for i in items], next_cursor=cursor)


@api.route("/returns/{return_id}", "GET", roles=ALL_ROLES, response=ReturnOut)
def get_return(req: ApiRequest, return_id: str) -> Reply:
    """One return with its timestamped steps: one GetItem."""
    return shown(logic.get(req.tenant_id, return_id))


@api.route("/returns/{return_id}", "PATCH", roles=AGENTS, body=ReturnFields,
           response=ReturnOut)
def update_return(req: ApiRequest, return_id: str) -> Reply:
    """Take a step (requested -> approved -> received -> refunded | replaced, or requested
    -> rejected) and/or edit; `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, return_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))
