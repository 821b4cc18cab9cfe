"""GET /tickets/stats: service metrics from maintained aggregates, never from the tickets."""

from __future__ import annotations

from datetime import date, timedelta

from chalicelib import SERVICE
from chalicelib.stats import projection, repository
from chalicelib.stats.models import METRICS
from chalicelib.stats.schemas import StatsGroup, StatsOut
from crm_shared import clock
from crm_shared.auth.roles import ALL_ROLES
from crm_shared.errors import BadRequest
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "stats")
GROUPS = ("channel", "type", "team", "agent")
MAX_DAYS = 366


def _day(req: ApiRequest, name: str, default: date) -> date:
    raw = req.query.get(name)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadRequest.for_field(name, "must be a date YYYY-MM-DD") from None


@api.route("/tickets/stats", "GET", roles=ALL_ROLES, response=StatsOut)
def ticket_stats(req: ApiRequest) -> StatsOut:
    """Volume, first-response and resolution times (average, p90), SLA attainment,
    first-contact resolution, reopen rate, backlog by age and CSAT and NPS answers of the
    tickets created `from`..`to` (default the last 30 days), optionally `group_by` channel,
    type, team or agent; an answer about no ticket counts on its own day, under `none` when
    grouped. One Query over the daily aggregates (`aggregates_read` says how many)."""
    today = clock.now().date()
    end = _day(req, "to", today)
    start = _day(req, "from", end - timedelta(days=29))
    if start > end:
        raise BadRequest.for_field("from", "must not be after to")
    if (end - start).days >= MAX_DAYS:
        raise BadRequest.for_field("from", f"the range spans at most {MAX_DAYS} days")
    group = req.query.get("group_by") or None
    if group is not None and group not in GROUPS:
        raise BadRequest.for_field("group_by", "must be one of " + ", ".join(GROUPS))
    items = repository.read(req.tenant_id, group or "all", start.isoformat(), end.isoformat())
    rows: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for item in items:
        day, _, value = item.SK.partition("#")
        counts = {n: int(getattr(item, n) or 0) for n in METRICS}
        rows.setdefault(value, []).append((day, counts))
    groups = [StatsGroup(key=value, **projection.summary(found, today.isoformat()))
              for value, found in sorted(rows.items())]
    return StatsOut(from_date=start.isoformat(), to_date=end.isoformat(), group_by=group,
                    groups=groups, aggregates_read=len(items))
