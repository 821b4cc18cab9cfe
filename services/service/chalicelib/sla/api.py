"""Routes of /business-hours and /sla-policies: everyone reads, admins and managers write."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.sla import logic
from chalicelib.sla.schemas import (
    BusinessHoursCreate,
    BusinessHoursFields,
    BusinessHoursList,
    BusinessHoursOut,
    PolicyCreate,
    PolicyFields,
    PolicyList,
    PolicyOut,
)
from crm_shared.auth.roles import ALL_ROLES, MANAGERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "sla")


def _calendar(record: dict[str, Any], status: int | None = None) -> Reply:
    body = BusinessHoursOut(**record)
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


def _policy(record: dict[str, Any], status: int | None = None) -> Reply:
    body = PolicyOut(**record)
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/business-hours", "GET", roles=ALL_ROLES, response=BusinessHoursList)
def list_business_hours(req: ApiRequest) -> BusinessHoursList:
    """The tenant's calendars, the default first."""
    return BusinessHoursList(items=[BusinessHoursOut(**c) for c in logic.calendars(req.tenant_id)])


@api.route("/business-hours", "POST", roles=MANAGERS, body=BusinessHoursCreate,
           response=BusinessHoursOut, status=201)
def create_business_hours(req: ApiRequest) -> Reply:
    """A calendar: IANA time zone, opening hours per weekday, holidays."""
    return _calendar(logic.create_calendar(req.tenant_id, req.body.model_dump(
        mode="json", exclude_none=True)))


@api.route("/business-hours/{business_hours_id}", "GET", roles=ALL_ROLES,
           response=BusinessHoursOut)
def get_business_hours(req: ApiRequest, business_hours_id: str) -> Reply:
    return _calendar(logic.calendar(req.tenant_id, business_hours_id))


@api.route("/business-hours/{business_hours_id}", "PATCH", roles=MANAGERS,
           body=BusinessHoursFields, response=BusinessHoursOut)
def update_business_hours(req: ApiRequest, business_hours_id: str) -> Reply:
    """Change the fields sent; running SLA clocks use the new hours from their next move."""
    fields = req.body.model_dump(mode="json", exclude_unset=True)
    if fields.get("hours") is not None:
        fields["hours"] = req.body.hours.model_dump(mode="json", exclude_none=True)
    return _calendar(logic.update_calendar(req.tenant_id, business_hours_id, fields,
                                           req.if_match()))


@api.route("/business-hours/{business_hours_id}", "DELETE", roles=MANAGERS, status=204)
def delete_business_hours(req: ApiRequest, business_hours_id: str) -> None:
    """Delete a calendar no policy uses (not the default)."""
    logic.delete_calendar(req.tenant_id, business_hours_id)


@api.route("/sla-policies", "GET", roles=ALL_ROLES, response=PolicyList)
def list_policies(req: ApiRequest) -> PolicyList:
    """The policies in the order they are tried (the default applies when none matches)."""
    return PolicyList(items=[PolicyOut(**p) for p in logic.policies(req.tenant_id)])


@api.route("/sla-policies", "POST", roles=MANAGERS, body=PolicyCreate, response=PolicyOut,
           status=201)
def create_policy(req: ApiRequest) -> Reply:
    """Targets per priority for tickets of these types and customer tiers, with escalation."""
    return _policy(logic.create_policy(req.tenant_id, req.body.model_dump(
        mode="json", exclude_none=True)), status=201)


@api.route("/sla-policies/{policy_id}", "GET", roles=ALL_ROLES, response=PolicyOut)
def get_policy(req: ApiRequest, policy_id: str) -> Reply:
    return _policy(logic.policy(req.tenant_id, policy_id))


@api.route("/sla-policies/{policy_id}", "PATCH", roles=MANAGERS, body=PolicyFields,
           response=PolicyOut)
def update_policy(req: ApiRequest, policy_id: str) -> Reply:
    """Change the fields sent; new tickets (and re-prioritised ones) use the new targets."""
    return _policy(logic.update_policy(req.tenant_id, policy_id,
                                       req.body.model_dump(mode="json", exclude_unset=True),
                                       req.if_match()))


@api.route("/sla-policies/{policy_id}", "DELETE", roles=MANAGERS, status=204)
def delete_policy(req: ApiRequest, policy_id: str) -> None:
    """Delete a policy (not the default); tickets keep the due times it gave them."""
    logic.delete_policy(req.tenant_id, policy_id)
