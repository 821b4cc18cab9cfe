"""Maker for /notifications/{notification_id}: a real notice, from a real event on the bus."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3

from crm_shared import clock
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants

if TYPE_CHECKING:  # entities imports this module to collect its makers
    from tests.support.entities import Maker


def mention_detail(tenant_id: str, user_ids: list[str], event_id: str | None = None,
                   author_id: str | None = None) -> str:
    """A UserMentioned bus event's detail, as a service's note save would emit it."""
    return json.dumps({
        "metadata": {"event_id": event_id or new_id("evt"), "tenant_id": tenant_id,
                     "occurred_at": clock.iso(), "schema_version": 1,
                     "actor": f"user:{author_id}" if author_id else "system"},
        "data": {"service": "contacts", "record_type": "interaction",
                 "record_id": new_id("int"), "author_id": author_id, "user_ids": user_ids,
                 "excerpt": "@Ada please call back"}})


def deliver(clients: dict[str, ApiClient], source: str, detail_type: str, detail: str) -> None:
    """Put an event on the bus and let the platform consume it (its own runtime)."""
    from infra.local.lambda_runtime import ServiceRuntime
    from tests.support.events import put_bus_event, settle

    session: Any = boto3.session.Session(region_name="us-east-1")
    put_bus_event(session, source, detail_type, detail)
    platform = clients["platform"]
    runtime = ServiceRuntime(platform.module, platform.resources["services"]["platform"],
                             session, None, retry_delay=0)
    settle({"platform": runtime})


def _notification(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    deliver(clients, "crm.collaboration", "UserMentioned",
            mention_detail(tenant.tenant_id, [tenant.admin_user_id]))
    reply = clients["platform"].get("/notifications", token=tenant.admin_token)
    assert reply.status == 200 and reply.json["items"], reply.json
    return str(reply.json["items"][0]["notification_id"])


MAKERS: dict[str, Maker] = {"notification_id": _notification}
