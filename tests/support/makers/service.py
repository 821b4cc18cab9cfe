"""Makers for the customer service routes' path parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3

from crm_shared.events.envelope import envelope_for
from crm_shared.events.platform_events import UserInvited
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event
from tests.support.services import load_app

if TYPE_CHECKING:  # entities imports this module to collect MAKERS
    from tests.support.entities import Maker


def _ticket(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/tickets", {"subject": "Isolation"},
                                    token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["ticket_id"])


def _business_hours(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/business-hours", {
        "name": "Isolation", "time_zone": "Europe/Berlin",
        "hours": {"mon": [["09:00", "17:00"]]}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["business_hours_id"])


def _policy(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/sla-policies", {
        "name": "Isolation", "targets": {"low": {"first_response_minutes": 60,
                                                 "resolution_minutes": 600}}},
        token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["policy_id"])


def _rule(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["service"].post("/tickets/routing-rules", {
        "name": "Isolation", "assignee_id": tenant.admin_user_id}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["rule_id"])


def _agent(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A support agent the service's directory knows, with skills: the platform's
    UserInvited is delivered to the service queue here (makers have no `settle`)."""
    from infra.local.lambda_runtime import ServiceRuntime

    tenants.user(tenant, "support_agent")
    user_id = tenant.user_ids["support_agent"]
    event = UserInvited(user_id=user_id, email=f"{user_id.lower()}@example.com",
                        roles=["support_agent"])
    session = boto3.session.Session(region_name="us-east-1")
    put_bus_event(session, event.source, event.detail_type(),
                  envelope_for(event, tenant.tenant_id, "operator").model_dump(mode="json"))
    client = clients["service"]
    runtime = ServiceRuntime(load_app("service"), client.resources["services"]["service"],
                             session, None)
    while runtime.pump_queue():
        pass
    reply = client.request("PUT", f"/tickets/agents/{user_id}/skills", {"skills": ["iso"]},
                           token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return user_id


MAKERS: dict[str, Maker] = {
    "ticket_id": _ticket,
    "business_hours_id": _business_hours,
    "policy_id": _policy,
    "rule_id": _rule,
    "agent_id": _agent,
}
