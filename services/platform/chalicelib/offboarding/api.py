"""GET /tenants/{tenant_id}/offboarding (operator): how far each service's purge is."""

from __future__ import annotations

from typing import Literal

from chalicelib import SERVICE
from chalicelib.domain import tenants as rules
from chalicelib.logic import tenants
from chalicelib.offboarding import repository
from chalicelib.schemas import Out
from crm_shared.errors import NotFound
from crm_shared.http import AUTH_OPERATOR, ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "offboarding")

#: every service with a table: the purge is complete when each has reported
SERVICES = ("contacts", "marketing", "platform", "sales", "service")


class ServicePurgeOut(Out):
    service: str
    status: Literal["pending", "complete"]
    items_deleted: int | None = None
    objects_deleted: int | None = None
    purged_at: str | None = None


class OffboardingOut(Out):
    tenant_id: str
    status: Literal["in_progress", "complete"]
    services: list[ServicePurgeOut]


@api.route("/tenants/{tenant_id}/offboarding", "GET", auth=AUTH_OPERATOR,
           response=OffboardingOut)
def get_offboarding(req: ApiRequest, tenant_id: str) -> OffboardingOut:
    """Each service's purge of an offboarded tenant: complete once every one reported."""
    tenant = tenants.get(tenant_id)
    if tenant.status != rules.DELETED:
        raise NotFound(f"tenant {tenant_id} is not being offboarded")
    found = repository.reports(tenant_id)
    services = [
        ServicePurgeOut(service=name, status="complete",
                        items_deleted=int(found[name].items_deleted),
                        objects_deleted=int(found[name].objects_deleted),
                        purged_at=found[name].purged_at)
        if name in found else ServicePurgeOut(service=name, status="pending")
        for name in SERVICES
    ]
    done = all(s.status == "complete" for s in services)
    return OffboardingOut(tenant_id=tenant_id, status="complete" if done else "in_progress",
                          services=services)
