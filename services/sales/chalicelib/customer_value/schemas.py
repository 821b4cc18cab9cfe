"""Response bodies of the customer value, stats and recommendation routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Rfm(BaseModel):
    recency: int
    frequency: int
    monetary: int


class ValueOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    customer_id: str
    lifetime_value: dict[str, Any] | None = None
    other_currencies: dict[str, int] = Field(default_factory=dict)
    order_count: int
    average_order_value: dict[str, Any] | None = None
    first_order_at: str | None = None
    last_order_at: str | None = None
    rfm: Rfm | None = None
    items_read: int


class StatsGroup(BaseModel):
    key: str
    name: str | None = None
    currency: str
    revenue: int
    orders: int
    average_order_value: int


class StatsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    group_by: str
    from_month: str
    to_month: str
    groups: list[StatsGroup]
    items_read: int


class Recommendation(BaseModel):
    product_key: str
    product_id: str | None = None
    name: str | None = None
    with_key: str | None = None
    with_name: str | None = None
    because_of: str | None = None
    customers: int
    reason: str


class RecommendationsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[Recommendation]
    items_read: int
