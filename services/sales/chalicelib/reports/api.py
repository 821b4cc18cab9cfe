"""Report routes: thin; every answer comes from maintained aggregates and says what it read.

Registered before the opportunities and leads routes, so /opportunities/stats is not read
as an opportunity id.
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.reports import logic
from chalicelib.reports.schemas import ForecastReport, FunnelReport, LeadStats, StatsReport
from crm_shared.auth.roles import ALL_ROLES
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "reports")


@api.route("/opportunities/stats", "GET", roles=ALL_ROLES, response=StatsReport)
def opportunity_stats(req: ApiRequest) -> StatsReport:
    """Count, won, lost, win rate, won amount, average deal size and cycle days per
    owner, team, product, source or stage (`group_by`, default owner) over `from`..`to`."""
    rng = logic.date_range(req.query)
    group_by = logic.choice(req.query, "group_by", logic.STATS_GROUPS, "owner")
    return StatsReport(**logic.stats(req.tenant_id, group_by, rng))


@api.route("/opportunities/funnel", "GET", roles=ALL_ROLES, response=FunnelReport)
def opportunity_funnel(req: ApiRequest) -> FunnelReport:
    """Per stage of `pipeline_id` (default: the default pipeline), in order: deals that
    entered it, moved on, and won, with the conversion rates."""
    rng = logic.date_range(req.query)
    return FunnelReport(**logic.funnel(req.tenant_id, req.query.get("pipeline_id"), rng))


@api.route("/opportunities/forecast", "GET", roles=ALL_ROLES, response=ForecastReport)
def opportunity_forecast(req: ApiRequest) -> ForecastReport:
    """Open, weighted, commit, best case, closed won, quota and attainment per month or
    quarter (`period`) and owner, team, pipeline or product (`group_by`), per currency."""
    rng = logic.date_range(req.query)
    period = logic.choice(req.query, "period", ("month", "quarter"), "quarter")
    group_by = logic.choice(req.query, "group_by", logic.FORECAST_GROUPS, "owner")
    return ForecastReport(**logic.forecast(req.tenant_id, period, group_by, rng))


@api.route("/leads/stats", "GET", roles=ALL_ROLES, response=LeadStats)
def lead_stats(req: ApiRequest) -> LeadStats:
    """Leads created per source over `from`..`to`, how many converted, and the rate."""
    rng = logic.date_range(req.query)
    logic.choice(req.query, "group_by", ("source",), "source")
    return LeadStats(**logic.lead_stats(req.tenant_id, rng))
