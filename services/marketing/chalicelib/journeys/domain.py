"""Journey rules: which events may start one, how a definition is checked, where a step
leads. No I/O here."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from chalicelib.audience.domain import SEGMENT_FIELDS
from crm_shared.errors import ValidationFailed
from crm_shared.filters import SearchRequest
from crm_shared.validation import search_request

#: The events a journey may start on: marketing subscribes to each (resources.yaml).
TRIGGERS = frozenset({"ContactCreated", "ContactUpdated", "ConsentChanged", "FormSubmitted",
                      "OpportunityWon", "MessageOpened", "LinkClicked",
                      "JourneyStartRequested"})
MAX_STEPS_PER_RUN = 25  # steps one run may execute without waiting (a branch loop stops)


def _filter(raw: dict[str, Any], allowed: set[str], where: str) -> dict[str, Any]:
    try:
        request = search_request({"filter_groups": raw.get("filter_groups", [])}, allowed)
    except ValidationFailed as problem:
        for error in problem.errors:
            error["field"] = f"{where}.{error['field']}"
        raise
    return {"filter_groups": request.model_dump(mode="json", exclude_none=True)["filter_groups"]}


def check_trigger(trigger: dict[str, Any]) -> dict[str, Any]:
    """The stored trigger; a 422 naming `trigger.event_type` or the filter's bad part."""
    from crm_shared.events.catalog import CATALOG  # deferred: every event class

    event_type = trigger["event_type"]
    cls = CATALOG.get(event_type)
    if cls is None:
        raise ValidationFailed.for_field("trigger.event_type", f"no event {event_type!r}")
    if event_type not in TRIGGERS:
        raise ValidationFailed.for_field(
            "trigger.event_type", f"journeys start on {', '.join(sorted(TRIGGERS))}")
    stored: dict[str, Any] = {"event_type": event_type}
    if trigger.get("filter") is not None:
        stored["filter"] = _filter(trigger["filter"], set(cls.model_fields), "trigger.filter")
    return stored


def check_steps(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unique ids, every reference to a step that exists, complete branches and updates."""
    ids: dict[str, int] = {}
    for index, step in enumerate(steps):
        if step["id"] in ids:
            raise ValidationFailed.for_field(f"steps[{index}].id", "is used by another step")
        ids[step["id"]] = index
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        for ref in ("next", "then", "else"):
            target = step.get(ref)
            if target is not None and target not in ids:
                raise ValidationFailed.for_field(f"{where}.{ref}", f"no step {target!r}")
        kind = step["type"]
        if kind == "branch":
            if (step.get("condition") is None) == (step.get("filter") is None):
                raise ValidationFailed.for_field(f"{where}.condition",
                                                 "give either condition or filter")
            if step.get("filter") is not None:
                step["filter"] = _filter(step["filter"], set(SEGMENT_FIELDS), f"{where}.filter")
        elif kind == "update_contact" and not (step.get("add_tag")
                                              or step.get("lifecycle_stage")):
            raise ValidationFailed.for_field(f"{where}.add_tag",
                                             "give add_tag or lifecycle_stage")
        elif kind == "wait" and not wait_seconds(step):
            raise ValidationFailed.for_field(f"{where}.days", "wait at least a minute")
    return steps


def check_reentry(reentry: dict[str, Any]) -> dict[str, Any]:
    if reentry["mode"] == "after_days" and not reentry.get("days"):
        raise ValidationFailed.for_field("reentry.days", "is required with after_days")
    if reentry["mode"] != "after_days" and reentry.get("days"):
        raise ValidationFailed.for_field("reentry.days", "only with mode after_days")
    return reentry


def wait_seconds(step: dict[str, Any]) -> int:
    return ((int(step.get("days") or 0) * 24 + int(step.get("hours") or 0)) * 60
            + int(step.get("minutes") or 0)) * 60


def following(steps: list[dict[str, Any]], step_id: str) -> str | None:
    """Where a non-branch step leads: its `next`, else the next in the list, else the end."""
    index = next(i for i, s in enumerate(steps) if s["id"] == step_id)
    step = steps[index]
    if step.get("next"):
        return str(step["next"])
    return str(steps[index + 1]["id"]) if index + 1 < len(steps) else None


@lru_cache(maxsize=512)
def _request(stored_json: str) -> SearchRequest:
    return SearchRequest.model_validate(json.loads(stored_json))


def matches(stored_filter: dict[str, Any] | None, record: dict[str, Any]) -> bool:
    """A stored (validated) filter against a record; no filter matches everything."""
    if not stored_filter:
        return True
    return _request(json.dumps(stored_filter, sort_keys=True)).matches(record)


def contact_ids_of(event: Any) -> list[str]:
    """Who an event is about: its contact, or a won deal's contacts."""
    if getattr(event, "contact_id", None):
        return [str(event.contact_id)]
    opportunity = getattr(event, "opportunity", None)
    if isinstance(opportunity, dict):
        return [str(c) for c in dict.fromkeys(opportunity.get("contact_ids") or [])]
    return []


def may_enter(reentry: dict[str, Any], last_entered_at: str | None, active: bool,
              cutoff_iso: str | None) -> bool:
    """Re-entry: never twice at once; then never, always, or once `days` passed."""
    if last_entered_at is None:
        return True
    if active:
        return False
    mode = reentry.get("mode", "never")
    if mode == "always":
        return True
    if mode == "after_days":
        return cutoff_iso is not None and last_entered_at <= cutoff_iso
    return False
