"""Marketing's Unsubscribed, delivered through the bus, becomes a consent statement."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_shared.events.envelope import envelope_for
from crm_shared.events.marketing_events import Unsubscribed
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, queue_depth, settle
from tests.support.services import load_app

TABLE = "crm-test-contacts"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def new_contact(contacts: ApiClient, tenant: Tenant) -> str:
    slug = unique("us")
    reply = contacts.post("/contacts", {"first_name": "Ada", "last_name": f"King{slug}",
                                        "emails": [{"address": f"ada.{slug}@example.com"}]},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def unsubscribed(tenant_id: str, contact_id: str | None, channel: str = "email",
                 occurred_at: str = "2030-01-01T00:00:00.000Z") -> dict[str, Any]:
    event = Unsubscribed(contact_id=contact_id, channel=channel, campaign_id=new_id("cmp"),
                         message_id=new_id("msg"), occurred_at=occurred_at)
    return envelope_for(event, tenant_id, "system:marketing").model_dump(mode="json")


def deliver(session: Any, runtimes: dict[str, Any], *details: dict[str, Any]) -> None:
    """Through the bus to the contacts queue and consumer; the contacts outbox stays
    unpublished (the test reads ConsentChanged there) until the next `settle`."""
    settle(runtimes)
    for detail in details:
        put_bus_event(session, "crm.marketing", "Unsubscribed", detail)
    load_app("contacts")
    while runtimes["contacts"].pump_queue():
        pass


def consent_changes(session: Any, tenant_id: str, contact_id: str) -> list[dict[str, Any]]:
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    found = [json.loads(i["detail"]["S"])["data"] for page in pages for i in page["Items"]
             if i["PK"]["S"].startswith(f"T#{tenant_id}#OUTBOX#")
             and i["detail_type"]["S"] == "ConsentChanged"]
    return [e for e in found if e["contact_id"] == contact_id]


def email_consent(contacts: ApiClient, tenant: Tenant, contact_id: str) -> dict[str, Any]:
    reply = contacts.get(f"/contacts/{contact_id}/consents/email", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_unsubscribe_becomes_a_statement_with_history_once(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    contact_id = new_contact(contacts, tenant)
    granted = contacts.request("PUT", f"/contacts/{contact_id}/consents/email", {
        "status": "granted", "legal_basis": "consent", "source": "form",
        "obtained_at": "2024-05-01T00:00:00Z"}, token=tenant.admin_token)
    assert granted.status == 200, granted.json
    event = unsubscribed(tenant.tenant_id, contact_id)
    again = unsubscribed(tenant.tenant_id, contact_id)  # marketing announcing it anew
    deliver(session, runtimes, event, event, again)  # the same event delivered twice
    changes = consent_changes(session, tenant.tenant_id, contact_id)
    assert [(c["channel"], c["status"], c["obtained_from"]) for c in changes] == [
        ("email", "unsubscribed", "unsubscribe_link")]
    settle(runtimes)
    detail = email_consent(contacts, tenant, contact_id)
    current = detail["current"]
    assert (current["status"], current["source"], current["legal_basis"]) == (
        "unsubscribed", "unsubscribe_link", "consent")
    assert current["obtained_at"] == "2030-01-01T00:00:00.000Z"
    assert current["version"] == 2 and current["changed_by"] == "system:consent"
    assert [(h["status"], h["source"]) for h in detail["history"]] == [
        ("unsubscribed", "unsubscribe_link"), ("granted", "form")]


def test_unsubscribe_without_an_earlier_statement(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    contact_id = new_contact(contacts, tenant)
    deliver(session, runtimes, unsubscribed(tenant.tenant_id, contact_id, "sms"))
    settle(runtimes)
    listed = contacts.get(f"/contacts/{contact_id}/consents", token=tenant.admin_token).json
    assert [(c["channel"], c["status"], c["source"]) for c in listed["items"]] == [
        ("sms", "unsubscribed", "unsubscribe_link")]


def test_another_tenants_contact_id_changes_nothing(
        contacts: ApiClient, tenant: Tenant, tenants: Tenants, session: Any,
        runtimes: dict[str, Any]) -> None:
    contact_id = new_contact(contacts, tenant)
    other = tenants.create()
    settle(runtimes)
    deliver(session, runtimes, unsubscribed(other.tenant_id, contact_id))
    assert consent_changes(session, tenant.tenant_id, contact_id) == []
    assert consent_changes(session, other.tenant_id, contact_id) == []
    settle(runtimes)
    detail = email_consent(contacts, tenant, contact_id)
    assert detail["current"] is None and detail["history"] == []
    assert contacts.get(f"/contacts/{contact_id}/consents/email",
                        token=other.admin_token).status == 404


@pytest.mark.parametrize("contact_id", [None, "con_01HZZZZZZZZZZZZZZZZZZZZZZZ", "nonsense"])
def test_unknown_contacts_and_channels_are_acknowledged(
        contacts: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any],
        contact_id: str | None) -> None:
    """Nobody to record it on: acknowledged (not retried into the DLQ), nothing written."""
    known = new_contact(contacts, tenant)
    dlq = session.client("sqs").get_queue_url(QueueName="crm-test-contacts-events-dlq")
    dead = queue_depth(session, dlq["QueueUrl"])
    deliver(session, runtimes, unsubscribed(tenant.tenant_id, contact_id),
            unsubscribed(tenant.tenant_id, known, channel="pigeon"))
    assert consent_changes(session, tenant.tenant_id, known) == []
    assert queue_depth(session, dlq["QueueUrl"]) == dead  # none failed its way there
    settle(runtimes)
    assert email_consent(contacts, tenant, known)["current"] is None
