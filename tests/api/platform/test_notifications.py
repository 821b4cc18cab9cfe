"""/notifications through the API on moto: events in, one notice per recipient, inboxes
that only their owner sees, the delta feed, preferences and the daily digest."""

from __future__ import annotations

import json
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.notifications import mention_detail
from tests.support.services import load_app


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    found = tenants.create("Inbox")
    tenants.user(found, "sales_rep")
    tenants.user(found, "viewer")
    settle(runtimes)
    return found


def inbox(platform: ApiClient, token: str, **query: str) -> dict[str, Any]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    reply = platform.get(f"/notifications?{params}", token=token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def lead_assigned(tenant: Tenant, owner_id: str, event_id: str | None = None) -> str:
    return json.dumps({
        "metadata": {"event_id": event_id or new_id("evt"), "tenant_id": tenant.tenant_id,
                     "occurred_at": clock.iso(), "schema_version": 1, "actor": "system"},
        "data": {"lead_id": new_id("lea"), "owner_id": owner_id}})


def test_a_note_that_mentions_a_user_lands_in_their_inbox(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    rep_id = tenant.user_ids["sales_rep"]
    contact = contacts.post("/contacts", {"first_name": "Ada", "last_name": "Note"},
                            token=tenant.admin_token).json
    note = contacts.post("/interactions", {
        "kind": "note", "subject": "Call",
        "body": f"@[Rep One]({rep_id}) please call back, cc @[Me]({tenant.admin_user_id})",
        "related_ids": [contact["contact_id"]]}, token=tenant.admin_token)
    assert note.status == 201, note.json
    settle(runtimes)
    [notice] = inbox(platform, tenants.user(tenant, "sales_rep"))["items"]
    assert notice["type"] == "mention" and notice["read"] is False
    assert notice["body"] == "@Rep One please call back, cc @Me"
    assert notice["link"] == {"type": "interaction", "id": note.json["interaction_id"]}
    # the author is never notified of their own mention; nobody else got it
    assert inbox(platform, tenant.admin_token)["items"] == []
    assert inbox(platform, tenants.user(tenant, "viewer"))["items"] == []
    # an edit that adds no new mention notifies no one again
    edited = contacts.patch(f"/interactions/{note.json['interaction_id']}", {
        "body": note.json["body"] + " thanks"}, token=tenant.admin_token)
    assert edited.status == 200, edited.json
    settle(runtimes)
    assert len(inbox(platform, tenants.user(tenant, "sales_rep"))["items"]) == 1


def test_each_event_notifies_each_recipient_once(
        platform: ApiClient, tenants: Tenants, tenant: Tenant, runtimes: dict[str, Any],
        session: Any) -> None:
    viewer = tenants.user(tenant, "viewer")
    event_id = new_id("evt")
    detail = lead_assigned(tenant, tenant.user_ids["viewer"], event_id)
    put_bus_event(session, "crm.sales", "LeadAssigned", detail)
    put_bus_event(session, "crm.sales", "LeadAssigned", detail)  # delivered twice
    settle(runtimes)
    items = inbox(platform, viewer)["items"]
    assert [i["event_type"] for i in items] == ["LeadAssigned"]
    assert items[0]["type"] == "assigned" and items[0]["title"] == "A lead was assigned to you"


def test_read_unread_cursor_read_all_and_the_delta_feed(
        platform: ApiClient, tenants: Tenants, tenant: Tenant, runtimes: dict[str, Any],
        session: Any) -> None:
    rep = tenants.user(tenant, "sales_rep")
    start = platform.get("/notifications/changes", token=rep).json
    for _ in range(3):
        put_bus_event(session, "crm.sales", "LeadAssigned",
                      lead_assigned(tenant, tenant.user_ids["sales_rep"]))
    settle(runtimes)
    first = inbox(platform, rep, status="unread", limit="2")
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = inbox(platform, rep, status="unread", limit="2", cursor=first["next_cursor"])
    unread = first["items"] + rest["items"]
    assert len(unread) == 4  # three assignments and the mention
    assert [i["notification_id"] for i in unread] == sorted(
        (i["notification_id"] for i in unread), reverse=True)  # newest first
    one = unread[0]["notification_id"]
    read = platform.post(f"/notifications/{one}/read", token=rep)
    assert read.status == 200 and read.json["read"] is True
    assert platform.post(f"/notifications/{one}/read", token=rep).json == read.json
    assert [i["notification_id"] for i in inbox(platform, rep, status="read")["items"]] == [one]
    assert len(inbox(platform, rep, status="unread")["items"]) == 3
    done = platform.post("/notifications/read-all", token=rep)
    assert done.status == 200 and done.json == {"marked": 3, "remaining": False}
    assert inbox(platform, rep, status="unread")["items"] == []
    assert platform.delete(f"/notifications/{one}", token=rep).status == 204
    assert platform.get(f"/notifications/{one}", token=rep).status == 404
    assert one not in [i["notification_id"] for i in inbox(platform, rep)["items"]]
    feed = platform.get(f"/notifications/changes?since={start['next_since'] or ''}",
                        token=rep).json
    changes = {c["notification_id"]: c for c in feed["items"]}
    assert changes[one] == {"notification_id": one, "deleted": True, "notification": None}
    assert len(changes) == 3 or len(changes) == 4
    again = platform.get(f"/notifications/changes?since={feed['next_since']}", token=rep).json
    assert again["items"] == [] and again["has_more"] is False
    bad = platform.get("/notifications?status=archived", token=rep)
    assert bad.status == 400 and bad.json["errors"][0]["field"] == "status"
    forged = platform.get("/notifications/changes?since=abc", token=rep)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"


def test_nobody_sees_anothers_notifications(platform: ApiClient, tenants: Tenants,
                                            tenant: Tenant) -> None:
    rep = tenants.user(tenant, "sales_rep")
    mine = inbox(platform, rep)["items"][0]["notification_id"]
    other = tenants.create("Another")
    for token in (tenant.admin_token, tenants.user(tenant, "viewer"), other.admin_token):
        assert platform.get(f"/notifications/{mine}", token=token).status == 404
        assert platform.post(f"/notifications/{mine}/read", token=token).status == 404
        assert platform.delete(f"/notifications/{mine}", token=token).status == 404
    assert inbox(platform, other.admin_token)["items"] == []
    assert platform.get(f"/notifications/{mine}", token=rep).status == 200


def test_preferences_silence_a_type(platform: ApiClient, tenants: Tenants, tenant: Tenant,
                                    runtimes: dict[str, Any], session: Any) -> None:
    viewer = tenants.user(tenant, "viewer")
    bad = platform.request("PUT", "/notifications/preferences",
                           {"types": {"gossip": {"in_app": False}}}, token=viewer)
    assert bad.status == 422 and bad.json["errors"][0]["field"].startswith("types.gossip")
    bad = platform.request("PUT", "/notifications/preferences",
                           {"types": {"mention": {"in_app": "sometimes"}}}, token=viewer)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "types.mention.in_app"
    saved = platform.request("PUT", "/notifications/preferences",
                             {"types": {"mention": {"in_app": False}}}, token=viewer)
    assert saved.status == 200 and saved.json["types"]["mention"]["in_app"] is False
    assert saved.json["types"]["assigned"]["in_app"] is True
    before = len(inbox(platform, viewer)["items"])
    put_bus_event(session, "crm.collaboration", "UserMentioned",
                  mention_detail(tenant.tenant_id, [tenant.user_ids["viewer"]]))
    settle(runtimes)
    assert len(inbox(platform, viewer)["items"]) == before
    assert platform.get("/notifications/preferences", token=viewer).json == saved.json


def test_the_daily_digest_asks_marketing_to_email_unread_notices(
        platform: ApiClient, tenants: Tenants, tenant: Tenant, runtimes: dict[str, Any],
        session: Any) -> None:
    rep = tenants.user(tenant, "sales_rep")
    saved = platform.request("PUT", "/notifications/preferences", {"digest": True}, token=rep)
    assert saved.status == 200 and saved.json["digest"] is True
    put_bus_event(session, "crm.sales", "LeadAssigned",
                  lead_assigned(tenant, tenant.user_ids["sales_rep"]))
    settle(runtimes)
    sqs = session.client("sqs")
    url = sqs.get_queue_url(QueueName="crm-test-marketing-messages")["QueueUrl"]
    load_app("platform")  # the schedules import the platform's modules
    runtimes["platform"].tick()
    assert _digests(sqs, url, tenant) == []  # not due for a day
    clock.advance(24 * 3600 + 60)
    runtimes["platform"].tick()
    [command] = _digests(sqs, url, tenant)
    assert command["channel"] == "email" and command["to_address"].endswith("@example.com")
    assert "A lead was assigned to you" in command["text"]
    runtimes["platform"].tick()
    assert _digests(sqs, url, tenant) == []  # once a day


def _digests(sqs: Any, url: str, tenant: Tenant) -> list[dict[str, Any]]:
    found = []
    for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get(
            "Messages", []):
        body = json.loads(message["Body"])
        if body["tenant_id"] == tenant.tenant_id and body["requested_by"] == "platform":
            found.append(body)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found
