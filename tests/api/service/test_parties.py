"""Contact events on tickets: erasure strips the person's words, a merge moves tickets."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.events.contacts_events import ContactErased, ContactMerged
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def publish(session: Any, tenant: Tenant, event: Event) -> None:
    put_bus_event(session, event.source, event.detail_type(),
                  envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json"))


def ticket_of(service: ApiClient, tenant: Tenant, contact_id: str) -> dict[str, Any]:
    made = service.post("/tickets", {"subject": "Ana Diaz cannot log in",
                                     "description": "Ana's phone is +34 600 000 000",
                                     "contact_id": contact_id, "properties": {"dob": "1990"}},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    return dict(made.json)


def ids(service: ApiClient, tenant: Tenant, contact_id: str) -> list[str]:
    reply = service.get(f"/tickets?contact_id={contact_id}", token=tenant.admin_token)
    return [t["ticket_id"] for t in reply.json["items"]]


def test_erasure_strips_tickets_and_comments(service: ApiClient, session: Any, tenant: Tenant,
                                             runtimes: dict[str, Any]) -> None:
    ana, bob = new_id("con"), new_id("con")
    hers = [ticket_of(service, tenant, ana) for _ in range(2)]
    his = ticket_of(service, tenant, bob)
    path = f"/tickets/{hers[0]['ticket_id']}"
    service.post(f"{path}/comments", {"body": "I am Ana", "author_contact_id": ana,
                                      "attachments": [new_id("fil")]}, token=tenant.admin_token)
    service.post(f"{path}/comments", {"body": "Hi Ana", "public": True},
                 token=tenant.admin_token)
    settle(runtimes)
    publish(session, tenant, ContactErased(contact_id=ana, erased_at="2026-01-01T00:00:00Z"))
    publish(session, tenant, ContactErased(contact_id=ana, erased_at="2026-01-01T00:00:00Z"))
    settle(runtimes)
    assert ids(service, tenant, ana) == []
    for ticket in hers:
        read = service.get(f"/tickets/{ticket['ticket_id']}", token=tenant.admin_token).json
        assert read["subject"] == "[erased]" and read["description"] is None
        assert read["contact_id"] is None and read["properties"] == {} and read["erased"]
    comments = service.get(f"{path}/comments", token=tenant.admin_token).json["items"]
    assert [(c["body"], c["attachments"], c["erased"]) for c in comments] == [
        (None, [], True), (None, [], True)]
    untouched = service.get(f"/tickets/{his['ticket_id']}", token=tenant.admin_token).json
    assert untouched["subject"] == his["subject"] and untouched["contact_id"] == bob


def test_merge_repoints_tickets_to_the_survivor(service: ApiClient, session: Any,
                                                tenant: Tenant,
                                                runtimes: dict[str, Any]) -> None:
    survivor, merged = new_id("con"), new_id("con")
    kept = ticket_of(service, tenant, survivor)
    moved = ticket_of(service, tenant, merged)
    publish(session, tenant, ContactMerged(contact_id=survivor, merged_ids=[merged],
                                           contact={"contact_id": survivor}))
    settle(runtimes)
    assert ids(service, tenant, merged) == []
    assert sorted(ids(service, tenant, survivor)) == sorted([kept["ticket_id"],
                                                             moved["ticket_id"]])
    read = service.get(f"/tickets/{moved['ticket_id']}", token=tenant.admin_token).json
    assert read["contact_id"] == survivor and read["subject"] == moved["subject"]
