"""Choosing a rep, in plain Python: rule matching, round robin and least loaded with caps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_shared.filters import FilterGroup, matches


@dataclass(frozen=True)
class Rule:
    rule_id: str
    name: str
    filter_groups: tuple[FilterGroup, ...]
    user_id: str | None
    team_id: str | None
    strategy: str
    capacity: int | None
    first_touch_minutes: int

    @classmethod
    def of(cls, record: dict[str, Any]) -> Rule:
        return cls(str(record["rule_id"]), str(record["name"]),
                   tuple(FilterGroup.model_validate(g) for g in record.get("filter_groups", [])),
                   record.get("user_id"), record.get("team_id"),
                   str(record.get("strategy", "round_robin")), record.get("capacity"),
                   int(record.get("first_touch_minutes", 60)))

    def matches(self, lead: dict[str, Any]) -> bool:
        return matches(self.filter_groups, lead)


@dataclass(frozen=True)
class Pick:
    """Who gets the lead, and what was read to choose (the writes are conditioned on it)."""

    owner_id: str | None
    reason: str
    seen_load: int | None = None
    pointer: int | None = None  # the round-robin position to store, when it moved
    pointer_seen: int | None = None  # the position read (None: never stored)
    skipped: list[str] = field(default_factory=list)


def pick(rule: Rule, candidates: list[str], loads: dict[str, int], pointer: int) -> Pick:
    """The rep for a lead under `rule`: reps at capacity are skipped."""
    def full(user_id: str) -> bool:
        return rule.capacity is not None and loads.get(user_id, 0) >= rule.capacity

    if not candidates:
        return Pick(None, f"rule {rule.name!r}: nobody to assign to (no active member)")
    skipped = [u for u in candidates if full(u)]
    if len(skipped) == len(candidates):
        return Pick(None, f"rule {rule.name!r}: every rep is at capacity ({rule.capacity})",
                    skipped=skipped)
    if rule.user_id is not None:
        return Pick(candidates[0], f"rule {rule.name!r}: assigned to its user",
                    loads.get(candidates[0], 0))
    if rule.strategy == "least_loaded":
        chosen = min((u for u in candidates if not full(u)), key=lambda u: (loads.get(u, 0), u))
        return Pick(chosen, f"rule {rule.name!r}: least loaded rep ({loads.get(chosen, 0)} "
                    "open leads)", loads.get(chosen, 0), skipped=skipped)
    for step in range(len(candidates)):
        index = (pointer + step) % len(candidates)
        if not full(candidates[index]):
            chosen = candidates[index]
            return Pick(chosen, f"rule {rule.name!r}: next in the round robin",
                        loads.get(chosen, 0), pointer=index + 1, skipped=skipped)
    raise AssertionError("unreachable: some candidate has room")
