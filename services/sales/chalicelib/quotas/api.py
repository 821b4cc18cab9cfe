"""Quota routes: thin; managers and admins set targets, everyone reads them."""

from __future__ import annotations

import re

from chalicelib import SERVICE
from chalicelib.quotas import logic, repository
from chalicelib.quotas.models import QuotaItem
from chalicelib.quotas.schemas import PERIOD, QuotaCreate, QuotaFields, QuotaOut, QuotaPage
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "quotas")
FILTERS = ("owner_id", "team_id", "period")


def shown(item: QuotaItem, status: int | None = None) -> Reply:
    body = QuotaOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/quotas", "POST", roles=MANAGERS, body=QuotaCreate, response=QuotaOut, status=201)
def create_quota(req: ApiRequest) -> Reply:
    """A quota for one user or team in one month or quarter; a second one is 409 (period)."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/quotas/{item.quota_id}"
    return reply


@api.route("/quotas", "GET", roles=ALL_ROLES, response=QuotaPage)
def list_quotas(req: ApiRequest) -> QuotaPage:
    """A page of quotas: of one owner_id, team_id or period, or all, ordered by period."""
    sent = {k: req.query[k] for k in FILTERS if req.query.get(k)}
    if len(sent) > 1:
        raise BadRequest.for_field(sorted(sent)[1], "filter by one of owner_id, team_id or "
                                   "period at a time")
    name, value = next(iter(sent.items()), (None, None))
    if name == "period" and not re.match(PERIOD, str(value)):
        raise BadRequest.for_field("period", 'must be a month ("2026-11") or a quarter '
                                   '("2026-Q4")')
    kind = {"owner_id": "owner", "team_id": "team", "period": "period"}.get(name or "")
    items, cursor = repository.page(req.tenant_id, kind, value,
                                    parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return QuotaPage(items=[QuotaOut(**logic.record(i)) for i in items], next_cursor=cursor)


@api.route("/quotas/{quota_id}", "GET", roles=ALL_ROLES, response=QuotaOut)
def get_quota(req: ApiRequest, quota_id: str) -> Reply:
    return shown(logic.get(req.tenant_id, quota_id))


@api.route("/quotas/{quota_id}", "PATCH", roles=MANAGERS, body=QuotaFields, response=QuotaOut)
def update_quota(req: ApiRequest, quota_id: str) -> Reply:
    """Change the amount or the period (If-Match honoured)."""
    return shown(logic.update(req.tenant_id, quota_id, req.body, req.if_match()))


@api.route("/quotas/{quota_id}", "DELETE", roles=MANAGERS, status=204)
def delete_quota(req: ApiRequest, quota_id: str) -> None:
    logic.delete(req.tenant_id, quota_id)
