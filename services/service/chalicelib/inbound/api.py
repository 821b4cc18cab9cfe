"""Routes of inbound email: the quarantine admins review."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.inbound import repository
from chalicelib.inbound.schemas import QuarantineOut, QuarantinePage
from crm_shared.auth.roles import ADMINS
from crm_shared.http import ApiRequest, ServiceApi
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "inbound")


@api.route("/tickets/inbound/quarantine", "GET", roles=ADMINS, response=QuarantinePage)
def list_quarantine(req: ApiRequest) -> QuarantinePage:
    """Inbound emails that became no ticket (too large, malformed, unreadable), newest
    first; one Query per page."""
    items, cursor = repository.quarantine_page(req.tenant_id,
                                               parse_limit(req.query.get("limit")),
                                               req.query.get("cursor"))
    return QuarantinePage(items=[QuarantineOut(
        quarantine_id=i.quarantine_id, reason=i.reason, detail=i.detail, sender=i.sender,
        subject=i.subject, message_id=i.message_id, size=int(i.size or 0),
        received_at=i.received_at) for i in items], next_cursor=cursor)
