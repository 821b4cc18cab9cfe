"""Report answers. Amounts are per currency (minor units), never converted or mixed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from crm_shared.money import Money


class Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class Plan(Out):
    """What the report read: aggregate items (months x groups), never opportunities."""

    months: int
    queries: int
    items_read: int


class StatsGroup(Out):
    group: str
    count: int
    won: int
    lost: int
    win_rate: float | None
    won_amount: list[Money]
    avg_deal_size: list[Money]
    avg_cycle_days: float | None


class StatsReport(Out):
    group_by: str
    period: dict[str, str]
    groups: list[StatsGroup]
    plan: Plan


class FunnelStage(Out):
    stage: str
    kind: str
    position: int
    entered: int
    moved_on: int
    won: int
    conversion_to_next: float | None
    conversion_to_won: float | None


class FunnelReport(Out):
    pipeline_id: str | None
    period: dict[str, str]
    stages: list[FunnelStage]
    plan: Plan


class LeadSourceRow(Out):
    source: str
    leads: int
    converted: int
    conversion_rate: float | None


class LeadStats(Out):
    group_by: str
    period: dict[str, str]
    groups: list[LeadSourceRow]
    plan: Plan


class ForecastRow(Out):
    period: str
    group: str
    currency: str
    open_pipeline: int
    weighted_pipeline: int
    commit: int
    best_case: int
    closed_won: int
    quota: Money | None
    attainment: float | None


class ForecastReport(Out):
    period_kind: str
    group_by: str
    period: dict[str, str]
    periods: list[str]
    rows: list[ForecastRow]
    plan: Plan
