"""Business-hours calendars and SLA policies, kept in the tenant's configuration item.

One calendar and one policy are the defaults: a ticket whose type and tier no other policy
names falls back to the default policy, a policy without a calendar to the default one.
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import logic as config
from crm_shared import clock
from crm_shared.business_hours import Calendar, CalendarError
from crm_shared.errors import BadRequest, Conflict, NotFound, ValidationFailed
from crm_shared.ids import new_id

MAX_CALENDARS = 20
MAX_POLICIES = 50


def _calendar_checked(record: dict[str, Any]) -> None:
    try:
        Calendar.from_doc(record)
    except CalendarError as exc:
        raise ValidationFailed.for_field(exc.field, exc.message) from None


def _make_default(records: dict[str, Any], record_id: str, key: str) -> None:
    for other_id, other in records.items():
        if other_id != record_id and other.get("is_default"):
            other["is_default"] = False
            other["version"] = int(other.get("version") or 0) + 1


def _find(records: dict[str, Any], record_id: str, what: str) -> dict[str, Any]:
    if record_id not in records:
        raise NotFound(f"no such {what}")
    return dict(records[record_id])


# -- calendars ------------------------------------------------------------------------

def calendars(tenant_id: str) -> list[dict[str, Any]]:
    found = config.read(tenant_id).get("calendars", {}).values()
    return sorted(found, key=lambda c: (not c.get("is_default"), c.get("name", "")))


def calendar(tenant_id: str, calendar_id: str) -> dict[str, Any]:
    return _find(config.read(tenant_id).get("calendars", {}), calendar_id, "business hours")


def create_calendar(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = clock.iso()
    record = {**fields, "business_hours_id": new_id("bhr"), "version": 1,
              "created_at": now, "updated_at": now,
              "hours": _hours(fields.get("hours")),
              "holidays": sorted(str(d) for d in fields.get("holidays") or []),
              "is_default": bool(fields.get("is_default"))}
    _calendar_checked(record)

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("calendars", {})
        if len(found) >= MAX_CALENDARS:
            raise Conflict(f"a tenant keeps at most {MAX_CALENDARS} calendars")
        if record["is_default"] or not found:
            record["is_default"] = True
            _make_default(found, record["business_hours_id"], "business_hours_id")
        found[record["business_hours_id"]] = record
        return record

    return config.change(tenant_id, edit)


def update_calendar(tenant_id: str, calendar_id: str, fields: dict[str, Any],
                    if_match: int | None) -> dict[str, Any]:
    for name in ("name", "time_zone", "hours", "is_default"):
        if name in fields and fields[name] is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("calendars", {})
        record = _find(found, calendar_id, "business hours")
        config.check_version(record, if_match, "business hours")
        if fields.get("is_default") is False and record.get("is_default"):
            raise BadRequest.for_field("is_default", "make another calendar the default")
        changes = dict(fields)
        if "hours" in changes:
            changes["hours"] = _hours(changes["hours"])
        if "holidays" in changes:
            changes["holidays"] = sorted(str(d) for d in changes["holidays"] or [])
        record.update(changes)
        _calendar_checked(record)
        record["version"] = int(record.get("version") or 0) + 1
        record["updated_at"] = clock.iso()
        if record.get("is_default"):
            _make_default(found, calendar_id, "business_hours_id")
        found[calendar_id] = record
        return record

    return config.change(tenant_id, edit)


def delete_calendar(tenant_id: str, calendar_id: str) -> None:
    def edit(doc: dict[str, Any]) -> None:
        found = doc.setdefault("calendars", {})
        record = _find(found, calendar_id, "business hours")
        if record.get("is_default"):
            raise Conflict.for_field("is_default", "the default calendar cannot be deleted")
        users = [p["policy_id"] for p in doc.get("policies", {}).values()
                 if p.get("business_hours_id") == calendar_id]
        if users:
            raise Conflict.for_field("business_hours_id",
                                     "policies use this calendar: " + ", ".join(users))
        del found[calendar_id]

    config.change(tenant_id, edit)


def _hours(hours: dict[str, Any] | None) -> dict[str, Any]:
    return {day: spans for day, spans in (hours or {}).items() if spans}


# -- policies -------------------------------------------------------------------------

def policies(tenant_id: str) -> list[dict[str, Any]]:
    found = config.read(tenant_id).get("policies", {}).values()
    return sorted(found, key=lambda p: (p.get("position", 0), p.get("created_at", "")))


def policy(tenant_id: str, policy_id: str) -> dict[str, Any]:
    return _find(config.read(tenant_id).get("policies", {}), policy_id, "SLA policy")


def _check_calendar(doc: dict[str, Any], record: dict[str, Any]) -> None:
    calendar_id = record.get("business_hours_id")
    if calendar_id and calendar_id not in doc.get("calendars", {}):
        raise ValidationFailed.for_field("business_hours_id", "no such business hours")


def create_policy(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    now = clock.iso()
    record = {"position": 1000, "types": [], "customer_tiers": [], "business_hours_id": None,
              "escalation": {"raise_priority": False, "reassign_to": None,
                             "notify_user_ids": []},
              **{k: v for k, v in fields.items() if v is not None},
              "policy_id": new_id("slp"), "version": 1, "created_at": now, "updated_at": now,
              "is_default": bool(fields.get("is_default"))}

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("policies", {})
        if len(found) >= MAX_POLICIES:
            raise Conflict(f"a tenant keeps at most {MAX_POLICIES} SLA policies")
        _check_calendar(doc, record)
        if record["is_default"] or not found:
            record["is_default"] = True
            _make_default(found, record["policy_id"], "policy_id")
        found[record["policy_id"]] = record
        return record

    return config.change(tenant_id, edit)


def update_policy(tenant_id: str, policy_id: str, fields: dict[str, Any],
                  if_match: int | None) -> dict[str, Any]:
    for name in ("name", "targets", "position", "is_default", "escalation"):
        if name in fields and fields[name] is None:
            raise ValidationFailed.for_field(name, "cannot be cleared")

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        found = doc.setdefault("policies", {})
        record = _find(found, policy_id, "SLA policy")
        config.check_version(record, if_match, "SLA policy")
        if fields.get("is_default") is False and record.get("is_default"):
            raise BadRequest.for_field("is_default", "make another policy the default")
        record.update({k: ([] if v is None and k in ("types", "customer_tiers") else v)
                       for k, v in fields.items()})
        _check_calendar(doc, record)
        record["version"] = int(record.get("version") or 0) + 1
        record["updated_at"] = clock.iso()
        if record.get("is_default"):
            _make_default(found, policy_id, "policy_id")
        found[policy_id] = record
        return record

    return config.change(tenant_id, edit)


def delete_policy(tenant_id: str, policy_id: str) -> None:
    def edit(doc: dict[str, Any]) -> None:
        found = doc.setdefault("policies", {})
        record = _find(found, policy_id, "SLA policy")
        if record.get("is_default"):
            raise Conflict.for_field("is_default", "the default policy cannot be deleted")
        del found[policy_id]

    config.change(tenant_id, edit)
