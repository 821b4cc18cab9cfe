"""Customer value, order stats and recommendations: reads of maintained aggregates."""

from __future__ import annotations

import re

from chalicelib import SERVICE
from chalicelib.customer_value import logic
from chalicelib.customer_value.schemas import RecommendationsOut, StatsOut, ValueOut
from crm_shared import clock
from crm_shared.auth.roles import ALL_ROLES
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "customer_value")
GROUPS = ("month", "source", "product")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])(-\d{2})?$")


def _month(raw: str | None, name: str, default: str) -> str:
    if not raw:
        return default
    if not MONTH.match(raw):
        raise BadRequest.for_field(name, "must be a month (YYYY-MM) or a date (YYYY-MM-DD)")
    return raw[:7]


@api.route("/orders/stats", "GET", roles=ALL_ROLES, response=StatsOut)
def order_stats(req: ApiRequest) -> StatsOut:
    """Revenue, orders and average order value by product, month or source between two
    months (default: the last twelve), summed from maintained monthly buckets; the answer
    says how many items were read."""
    group_by = req.query.get("group_by") or "month"
    if group_by not in GROUPS:
        raise BadRequest.for_field("group_by", "must be one of " + ", ".join(GROUPS))
    now = clock.now()
    year_ago = f"{now.year - 1:04d}-{now.month:02d}"
    first = _month(req.query.get("from"), "from", year_ago)
    last = _month(req.query.get("to"), "to", f"{now.year:04d}-{now.month:02d}")
    if first > last:
        raise BadRequest.for_field("to", "must not be before from")
    return StatsOut(**logic.stats(req.tenant_id, group_by, first, last))


@api.route("/orders/recommendations", "GET", roles=ALL_ROLES, response=RecommendationsOut)
def recommendations(req: ApiRequest) -> RecommendationsOut:
    """Products frequently bought with what `contact_id` (or `product_id`) bought, each with
    its reason; without either, the tenant's most co-bought pairs. Reads top-K neighbours
    per product, never the order history."""
    contact_id, product_id = req.query.get("contact_id"), req.query.get("product_id")
    if contact_id and product_id:
        raise BadRequest.for_field("product_id", "ask for contact_id or product_id, not both")
    return RecommendationsOut(**logic.recommendations(req.tenant_id, contact_id, product_id))


@api.route("/orders/customers/{customer_id}/value", "GET", roles=ALL_ROLES, response=ValueOut)
def customer_value(req: ApiRequest, customer_id: str) -> ValueOut:
    """Lifetime value, order count, first and last order, average order value and RFM scores
    (1-5 against the tenant's quintiles) of a contact (`con_`) or company (`cmp_`) with
    orders: one BatchGetItem."""
    return ValueOut(**logic.value_of(req.tenant_id, customer_id))
