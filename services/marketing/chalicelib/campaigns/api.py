"""Campaign routes: thin; the rules live in logic.py, the planner and the sender."""

from __future__ import annotations

from collections import Counter

from chalicelib import SERVICE
from chalicelib.campaigns import logic, repository
from chalicelib.campaigns.models import CampaignItem
from chalicelib.campaigns.schemas import (
    Attribution,
    AttributionOut,
    CampaignCreate,
    CampaignFields,
    CampaignOut,
    CampaignPage,
    CampaignRoi,
    ChannelRoi,
    Stats,
    TenantStats,
)
from chalicelib.roles import MARKETERS, READERS
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import MAX_LIMIT, parse_limit

api = ServiceApi(SERVICE, "campaigns")


def shown(item: CampaignItem, status: int | None = None) -> Reply:
    body = CampaignOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


# literal paths first: /campaigns/stats is not a campaign id
@api.route("/campaigns/stats", "GET", roles=READERS, response=TenantStats)
def campaign_stats(req: ApiRequest) -> TenantStats:
    """Totals over the tenant's latest 100 campaigns (one page of the list); with
    `group_by=channel` also every campaign's funnel and ROI per channel (maintained)."""
    from chalicelib.roi import logic as roi

    group_by = req.query.get("group_by")
    if group_by not in (None, "channel"):
        raise BadRequest.for_field("group_by", "only channel is supported")
    items, _ = repository.page(req.tenant_id, MAX_LIMIT, None)
    records = [logic.record(i) for i in items]
    totals = Counter[str]()
    for rec in records:
        totals.update(rec["stats"])
    return TenantStats(campaigns=len(records),
                       by_status=dict(Counter(r["status"] for r in records)),
                       totals=Stats(**totals),
                       channels={k: ChannelRoi(**v) for k, v in roi.channel_stats(
                           req.tenant_id).items()} if group_by else None)


@api.route("/campaigns/attribution", "GET", roles=READERS, response=AttributionOut)
def get_attribution(req: ApiRequest) -> AttributionOut:
    """How many days after an open or click a won deal still counts for the campaign."""
    from chalicelib.roi import repository as aggregates

    return AttributionOut(window_days=aggregates.window_days(req.tenant_id))


@api.route("/campaigns/attribution", "PUT", roles=MARKETERS, body=Attribution,
           response=AttributionOut)
def set_attribution(req: ApiRequest) -> AttributionOut:
    """Set the attribution window (1-365 days; default 30); later deals use it."""
    from chalicelib.roi import repository as aggregates

    item = aggregates.settings_key(req.tenant_id)
    item.attribution_window_days = req.body.window_days
    item.save()
    return AttributionOut(window_days=req.body.window_days)


@api.route("/campaigns", "POST", roles=MARKETERS, body=CampaignCreate, response=CampaignOut,
           status=201)
def create_campaign(req: ApiRequest) -> Reply:
    """A draft: channel, segments, template, sender, schedule and throttle."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/campaigns/{item.campaign_id}"
    return reply


@api.route("/campaigns", "GET", roles=READERS, response=CampaignPage)
def list_campaigns(req: ApiRequest) -> CampaignPage:
    items, cursor = repository.page(req.tenant_id, parse_limit(req.query.get("limit")),
                                    req.query.get("cursor"))
    return CampaignPage(items=[CampaignOut(**logic.record(i)) for i in items],
                        next_cursor=cursor)


@api.route("/campaigns/{campaign_id}", "GET", roles=READERS, response=CampaignOut)
def get_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    """A campaign with its status and counters: one GetItem."""
    return shown(logic.get(req.tenant_id, campaign_id))


@api.route("/campaigns/{campaign_id}/stats", "GET", roles=READERS, response=CampaignRoi)
def campaign_roi(req: ApiRequest, campaign_id: str) -> CampaignRoi:
    """Recipients to revenue, and ROI = (revenue - cost) / cost: the campaign's maintained
    counters and money (never its send records)."""
    from chalicelib.roi import logic as roi

    return CampaignRoi(**roi.campaign_stats(logic.get(req.tenant_id, campaign_id)))


@api.route("/campaigns/{campaign_id}", "PATCH", roles=MARKETERS, body=CampaignFields,
           response=CampaignOut)
def update_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    """Change a draft (If-Match honoured); a launched campaign is 409."""
    return shown(logic.update(req.tenant_id, campaign_id, req.body, req.if_match()))


@api.route("/campaigns/{campaign_id}/launch", "POST", roles=MARKETERS, response=CampaignOut,
           status=202)
def launch_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    """Send now, or at the schedule; launching again answers the same launch (200)."""
    item, new = logic.launch(req.tenant_id, campaign_id)
    return shown(item, status=202 if new else 200)


@api.route("/campaigns/{campaign_id}/pause", "POST", roles=MARKETERS, response=CampaignOut)
def pause_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    """Hold the remaining sends (batches wait and re-check)."""
    return shown(logic.set_status(req.tenant_id, campaign_id, "pause"))


@api.route("/campaigns/{campaign_id}/resume", "POST", roles=MARKETERS, response=CampaignOut)
def resume_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    return shown(logic.set_status(req.tenant_id, campaign_id, "resume"))


@api.route("/campaigns/{campaign_id}/cancel", "POST", roles=MARKETERS, response=CampaignOut)
def cancel_campaign(req: ApiRequest, campaign_id: str) -> Reply:
    """Stop for good: what was not sent yet is not sent."""
    return shown(logic.set_status(req.tenant_id, campaign_id, "cancel"))
