"""Campaigns: launched once, planned in chunks, sent once per recipient through SES or SNS
with consent and suppressions checked at send time; schedules, pause, cancel, throttling."""

from __future__ import annotations

import email
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from crm_shared import clock
from tests.api.marketing.helpers import (
    campaign,
    consent,
    contact,
    module,
    sending_tenant,
    sent_to,
    ses_sent,
    sms_sent,
    static_list,
    template,
)
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Campaigns Co")


def address(person: dict[str, Any]) -> str:
    return str(person["emails"][0]["address"])


def people(contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
           count: int) -> list[dict[str, Any]]:
    made = [contact(contacts, tenant) for _ in range(count)]
    settle(runtimes)
    return made


def get(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    reply = marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_a_campaign_is_sent_once_to_each_allowed_recipient(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    granted, silent, denied, suppressed = people(contacts, tenant, runtimes, 4)
    consent(contacts, tenant, granted["contact_id"])
    consent(contacts, tenant, denied["contact_id"], status="denied")
    assert marketing.post("/suppressions", {"address": address(suppressed)},
                          token=tenant.admin_token).status == 201
    settle(runtimes)
    ids = [p["contact_id"] for p in (granted, silent, denied, suppressed)]
    first = static_list(marketing, tenant, ids[:3])
    second = static_list(marketing, tenant, ids[2:])  # denied is in both lists
    made = campaign(marketing, tenant, [first, second], template(marketing, tenant))
    assert made["status"] == "draft"

    launched = marketing.post(f"/campaigns/{made['campaign_id']}/launch",
                              token=tenant.admin_token)
    assert launched.status == 202, launched.json
    assert launched.json["status"] == "sending"
    settle(runtimes)
    done = get(marketing, tenant, made["campaign_id"])
    assert done["status"] == "sent" and done["completed_at"]
    assert done["stats"]["sent"] == 2 and done["stats"]["skipped"] == 2
    assert len(sent_to(address(granted))) == 1 and len(sent_to(address(silent))) == 1
    assert not sent_to(address(denied)) and not sent_to(address(suppressed))

    # launching again answers the same launch and sends nothing more
    before = len(ses_sent())
    again = marketing.post(f"/campaigns/{made['campaign_id']}/launch", token=tenant.admin_token)
    assert again.status == 200 and again.json["launch_id"] == launched.json["launch_id"]
    settle(runtimes)
    assert len(ses_sent()) == before

    [raw] = sent_to(address(granted))
    message = email.message_from_string(raw.raw_data)
    assert message["List-Unsubscribe"].startswith("<http") and "/t/u/" in message[
        "List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Subject"] == f"Hi {granted['first_name']}"
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    body = html.get_payload(decode=True).decode()
    assert "https://brand.example/offer" not in body and body.count("/t/c/") == 2
    assert "/t/o/" in body


def test_bad_campaigns_name_the_field(marketing: ApiClient, contacts: ApiClient,
                                      tenant: Tenant, runtimes: dict[str, Any]) -> None:
    segment = static_list(marketing, tenant, [])
    tpl = template(marketing, tenant)
    sms_tpl = template(marketing, tenant, {"name": "S", "channel": "sms", "text": "hi"})
    cases = [
        ({"schedule": {"send_at": "2001-01-01T00:00:00Z"}}, "schedule.send_at"),
        ({"schedule": {"send_at": "2999-01-01T00:00:00"}}, "schedule.send_at"),
        ({"segment_ids": ["seg_01JZZZZZZZZZZZZZZZZZZZZZZZ"]}, "segment_ids[0]"),
        ({"segment_ids": ["nope"]}, "segment_ids[0]"),
        ({"template_id": "tpl_01JZZZZZZZZZZZZZZZZZZZZZZZ"}, "template_id"),
        ({"template_id": sms_tpl}, "template_id"),
        ({"channel": "fax"}, "channel"),
        ({"throttle_per_minute": 0}, "throttle_per_minute"),
    ]
    for change, field in cases:
        body = {"name": "Bad", "channel": "email", "segment_ids": [segment],
                "template_id": tpl, **change}
        reply = marketing.post("/campaigns", body, token=tenant.admin_token)
        assert reply.status == 422, (change, reply.json)
        assert field in {e["field"] for e in reply.json["errors"]}, (change, reply.json)


def test_a_scheduled_campaign_starts_when_due_and_not_before(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    [person] = people(contacts, tenant, runtimes, 1)
    due = clock.iso(clock.now().replace(microsecond=0) + __import__("datetime").timedelta(
        hours=1))
    made = campaign(marketing, tenant, [static_list(marketing, tenant, [person["contact_id"]])],
                    template(marketing, tenant), schedule={"send_at": due})
    launched = marketing.post(f"/campaigns/{made['campaign_id']}/launch",
                              token=tenant.admin_token)
    assert launched.status == 202 and launched.json["status"] == "scheduled"
    runtimes["marketing"].tick()
    settle(runtimes)
    assert get(marketing, tenant, made["campaign_id"])["status"] == "scheduled"
    assert not sent_to(address(person))
    clock.advance(3600 + 60)
    try:
        runtimes["marketing"].tick()
        settle(runtimes)
    finally:
        clock.advance(-3600 - 60)
    assert get(marketing, tenant, made["campaign_id"])["status"] == "sent"
    assert len(sent_to(address(person))) == 1


def test_pause_holds_sends_and_cancel_stops_them(marketing: ApiClient, contacts: ApiClient,
                                                 tenant: Tenant, runtimes: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = people(contacts, tenant, runtimes, 2)
    tpl = template(marketing, tenant)
    paused = campaign(marketing, tenant, [static_list(marketing, tenant,
                                                      [first["contact_id"]])], tpl)
    cid = paused["campaign_id"]
    assert marketing.post(f"/campaigns/{cid}/pause", token=tenant.admin_token).status == 409
    batches = module("chalicelib.delivery.batches")

    monkeypatch.setattr(batches, "PAUSE_RECHECK_SECONDS", 1)  # moto delays in real time
    assert marketing.post(f"/campaigns/{cid}/launch", token=tenant.admin_token).status == 202
    held = marketing.post(f"/campaigns/{cid}/pause", token=tenant.admin_token)
    assert held.status == 200 and held.json["status"] == "paused"
    settle(runtimes)
    assert not sent_to(address(first))
    assert get(marketing, tenant, cid)["status"] == "paused"
    assert marketing.patch(f"/campaigns/{cid}", {"name": "x"},
                           token=tenant.admin_token).status == 409
    assert marketing.post(f"/campaigns/{cid}/resume", token=tenant.admin_token).status == 200
    time.sleep(1.2)  # the held batch comes back after its delay
    settle(runtimes)
    assert len(sent_to(address(first))) == 1
    assert get(marketing, tenant, cid)["status"] == "sent"

    cancelled = campaign(marketing, tenant, [static_list(marketing, tenant,
                                                         [second["contact_id"]])], tpl)
    ccid = cancelled["campaign_id"]
    assert marketing.post(f"/campaigns/{ccid}/launch", token=tenant.admin_token).status == 202
    assert marketing.post(f"/campaigns/{ccid}/cancel",
                          token=tenant.admin_token).json["status"] == "cancelled"
    settle(runtimes)
    assert not sent_to(address(second))
    assert get(marketing, tenant, ccid)["status"] == "cancelled"
    assert marketing.post(f"/campaigns/{ccid}/cancel", token=tenant.admin_token).status == 409


def test_the_planner_batches_recipients_and_dedupes_segments(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = people(contacts, tenant, runtimes, 12)
    ids = [p["contact_id"] for p in made]
    planner = module("chalicelib.campaigns.planner")
    config = module("chalicelib.config")

    monkeypatch.setattr(planner, "RECIPIENTS_PER_SEND_MESSAGE", 5)
    monkeypatch.setattr(planner, "PLAN_PAGE", 5)
    assert config.RECIPIENTS_PER_SEND_MESSAGE == 100 and config.PLAN_PAGE == 500
    queued: list[int] = []
    real = planner._queue_sends

    def spy(messages: list[dict[str, Any]], delays: list[int]) -> None:
        queued.extend(len(m["contact_ids"]) for m in messages)
        real(messages, delays)

    monkeypatch.setattr(planner, "_queue_sends", spy)
    one = campaign(marketing, tenant, [static_list(marketing, tenant, ids),
                                       static_list(marketing, tenant, ids[:4])],
                   template(marketing, tenant))
    marketing.post(f"/campaigns/{one['campaign_id']}/launch", token=tenant.admin_token)
    settle(runtimes)
    assert sorted(queued) == [2, 4, 5, 5]  # 12 in chunks of 5, then the second list
    done = get(marketing, tenant, one["campaign_id"])
    assert done["status"] == "sent" and done["stats"]["sent"] == 12
    assert done["stats"]["planned"] == 16
    assert all(len(sent_to(address(p))) == 1 for p in made)


def test_ses_throttling_backs_off_and_retries_without_duplicates(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    made = people(contacts, tenant, runtimes, 3)
    providers = module("chalicelib.delivery.providers")

    real = providers.ses()
    calls = {"n": 0}

    class Throttling:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def send_raw_email(self, **kw: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise ClientError({"Error": {"Code": "Throttling",
                                             "Message": "Maximum sending rate exceeded."}},
                                  "SendRawEmail")
            return real.send_raw_email(**kw)

    monkeypatch.setattr(providers, "ses", lambda: Throttling())
    one = campaign(marketing, tenant, [static_list(marketing, tenant,
                                                   [p["contact_id"] for p in made])],
                   template(marketing, tenant))
    marketing.post(f"/campaigns/{one['campaign_id']}/launch", token=tenant.admin_token)
    settle(runtimes)
    assert calls["n"] == 4  # one refused, retried on the redelivery
    assert all(len(sent_to(address(p))) == 1 for p in made)
    assert get(marketing, tenant, one["campaign_id"])["stats"]["sent"] == 3


def test_an_sms_campaign_goes_through_sns_to_consenting_phones(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    yes = contact(contacts, tenant, phones=[{"number": "+14155550123"}])
    no = contact(contacts, tenant, phones=[{"number": "+14155550124"}])
    consent(contacts, tenant, yes["contact_id"], channel="sms")
    settle(runtimes)
    tpl = template(marketing, tenant, {"name": "Promo", "channel": "sms",
                                       "text": "Hi {{ contact.first_name }}! Reply STOP to end"})
    one = campaign(marketing, tenant, [static_list(marketing, tenant, [yes["contact_id"],
                                                                       no["contact_id"]])],
                   tpl, channel="sms")
    marketing.post(f"/campaigns/{one['campaign_id']}/launch", token=tenant.admin_token)
    settle(runtimes)
    texts = [m for m in sms_sent().values() if m[0] in {"+14155550123", "+14155550124"}]
    assert texts == [("+14155550123", f"Hi {yes['first_name']}! Reply STOP to end")]
    stats = get(marketing, tenant, one["campaign_id"])["stats"]
    assert stats["sent"] == 1 and stats["skipped"] == 1


def test_roles_and_tenants(marketing: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    one = campaign(marketing, tenant, [static_list(marketing, tenant, [])],
                   template(marketing, tenant))
    cid = one["campaign_id"]
    viewer = tenants.user(tenant, "viewer")
    assert marketing.get(f"/campaigns/{cid}", token=viewer).status == 200
    assert marketing.post(f"/campaigns/{cid}/launch", token=viewer).status == 403
    assert marketing.post(f"/campaigns/{cid}/launch",
                          token=tenants.user(tenant, "sales_rep")).status == 403
    other = tenants.create("Other campaigns")
    assert marketing.post(f"/campaigns/{cid}/launch", token=other.admin_token).status == 404
    assert marketing.get(f"/campaigns/{cid}", token=other.admin_token).status == 404
    assert get(marketing, tenant, cid)["status"] == "draft"
    stats = marketing.get("/campaigns/stats", token=viewer)
    assert stats.status == 200 and stats.json["campaigns"] >= 1
