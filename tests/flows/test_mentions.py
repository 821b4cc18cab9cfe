"""@mentions in sales lead notes and service ticket comments reach the mentioned user's
/notifications inbox through the services' outboxes, the bus and the platform consumer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    found = tenants.create("Mentions")
    tenants.user(found, "sales_rep")
    tenants.user(found, "support_agent")
    tenants.user(found, "viewer")
    settle(runtimes)
    return found


def inbox(platform: ApiClient, token: str) -> list[dict[str, Any]]:
    reply = platform.get("/notifications", token=token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def test_a_ticket_comment_mentioning_a_user_lands_in_their_inbox(
        platform: ApiClient, service: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    agent_token = tenants.user(tenant, "support_agent")
    viewer_id = tenant.user_ids["viewer"]
    ticket = service.post("/tickets", {"subject": unique("Printer ")}, token=agent_token)
    assert ticket.status == 201, ticket.json
    path = f"/tickets/{ticket.json['ticket_id']}/comments"
    comment = service.post(path, {
        "body": f"@[Vi Ewer]({viewer_id}) can you look? cc "
                f"@[Me]({tenant.user_ids['support_agent']})"}, token=agent_token)
    assert comment.status == 201, comment.json
    settle(runtimes)
    [notice] = inbox(platform, tenants.user(tenant, "viewer"))
    assert notice["type"] == "mention" and notice["read"] is False
    assert notice["body"] == "@Vi Ewer can you look? cc @Me"
    assert notice["link"] == {"type": "comment", "id": comment.json["comment_id"],
                              "parent_id": ticket.json["ticket_id"]}
    assert inbox(platform, agent_token) == []  # never one's own mention
    # a customer's message (posted for them) notifies nobody, mention or not
    customer = service.post(path, {"body": f"@[Vi]({viewer_id}) hello?",
                                   "author_contact_id": "con_01HZZZZZZZZZZZZZZZZZZZZZZZ"},
                            token=agent_token)
    assert customer.status == 201, customer.json
    settle(runtimes)
    assert len(inbox(platform, tenants.user(tenant, "viewer"))) == 1


def test_lead_notes_mentioning_a_user_notify_them_once(
        platform: ApiClient, sales: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    rep_id = tenant.user_ids["sales_rep"]
    rep_token = tenants.user(tenant, "sales_rep")
    viewer_token = tenants.user(tenant, "viewer")
    before, viewer_before = len(inbox(platform, rep_token)), len(inbox(platform, viewer_token))
    lead = sales.post("/leads", {"name": "Ada", "notes": f"@[Rep]({rep_id}) call her"},
                      token=tenant.admin_token)
    assert lead.status == 201, lead.json
    settle(runtimes)
    notices = inbox(platform, rep_token)
    assert len(notices) == before + 1
    assert notices[0]["link"] == {"type": "lead", "id": lead.json["lead_id"]}
    assert notices[0]["body"] == "@Rep call her"
    path = f"/leads/{lead.json['lead_id']}"
    edited = sales.patch(path, {"notes": lead.json["notes"] + " today"},
                         token=tenant.admin_token)
    assert edited.status == 200, edited.json
    other = sales.patch(path, {"title": "CFO"}, token=tenant.admin_token)
    assert other.status == 200, other.json
    settle(runtimes)
    assert len(inbox(platform, rep_token)) == before + 1  # no new mention, no new notice
    viewer_id = tenant.user_ids["viewer"]
    added = sales.patch(path, {"notes": f"@[Rep]({rep_id}) and @[Vi]({viewer_id})"},
                        token=tenant.admin_token)
    assert added.status == 200, added.json
    settle(runtimes)
    assert len(inbox(platform, rep_token)) == before + 1
    seen = inbox(platform, viewer_token)
    assert len(seen) == viewer_before + 1
    assert seen[0]["link"] == {"type": "lead", "id": lead.json["lead_id"]}
