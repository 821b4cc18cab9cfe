"""Loyalty rules: points an order earns, the tier lifetime points reach. Pure Python."""

from __future__ import annotations

from typing import Any

from crm_shared.filters import FilterGroup, matches

DEFAULT_PROGRAM: dict[str, Any] = {
    "enabled": False, "points_per_unit": 1, "product_points": {}, "bonus_rules": [],
    "expiry_days": None,
    "tiers": [{"name": "Bronze", "threshold": 0, "benefits": []},
              {"name": "Silver", "threshold": 1000, "benefits": ["free shipping"]},
              {"name": "Gold", "threshold": 5000, "benefits": ["free shipping",
                                                              "priority support"]}],
}


def earned(program: dict[str, Any], order: dict[str, Any]) -> int:
    """Points per major currency unit paid, plus per-product points, plus matching bonuses."""
    points = int(order["totals"]["amount"]) // 100 * int(program.get("points_per_unit", 0))
    per_product = program.get("product_points") or {}
    for line in order.get("lines") or []:
        key = line.get("product_id") or f"sku:{line.get('sku')}"
        points += int(per_product.get(key, 0)) * int(line["quantity"])
    for rule in program.get("bonus_rules") or []:
        groups = [FilterGroup.model_validate(g) for g in rule["filter_groups"]]
        if matches(groups, order):
            points += int(rule["points"])
    return points


def tier_of(program: dict[str, Any], lifetime: int) -> dict[str, Any] | None:
    """The highest tier whose threshold the lifetime points reach."""
    reached = [t for t in program.get("tiers") or [] if lifetime >= int(t["threshold"])]
    return max(reached, key=lambda t: int(t["threshold"])) if reached else None
