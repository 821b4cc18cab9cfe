"""The platform purges its own data of a deleted tenant and records every service's report."""

from __future__ import annotations

from chalicelib.consumers import consumer
from chalicelib.offboarding import repository
from chalicelib.offboarding.models import PurgeReportItem
from crm_shared import clock
from crm_shared.dynamo import SYSTEM_TENANT
from crm_shared.events.consumer import EventContext
from crm_shared.events.platform_events import TenantPurged
from crm_shared.offboarding import subscribe_offboarding
from crm_shared.unit_of_work import UnitOfWork

subscribe_offboarding(consumer)


@consumer.on(TenantPurged)
def record_purge(event: TenantPurged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The first report of a service stands (a purge started again reports zeros)."""
    if ctx.tenant_id != SYSTEM_TENANT:
        return
    item = repository.report_item(event.tenant_id, event.service, event.items_deleted,
                                  event.objects_deleted, clock.iso())
    try:
        PurgeReportItem.get(item.PK, item.SK)
        return
    except PurgeReportItem.DoesNotExist:
        uow.put(item, label="purge_report")
