"""The body of GET /tickets/stats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class CsatStats(BaseModel):
    """CSAT answers (1-5): how many, their average and the percent satisfied (>= 4)."""

    model_config = ConfigDict(defer_build=True)

    count: int
    average: float | None
    satisfied_percent: float | None


class NpsStats(BaseModel):
    """NPS answers (0-10): promoters (>= 9), detractors (<= 6) and the score, percent
    promoters minus percent detractors (-100..100)."""

    model_config = ConfigDict(defer_build=True)

    count: int
    promoters: int
    detractors: int
    score: float | None


class StatsGroup(BaseModel):
    model_config = ConfigDict(defer_build=True)

    key: str
    volume: int
    open: int
    resolved: int
    first_response: dict[str, Any]
    resolution: dict[str, Any]
    sla_attainment: dict[str, float | None]
    first_contact_resolution_rate: float | None
    reopen_rate: float | None
    backlog_by_age: dict[str, int]
    csat: CsatStats
    nps: NpsStats


class StatsOut(BaseModel):
    """Tickets created from..to (UTC days), whole or grouped; times in business seconds."""

    model_config = ConfigDict(defer_build=True)

    from_date: str
    to_date: str
    group_by: str | None
    groups: list[StatsGroup]
    aggregates_read: int
