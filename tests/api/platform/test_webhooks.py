"""/webhooks through the API on moto, with real HTTP deliveries to a loopback receiver."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from crm_shared import clock
from crm_shared.webhook_signature import parse, verify
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, settle
from tests.support.makers.webhooks import NOWHERE, Receiver, receiver

PUBLIC = "https://93.184.216.34/hook"  # a global address literal: no DNS needed


@pytest.fixture(scope="module")
def hook_receiver() -> Iterator[Receiver]:
    with receiver() as state:
        yield state


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    found = tenants.create("Hooks")
    settle(runtimes)
    return found


def create(platform: ApiClient, tenant: Tenant, **body: Any) -> dict[str, Any]:
    payload = {"url": NOWHERE, "event_types": ["ContractRenewed"], **body}
    reply = platform.post("/webhooks", payload, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def fields(reply: Any) -> list[str]:
    return [e["field"] for e in reply.json["errors"]]


def now() -> float:
    return clock.now().timestamp()


def test_create_shows_the_secret_once(platform: ApiClient, tenant: Tenant) -> None:
    body = create(platform, tenant, description="ERP")
    assert body["secret"].startswith("whsec_") and body["key_id"].startswith("whk_")
    assert body["key_ids"] == [body["key_id"]] and body["enabled"] is True
    read = platform.get(f"/webhooks/{body['webhook_id']}", token=tenant.admin_token)
    assert read.status == 200 and "secret" not in read.json
    assert read.header("ETag") == '"1"'
    listed = platform.get("/webhooks", token=tenant.admin_token).json["items"]
    assert body["webhook_id"] in [h["webhook_id"] for h in listed]
    assert all("secret" not in h for h in listed)


@pytest.mark.parametrize("url, message", [
    ("http://93.184.216.34/hook", "https"),
    ("ftp://93.184.216.34/hook", "https"),
    ("https://10.1.2.3/hook", "private"),
    ("https://192.168.0.10/hook", "private"),
    ("https://169.254.169.254/latest/meta-data", "metadata"),
    ("https://127.0.0.2/hook", "loopback"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://100.64.0.1/hook", "address"),
    ("https://[::ffff:10.0.0.1]/hook", "private"),
    ("https://user:pw@93.184.216.34/hook", "credentials"),
    ("https://no-such-host.invalid/hook", "resolve"),
    ("https:///hook", "host"),
])
def test_unsafe_urls_are_422_naming_url(platform: ApiClient, tenant: Tenant, url: str,
                                        message: str) -> None:
    reply = platform.post("/webhooks", {"url": url, "event_types": ["ContactCreated"]},
                          token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert fields(reply) == ["url"]
    assert message in reply.json["errors"][0]["message"]


def test_a_public_https_url_is_accepted(platform: ApiClient, tenant: Tenant) -> None:
    body = create(platform, tenant, url=PUBLIC)
    assert body["url"] == PUBLIC
    assert platform.delete(f"/webhooks/{body['webhook_id']}",
                           token=tenant.admin_token).status == 204


@pytest.mark.parametrize("body, field", [
    ({"url": NOWHERE, "event_types": ["ContactCreated", "NoSuchEvent"]}, "event_types[1]"),
    ({"url": NOWHERE, "event_types": []}, "event_types"),
    ({"url": NOWHERE}, "event_types"),
    ({"event_types": ["ContactCreated"]}, "url"),
    ({"url": NOWHERE, "event_types": ["ContactCreated"], "secret": "x"}, "secret"),
    ({"url": NOWHERE, "event_types": ["ContactCreated"],
      "filter": {"filter_groups": [{"filters": [{"field": "x", "operator": "nope"}]}]}},
     "filter.filter_groups[0].filters[0].operator"),
    ({"url": NOWHERE, "event_types": ["ContactCreated"], "filter": {"filter_groups": []}},
     "filter.filter_groups"),
])
def test_bad_bodies_are_422_naming_the_field(platform: ApiClient, tenant: Tenant,
                                             body: dict[str, Any], field: str) -> None:
    reply = platform.post("/webhooks", body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in fields(reply), reply.json


def test_only_admins_manage_webhooks(platform: ApiClient, tenants: Tenants,
                                     tenant: Tenant) -> None:
    for role in ("manager", "viewer"):
        token = tenants.user(tenant, role)
        assert platform.get("/webhooks", token=token).status == 403
        assert platform.post("/webhooks", {"url": NOWHERE, "event_types": ["ContactCreated"]},
                             token=token).status == 403


def test_update_checks_the_version_and_the_fields(platform: ApiClient, tenant: Tenant) -> None:
    hook = create(platform, tenant)
    path = f"/webhooks/{hook['webhook_id']}"
    bad = platform.patch(path, {"event_types": ["Nope"]}, token=tenant.admin_token)
    assert bad.status == 422 and fields(bad) == ["event_types[0]"]
    unsafe = platform.patch(path, {"url": "https://10.0.0.1/x"}, token=tenant.admin_token)
    assert unsafe.status == 422 and fields(unsafe) == ["url"]
    stale = platform.patch(path, {"description": "x"}, token=tenant.admin_token,
                           headers={"If-Match": '"7"'})
    assert stale.status == 412
    ok = platform.patch(path, {"description": "y", "event_types": ["ContactCreated"]},
                        token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert ok.status == 200 and ok.json["version"] == 2
    assert ok.json["event_types"] == ["ContactCreated"]
    assert platform.delete(path, token=tenant.admin_token).status == 204
    assert platform.get(path, token=tenant.admin_token).status == 404


def test_another_tenants_webhook_is_404(platform: ApiClient, tenants: Tenants,
                                        tenant: Tenant) -> None:
    hook = create(platform, tenant)
    other = tenants.create("Other")
    for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/rotate-secret"),
                         ("POST", "/ping"), ("GET", "/deliveries")):
        reply = platform.request(method, f"/webhooks/{hook['webhook_id']}{path}",
                                 {} if method == "PATCH" else None, token=other.admin_token)
        assert reply.status == 404, (method, path, reply.json)


def _deliveries(platform: ApiClient, tenant: Tenant, webhook_id: str) -> list[dict[str, Any]]:
    reply = platform.get(f"/webhooks/{webhook_id}/deliveries", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def test_ping_is_delivered_signed(platform: ApiClient, tenant: Tenant,
                                  runtimes: dict[str, Any], hook_receiver: Receiver) -> None:
    hook = create(platform, tenant, url=hook_receiver.url)
    ping = platform.post(f"/webhooks/{hook['webhook_id']}/ping", token=tenant.admin_token)
    assert ping.status == 202 and ping.json["status"] == "pending"
    settle(runtimes)
    [got] = hook_receiver.of_event(ping.json["event_id"])
    assert verify(got.headers["X-CRM-Signature"], got.body, [hook["secret"]], now=now())
    assert not verify(got.headers["X-CRM-Signature"], got.body, ["whsec_wrong"], now=now())
    assert not verify(got.headers["X-CRM-Signature"], got.body + b" ", [hook["secret"]],
                      now=now())
    assert not verify(got.headers["X-CRM-Signature"], got.body, [hook["secret"]],
                      now=now() + 301)  # older than 5 minutes
    assert got.headers["X-CRM-Key-Id"] == hook["key_id"]
    assert got.json["type"] == "WebhookPing" and got.json["tenant_id"] == tenant.tenant_id
    done = platform.get(f"/webhooks/{hook['webhook_id']}/deliveries/{ping.json['delivery_id']}",
                        token=tenant.admin_token).json
    assert done["status"] == "delivered" and done["attempt_count"] == 1
    [attempt] = done["attempts"]
    assert attempt["response_code"] == 200 and attempt["latency_ms"] >= 0
    assert [d["delivery_id"] for d in _deliveries(platform, tenant, hook["webhook_id"])] == [
        ping.json["delivery_id"]]


def test_rotation_signs_with_both_secrets_for_24_hours(
        platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        hook_receiver: Receiver) -> None:
    hook = create(platform, tenant, url=hook_receiver.url)
    path = f"/webhooks/{hook['webhook_id']}"
    rotated = platform.post(f"{path}/rotate-secret", token=tenant.admin_token)
    assert rotated.status == 200, rotated.json
    assert rotated.json["previous_key_id"] == hook["key_id"]
    ping = platform.post(f"{path}/ping", token=tenant.admin_token).json
    settle(runtimes)
    [got] = hook_receiver.of_event(ping["event_id"])
    header = got.headers["X-CRM-Signature"]
    assert len(parse(header)[1]) == 2
    assert got.headers["X-CRM-Key-Id"] == f"{rotated.json['key_id']},{hook['key_id']}"
    assert verify(header, got.body, [hook["secret"]], now=now())
    assert verify(header, got.body, [rotated.json["secret"]], now=now())
    clock.advance(24 * 3600 + 1)
    later = platform.post(f"{path}/ping", token=tenant.admin_token).json
    settle(runtimes)
    [got] = hook_receiver.of_event(later["event_id"])
    assert not verify(got.headers["X-CRM-Signature"], got.body, [hook["secret"]], now=now())
    assert verify(got.headers["X-CRM-Signature"], got.body, [rotated.json["secret"]], now=now())
    assert platform.get(path, token=tenant.admin_token).json["key_ids"] == [
        rotated.json["key_id"]]


def test_events_reach_matching_subscriptions_once(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any], hook_receiver: Receiver, session: Any) -> None:
    every = create(platform, tenant, url=hook_receiver.url, event_types=["ContactCreated"])
    filtered = create(platform, tenant, url=hook_receiver.url + "/vip",
                      event_types=["ContactCreated"], filter={"filter_groups": [{"filters": [
                          {"field": "contact.last_name", "operator": "eq", "value": "Vip"}]}]})
    other = tenants.create("Elsewhere")
    settle(runtimes)
    made = contacts.post("/contacts", {"first_name": "Ada", "last_name": "Plain"},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    foreign = contacts.post("/contacts", {"first_name": "Eve", "last_name": "Vip"},
                            token=other.admin_token)
    assert foreign.status == 201
    settle(runtimes)
    plain = [r for r in hook_receiver.received if r.json["type"] == "ContactCreated"
             and r.json["data"]["contact_id"] == made.json["contact_id"]]
    assert [r.path for r in plain] == ["/hook"]  # the filter kept the other one out
    assert not [r for r in hook_receiver.received
                if r.json["tenant_id"] == other.tenant_id]  # never another tenant's events
    event = plain[0].json
    assert verify(plain[0].headers["X-CRM-Signature"], plain[0].body, [every["secret"]],
                  now=now())
    # the same event delivered twice on the bus is sent once
    detail = {"metadata": {"event_id": event["id"], "tenant_id": tenant.tenant_id,
                           "occurred_at": event["occurred_at"], "schema_version": 1,
                           "actor": "system"}, "data": event["data"]}
    put_bus_event(session, "crm.contacts", "ContactCreated", json.dumps(detail))
    settle(runtimes)
    assert len(hook_receiver.of_event(event["id"])) == 1
    assert len(_deliveries(platform, tenant, every["webhook_id"])) == 1
    assert _deliveries(platform, tenant, filtered["webhook_id"]) == []


def test_a_failed_attempt_is_logged_and_waits_for_its_retry(
        platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        hook_receiver: Receiver) -> None:
    hook = create(platform, tenant, url=hook_receiver.url)
    path = f"/webhooks/{hook['webhook_id']}"
    hook_receiver.answers[:] = [500]
    ping = platform.post(f"{path}/ping", token=tenant.admin_token).json
    settle(runtimes)
    first = platform.get(f"{path}/deliveries/{ping['delivery_id']}", token=tenant.admin_token)
    assert first.json["status"] == "pending" and first.json["attempt_count"] == 1
    assert first.json["attempts"][0]["response_code"] == 500
    assert first.json["error"] == "the receiver answered 500"
    # the retry waits on the message's SQS visibility (a minute): settling sends nothing
    settle(runtimes)
    assert len(hook_receiver.of_event(ping["event_id"])) == 1
    replay = platform.post(f"{path}/deliveries/{ping['delivery_id']}/replay",
                           token=tenant.admin_token)
    assert replay.status == 409 and fields(replay) == ["delivery_id"]


def test_dns_that_changed_since_saving_is_refused_at_delivery(
        platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def lookup(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.customer.test":
            address = "93.184.216.34" if not moved else "10.0.0.8"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]
        return real(host, *args, **kwargs)

    moved = False
    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    hook = create(platform, tenant, url="https://hooks.customer.test/in")
    moved = True  # the name now points inside the network
    ping = platform.post(f"/webhooks/{hook['webhook_id']}/ping", token=tenant.admin_token).json
    settle(runtimes)
    done = platform.get(f"/webhooks/{hook['webhook_id']}/deliveries/{ping['delivery_id']}",
                        token=tenant.admin_token).json
    assert done["attempts"][0]["error"] == "url resolves to a private address (10.0.0.8)"
    assert done["attempts"][0]["response_code"] is None
    platform.delete(f"/webhooks/{hook['webhook_id']}", token=tenant.admin_token)


def test_settings_are_validated(platform: ApiClient, tenant: Tenant) -> None:
    bad = platform.request("PUT", "/webhooks/settings", {"disable_after_failures": 0},
                           token=tenant.admin_token)
    assert bad.status == 422 and fields(bad) == ["disable_after_failures"]
    assert platform.get("/webhooks/settings", token=tenant.admin_token).json == {
        "disable_after_failures": 20}


def test_a_delivery_is_masked_with_the_subscriptions_role(
        platform: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        hook_receiver: Receiver) -> None:
    viewer = create(platform, tenant, url=hook_receiver.url + "/viewer",
                    event_types=["ContactCreated"])
    admin = create(platform, tenant, url=hook_receiver.url + "/admin",
                   event_types=["ContactCreated"], role="admin")
    # a filter over a hidden field cannot tell the viewer's receiver what the field holds
    probe = create(platform, tenant, url=hook_receiver.url + "/probe",
                   event_types=["ContactCreated"], filter={"filter_groups": [{"filters": [
                       {"field": "contact.phones", "operator": "exists"}]}]})
    assert viewer["role"] == "viewer" and admin["role"] == "admin"
    made = contacts.post("/contacts", {"first_name": "Masked", "last_name": "Caller",
                                       "phones": [{"number": "+14155550123"}]},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    got = {r.path: r for r in hook_receiver.received if r.json["type"] == "ContactCreated"
           and r.json["data"]["contact_id"] == made.json["contact_id"]
           and r.path in ("/hook/viewer", "/hook/admin", "/hook/probe")}
    assert set(got) == {"/hook/viewer", "/hook/admin"}  # no probe: it sees no phones
    assert verify(got["/hook/viewer"].headers["X-CRM-Signature"], got["/hook/viewer"].body,
                  [viewer["secret"]], now=now())
    seen = got["/hook/viewer"].json["data"]["contact"]
    assert "phones" not in seen and seen["last_name"] == "Caller"
    assert got["/hook/admin"].json["data"]["contact"]["phones"][0]["number"] == "+14155550123"
    # the stored delivery shows what was sent, and a replay sends the same masked bytes
    [logged] = _deliveries(platform, tenant, viewer["webhook_id"])
    assert "phones" not in logged["payload"]["data"]["contact"]
    # the role is changed like any field; later deliveries follow it
    changed = platform.patch(f"/webhooks/{viewer['webhook_id']}", {"role": "manager"},
                             token=tenant.admin_token)
    assert changed.status == 200 and changed.json["role"] == "manager"
    again = contacts.post("/contacts", {"first_name": "Shown", "last_name": "Later",
                                        "phones": [{"number": "+14155550124"}]},
                          token=tenant.admin_token).json
    settle(runtimes)
    [later] = [r for r in hook_receiver.received if r.path == "/hook/viewer"
               and r.json["data"].get("contact_id") == again["contact_id"]]
    assert later.json["data"]["contact"]["phones"][0]["number"] == "+14155550124"
    for hook in (viewer, admin, probe):
        platform.delete(f"/webhooks/{hook['webhook_id']}", token=tenant.admin_token)


@pytest.mark.parametrize("body", [{"role": "owner"}, {"role": "ADMIN"}])
def test_an_unknown_role_is_422_naming_role(platform: ApiClient, tenant: Tenant,
                                            body: dict[str, Any]) -> None:
    reply = platform.post("/webhooks", {"url": NOWHERE, "event_types": ["ContactCreated"],
                                        **body}, token=tenant.admin_token)
    assert reply.status == 422 and fields(reply) == ["role"], reply.json
    hook = create(platform, tenant)
    patched = platform.patch(f"/webhooks/{hook['webhook_id']}", body, token=tenant.admin_token)
    assert patched.status == 422 and fields(patched) == ["role"], patched.json
