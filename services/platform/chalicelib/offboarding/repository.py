"""Keys of the offboarding report (one Query reads a tenant's report)."""

from __future__ import annotations

from chalicelib.offboarding.models import PurgeReportItem
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key


def report_pk(tenant_id: str) -> str:
    return tenant_key(SYSTEM_TENANT, "OFFBOARDING", tenant_id)


def report_item(tenant_id: str, service: str, items: int, objects: int,
                purged_at: str) -> PurgeReportItem:
    return PurgeReportItem(PK=report_pk(tenant_id), SK=f"SERVICE#{service}",
                           offboarded_tenant=tenant_id, service=service, items_deleted=items,
                           objects_deleted=objects, purged_at=purged_at)


def reports(tenant_id: str) -> dict[str, PurgeReportItem]:
    """Every service's report (at most one item per service: a handful)."""
    return {item.service: item for item in PurgeReportItem.query(
        report_pk(tenant_id), PurgeReportItem.SK.startswith("SERVICE#"))}
