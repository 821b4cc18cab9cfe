"""The only code that knows campaign keys.

- a campaign `T#<t>#CAMPAIGN#<id>` / `CAMPAIGN`, listed on GSI1 `T#<t>#CAMPAIGNS` by
  `<created_at>#<id>`, on DUE while scheduled;
- a finished batch `T#<t>#CAMPAIGN#<id>` / `BATCH#<batch_id>` (expires after 30 days).
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.campaigns.models import BatchDoneItem, CampaignItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

CAMPAIGN = "CAMPAIGN"
DUE_JOB = "campaign_launch"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def campaign_pk(tenant_id: str, campaign_id: str) -> str:
    return tenant_key(tenant_id, "CAMPAIGN", campaign_id)


def new_campaign(tenant_id: str, campaign_id: str, **fields: Any) -> CampaignItem:
    item = CampaignItem(PK=campaign_pk(tenant_id, campaign_id), SK=CAMPAIGN,
                        campaign_id=campaign_id, tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "CAMPAIGNS")
    item.GSI1SK = f"{item.created_at}#{campaign_id}"
    return item


def key(tenant_id: str, campaign_id: str) -> CampaignItem:
    """A key-only item, for counter updates."""
    return CampaignItem(PK=campaign_pk(tenant_id, campaign_id), SK=CAMPAIGN)


def get(tenant_id: str, campaign_id: str) -> CampaignItem | None:
    try:
        return CampaignItem.get(campaign_pk(tenant_id, campaign_id), CAMPAIGN,
                                consistent_read=True)
    except CampaignItem.DoesNotExist:
        return None


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[CampaignItem],
                                                                  str | None]:
    return query_page(lambda **kw: CampaignItem.gsi1.query(
        tenant_key(tenant_id, "CAMPAIGNS"), scan_index_forward=False, **kw),
        f"{tenant_id}:campaigns", cursor, limit)


def batch_done(tenant_id: str, campaign_id: str, batch_id: str, now: str) -> BatchDoneItem:
    from datetime import timedelta

    from crm_shared import clock

    return BatchDoneItem(PK=campaign_pk(tenant_id, campaign_id), SK=f"BATCH#{batch_id}",
                         finished_at=now, expires_at=clock.now() + timedelta(days=30))
