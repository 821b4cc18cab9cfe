"""Order routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.orders import logic, repository
from chalicelib.orders.schemas import (
    HistoryOut,
    HistoryPage,
    OrderCreate,
    OrderFields,
    OrderOut,
    OrderPage,
)
from crm_shared.auth.roles import ALL_ROLES, WRITERS
from crm_shared.errors import BadRequest, NotFound
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.ids import is_id
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "orders")
FILTERS = {"contact_id": "con", "company_id": "cmp", "status": None}
STATUSES = ("placed", "paid", "shipped", "delivered", "cancelled", "refunded")


def shown(record: dict[str, object], status: int | None = None) -> Reply:
    return Reply(OrderOut(**record), status=status,  # type: ignore[arg-type]
                 headers={"ETag": etag(int(record["version"])),  # type: ignore[call-overload]
                          "Location": f"/orders/{record['order_id']}"})


@api.route("/orders", "POST", roles=WRITERS, body=OrderCreate, response=OrderOut, status=201)
def create_order(req: ApiRequest) -> Reply:
    """Record an order; a known (source, external_id) answers 200 with that order, or with
    `?upsert=true` applies the body to it (status only moves forward)."""
    upsert = req.query.get("upsert", "false")
    if upsert not in {"true", "false"}:
        raise BadRequest.for_field("upsert", "must be true or false")
    record, created = logic.create(req.principal, req.tenant_id,
                                   req.body.model_dump(mode="json", exclude_none=True),
                                   upsert == "true")
    return shown(record, 201 if created else 200)


@api.route("/orders", "GET", roles=ALL_ROLES, response=OrderPage)
def list_orders(req: ApiRequest) -> OrderPage:
    """Newest first; filter by one of contact_id, company_id or status (one index Query)."""
    sent = {k: req.query[k] for k in FILTERS if req.query.get(k)}
    if len(sent) > 1:
        raise BadRequest.for_field(sorted(sent)[1], "filter by one of contact_id, company_id "
                                   "or status at a time")
    field, value = next(iter(sent.items()), (None, None))
    if field == "status" and value not in STATUSES:
        raise BadRequest.for_field("status", "must be one of " + ", ".join(STATUSES))
    prefix = FILTERS.get(field or "")
    if field and prefix and not is_id(value, prefix):
        raise BadRequest.for_field(field, f"must be a {prefix}_ id")
    items, cursor = repository.list_records(req.tenant_id, field, value,
                                            parse_limit(req.query.get("limit")),
                                            req.query.get("cursor"))
    return OrderPage(items=[OrderOut(**logic.record(i)) for i in items],  # type: ignore[arg-type]
                     next_cursor=cursor)


@api.route("/orders/{order_id}", "GET", roles=ALL_ROLES, response=OrderOut)
def get_order(req: ApiRequest, order_id: str) -> Reply:
    """One GetItem."""
    return shown(logic.record(logic.get(req.tenant_id, order_id)))


@api.route("/orders/{order_id}", "PATCH", roles=WRITERS, body=OrderFields, response=OrderOut)
def update_order(req: ApiRequest, order_id: str) -> Reply:
    """Change the fields sent; a status moves forward only (409 naming status); `If-Match`
    makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, order_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route("/orders/{order_id}/history", "GET", roles=ALL_ROLES, response=HistoryPage)
def order_history(req: ApiRequest, order_id: str) -> HistoryPage:
    """The order's status changes, oldest first: one Query (an order has at least one)."""
    items, cursor = repository.history(req.tenant_id, order_id,
                                       parse_limit(req.query.get("limit")),
                                       req.query.get("cursor")) if is_id(order_id, "ord") \
        else ([], None)
    if not items and not req.query.get("cursor"):
        raise NotFound("no such order")
    return HistoryPage(items=[HistoryOut(from_status=i.from_status, to_status=i.to_status,
                                         at=i.at, actor=i.actor) for i in items],
                       next_cursor=cursor)
