"""The SLA clock of a ticket, in plain Python: which policy applies, when targets fall due.

The clock counts business seconds of the policy's calendar. It runs while the ticket is new
or open, pauses in pending and on_hold (the seconds used so far are kept) and stops when the
ticket is resolved or closed; a reopened ticket resumes it. Due times are derived from the
seconds left, so a pause pushes them out by exactly the working time it lasted.

State kept on the ticket (`sla_state`): policy_id, business_hours_id, the two targets in
seconds, consumed_seconds, running_since, the due times and which targets are met or
breached; per target also its warning threshold (`<target>_warn`, business seconds before
the due time; None for the default, a fifth of the target), when it falls at risk
(`<target>_warn_at`) and whether that was announced (`<target>_at_risk`, once per ticket).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm_shared import clock
from crm_shared.business_hours import Calendar, CalendarError

TARGETS = ("first_response", "resolution")
DEFAULT_WARN_SHARE = 5  # at risk when a fifth of the target is left (a 1 h target: 12 min)
RUNNING = frozenset({"new", "open"})
PAUSED = frozenset({"pending", "on_hold"})


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def pick_policy(config: dict[str, Any], ticket: dict[str, Any]) -> dict[str, Any] | None:
    """The first policy (by position) whose types and tiers match the ticket and that has
    targets for its priority; the default policy when none does."""
    policies = sorted(config.get("policies", {}).values(),
                      key=lambda p: (bool(p.get("is_default")), p.get("position", 0),
                                     p.get("created_at", "")))
    for policy in policies:
        if ticket.get("priority") not in policy.get("targets", {}):
            continue
        if policy.get("is_default"):
            return policy
        types, tiers = policy.get("types") or [], policy.get("customer_tiers") or []
        if (not types or ticket.get("type") in types) and \
                (not tiers or ticket.get("customer_tier") in tiers):
            return policy
    return None


def calendar_doc(config: dict[str, Any], calendar_id: str | None) -> dict[str, Any] | None:
    calendars = config.get("calendars", {})
    if calendar_id and calendar_id in calendars:
        return dict(calendars[calendar_id])
    return next((dict(c) for c in calendars.values() if c.get("is_default")), None)


def calendar(config: dict[str, Any], calendar_id: str | None) -> Calendar:
    """The calendar by id (else the tenant's default; else around the clock)."""
    doc = calendar_doc(config, calendar_id)
    if doc is None:
        return Calendar.always()
    try:
        return Calendar.from_doc(doc)
    except CalendarError:  # validated on write; an old unreadable one counts wall time
        return Calendar.always()


def start(config: dict[str, Any], ticket: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new ticket's clock, running from `now` (paused if it starts pending)."""
    state: dict[str, Any] = {"consumed_seconds": 0, "running_since": clock.iso(now),
                             "first_response_met": False, "resolution_met": False,
                             "first_response_breached": False, "resolution_breached": False}
    apply_policy(state, config, ticket)
    if ticket.get("status") not in RUNNING:
        state["running_since"] = None
    refresh(state, config)
    return state


def apply_policy(state: dict[str, Any], config: dict[str, Any], ticket: dict[str, Any]) -> None:
    """(Re)choose the policy for the ticket's priority, type and tier; time used is kept."""
    policy = pick_policy(config, ticket)
    targets = (policy or {}).get("targets", {}).get(ticket.get("priority"), {})
    state["policy_id"] = policy.get("policy_id") if policy else None
    cal = calendar_doc(config, policy.get("business_hours_id") if policy else None)
    state["business_hours_id"] = cal.get("business_hours_id") if cal else None
    warn = (policy or {}).get("warn_before_minutes")
    for target in TARGETS:
        minutes = targets.get(f"{target}_minutes")
        state[f"{target}_target"] = int(minutes) * 60 if minutes else None
        state[f"{target}_warn"] = int(warn) * 60 if warn is not None else None


def warn_seconds(state: dict[str, Any], target: str) -> int:
    """Business seconds before the due time at which the target is at risk (0: never)."""
    warn = state.get(f"{target}_warn")
    if warn is not None:
        return int(warn)
    return int(state.get(f"{target}_target") or 0) // DEFAULT_WARN_SHARE


def elapsed(state: dict[str, Any], config: dict[str, Any], now: datetime) -> int:
    """Business seconds the clock has run so far."""
    used = int(state.get("consumed_seconds") or 0)
    since = state.get("running_since")
    if since:
        used += calendar(config, state.get("business_hours_id")).between(parse(since), now)
    return used


def refresh(state: dict[str, Any], config: dict[str, Any]) -> None:
    """Recompute the due and at-risk times of the unmet targets from the seconds left."""
    since = state.get("running_since")
    cal = calendar(config, state.get("business_hours_id"))
    used = int(state.get("consumed_seconds") or 0)
    for target in TARGETS:
        goal = state.get(f"{target}_target")
        warn = warn_seconds(state, target)
        if since and goal is not None and not state.get(f"{target}_met"):
            state[f"{target}_due"] = clock.iso(cal.add(parse(since), max(0, goal - used)))
            state[f"{target}_warn_at"] = clock.iso(
                cal.add(parse(since), max(0, goal - used - warn))) if warn > 0 else None
        else:
            state[f"{target}_due"] = None
            state[f"{target}_warn_at"] = None


def pause(state: dict[str, Any], config: dict[str, Any], now: datetime) -> None:
    if state.get("running_since"):
        state["consumed_seconds"] = elapsed(state, config, now)
        state["running_since"] = None
    refresh(state, config)


def resume(state: dict[str, Any], config: dict[str, Any], now: datetime) -> None:
    if not state.get("running_since"):
        state["running_since"] = clock.iso(now)
    refresh(state, config)


def follow_status(state: dict[str, Any], config: dict[str, Any], status: str,
                  now: datetime) -> None:
    """Run, pause or stop the clock for the ticket's new status."""
    if status in RUNNING:
        state["resolution_met"] = False  # a reopened ticket owes its resolution again
        resume(state, config, now)
    else:
        pause(state, config, now)


def _open(state: dict[str, Any], target: str) -> bool:
    return bool(state.get(f"{target}_due")) and not state.get(f"{target}_breached") \
        and not state.get(f"{target}_met")


def next_due(state: dict[str, Any]) -> str | None:
    """When the sweep must look at the ticket next (its DUE index entry): the earliest
    due time of a target neither met nor breached yet, or its at-risk time while that is
    not announced."""
    dues = [state[f"{t}_due"] for t in TARGETS if _open(state, t)]
    dues += [state[f"{t}_warn_at"] for t in TARGETS if _open(state, t)
             and state.get(f"{t}_warn_at") and not state.get(f"{t}_at_risk")]
    return min(dues) if dues else None


def fallen_due(state: dict[str, Any], at: str) -> list[str]:
    """The targets whose due time passed unmet (to breach)."""
    return [t for t in TARGETS if _open(state, t) and state[f"{t}_due"] <= at]


def at_risk(state: dict[str, Any], at: str) -> list[str]:
    """The targets now at risk but not due yet, whose warning was not announced."""
    return [t for t in TARGETS if _open(state, t) and state[f"{t}_due"] > at
            and state.get(f"{t}_warn_at") and state[f"{t}_warn_at"] <= at
            and not state.get(f"{t}_at_risk")]


def shown(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """The ticket's `sla` as the API shows it.

    `remaining_seconds` are the business seconds the next unmet target had left when the
    clock last started or paused (`running_since` says when it started): a read never
    changes it, so equal reads stay equal; a live countdown is the due time minus now."""
    if not state:
        return None
    used = int(state.get("consumed_seconds") or 0)
    left = [state[f"{t}_target"] - used for t in TARGETS
            if state.get(f"{t}_target") is not None and not state.get(f"{t}_met")
            and not state.get(f"{t}_breached")]
    return {
        "policy_id": state.get("policy_id"),
        "business_hours_id": state.get("business_hours_id"),
        "first_response_due": state.get("first_response_due"),
        "resolution_due": state.get("resolution_due"),
        "first_response_target_minutes": _minutes(state.get("first_response_target")),
        "resolution_target_minutes": _minutes(state.get("resolution_target")),
        "first_response_breached": bool(state.get("first_response_breached")),
        "resolution_breached": bool(state.get("resolution_breached")),
        "breached": bool(state.get("first_response_breached")
                         or state.get("resolution_breached")),
        "paused": not state.get("running_since") and not state.get("resolution_met"),
        "running_since": state.get("running_since"),
        "remaining_seconds": min(left) if left else None,
    }


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else int(seconds) // 60
