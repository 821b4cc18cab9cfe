"""The body of GET /tickets/stats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


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


class StatsOut(BaseModel):
    """Tickets created from..to (UTC days), whole or grouped; times in business seconds."""

    model_config = ConfigDict(defer_build=True)

    from_date: str
    to_date: str
    group_by: str | None
    groups: list[StatsGroup]
    aggregates_read: int
