"""Reading and changing the tenant's service configuration (one versioned item).

Features keep their records inside it (`calendars`, `policies`, `rules`, `type_defaults`),
each record with its own `version` for If-Match; the item's version guards concurrent
admins, and a lost race is retried here, so two admins editing different policies never
see a 412 meant for the other.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib import SERVICE
from chalicelib.config import repository
from crm_shared import clock
from crm_shared.errors import PreconditionFailed
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork

T = TypeVar("T")
ATTEMPTS = 3
TYPE_DEFAULTS: dict[str, dict[str, str]] = {
    "question": {"priority": "normal"}, "incident": {"priority": "high"},
    "complaint": {"priority": "high"}, "request": {"priority": "normal"},
    "return": {"priority": "normal"},
}
# first response / resolution in business minutes per priority
DEFAULT_TARGETS = {
    "urgent": {"first_response_minutes": 60, "resolution_minutes": 240},
    "high": {"first_response_minutes": 240, "resolution_minutes": 960},
    "normal": {"first_response_minutes": 480, "resolution_minutes": 2400},
    "low": {"first_response_minutes": 960, "resolution_minutes": 4800},
}
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def defaults(time_zone: str = "UTC") -> dict[str, Any]:
    """What a new tenant starts with: office hours, one SLA policy, type defaults."""
    now = clock.iso()
    calendar_id, policy_id = new_id("bhr"), new_id("slp")
    return {
        "type_defaults": copy.deepcopy(TYPE_DEFAULTS),
        "calendars": {calendar_id: {
            "business_hours_id": calendar_id, "name": "Office hours", "time_zone": time_zone,
            "hours": copy.deepcopy(WEEKDAYS), "holidays": [], "is_default": True,
            "version": 1, "created_at": now, "updated_at": now}},
        "policies": {policy_id: {
            "policy_id": policy_id, "name": "Standard", "business_hours_id": calendar_id,
            "position": 1000, "types": [], "customer_tiers": [], "is_default": True,
            "targets": copy.deepcopy(DEFAULT_TARGETS),
            "escalation": {"raise_priority": True, "reassign_to": "team_lead",
                           "notify_user_ids": []},
            "version": 1, "created_at": now, "updated_at": now}},
        "rules": [],
    }


def read(tenant_id: str, consistent: bool = False) -> dict[str, Any]:
    """The configuration (the defaults, unsaved, before the tenant's seed arrived)."""
    item = repository.get(tenant_id, consistent)
    return dict(item.doc) if item is not None else defaults()


def seed(uow: UnitOfWork, tenant_id: str, time_zone: str) -> None:
    """Stage the defaults unless the tenant has a configuration already."""
    if repository.get(tenant_id, consistent=True) is None:
        item = repository.new(tenant_id, defaults(time_zone))
        uow.put(item, label="config")


def change(tenant_id: str, edit: Callable[[dict[str, Any]], T]) -> T:
    """Apply `edit` to a fresh copy of the configuration and save it in one conditional
    write; `edit` raises to refuse (nothing is written) and returns what the caller shows."""
    for attempt in range(ATTEMPTS):
        item = repository.get(tenant_id, consistent=True) or repository.new(
            tenant_id, defaults())
        doc = copy.deepcopy(item.doc)
        result = edit(doc)
        item.doc = doc
        uow = UnitOfWork(SERVICE)
        uow.put(item, label="version_config")
        try:
            uow.commit()
            return result
        except PreconditionFailed:
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def check_version(record: dict[str, Any], if_match: int | None, what: str) -> None:
    """412 when the client's If-Match names another version of this record."""
    if if_match is not None and if_match != record.get("version"):
        raise PreconditionFailed(f"the {what} changed since you read it",
                                 code="version_mismatch")
