"""Suppression routes: the addresses marketing never messages, and why."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.roles import MARKETERS, READERS
from chalicelib.suppressions import domain, logic, repository
from chalicelib.suppressions.models import SuppressionItem
from chalicelib.suppressions.schemas import SuppressionIn, SuppressionOut, SuppressionPage
from crm_shared.http import ApiRequest, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "suppressions")


def shown(item: SuppressionItem) -> SuppressionOut:
    return SuppressionOut(suppression_id=item.suppression_id, channel=item.channel,
                          reason=item.reason, address=item.address, note=item.note,
                          created_at=item.created_at)


@api.route("/suppressions", "POST", roles=MARKETERS, body=SuppressionIn,
           response=SuppressionOut, status=201)
def add_suppression(req: ApiRequest) -> SuppressionOut:
    """Never message this address (again) for this reason; repeating it changes nothing."""
    body = req.body
    address = domain.normalized(body.channel, body.address)
    return shown(logic.add(req.tenant_id, body.channel, address, body.reason, body.note))


@api.route("/suppressions", "GET", roles=READERS, response=SuppressionPage)
def list_suppressions(req: ApiRequest) -> SuppressionPage:
    """Suppressed addresses, newest first (erased people appear as a hash only)."""
    items, cursor = repository.page(req.tenant_id, parse_limit(req.query.get("limit")),
                                    req.query.get("cursor"))
    return SuppressionPage(items=[shown(i) for i in items], next_cursor=cursor)


@api.route("/suppressions/{suppression_id}", "DELETE", roles=MARKETERS, status=204)
def lift_suppression(req: ApiRequest, suppression_id: str) -> None:
    """Lift every reason of an address but erasure (an erased person stays suppressed)."""
    logic.lift(req.tenant_id, suppression_id)
