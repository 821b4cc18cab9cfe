"""Signed, tenant-scoped tracking (pixel, redirect, one-click unsubscribe) and SES feedback
(bounces and complaints suppress the address) through the real SNS -> SQS wiring."""

from __future__ import annotations

import email
import json
import re
from typing import Any

import pytest

from tests.api.marketing.helpers import (
    campaign,
    contact,
    member_ids,
    sender,
    sent_to,
    static_list,
    template,
)
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle

TRACK = re.compile(r"/t/([ocu])/([A-Za-z0-9_-]+)")
IMAGE = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}  # what <img> sends


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    made = tenants.create("Tracking Co")
    settle(runtimes)
    sender(marketing, made)
    return made


def send_one(marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
             runtimes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    person = contact(contacts, tenant)
    settle(runtimes)
    made = campaign(marketing, tenant, [static_list(marketing, tenant, [person["contact_id"]])],
                    template(marketing, tenant))
    assert marketing.post(f"/campaigns/{made['campaign_id']}/launch",
                          token=tenant.admin_token).status == 202
    settle(runtimes)
    [raw] = sent_to(person["emails"][0]["address"])
    return person, made, raw


def tokens_of(raw: Any) -> dict[str, list[str]]:
    message = email.message_from_string(raw.raw_data)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    found: dict[str, list[str]] = {"o": [], "c": [], "u": []}
    text = html.get_payload(decode=True).decode() + str(message["List-Unsubscribe"])
    for kind, token in TRACK.findall(text):
        if token not in found[kind]:
            found[kind].append(token)
    return found


def stats(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, int]:
    return dict(marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token)
                .json["stats"])


def test_open_click_and_unsubscribe(marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
                                    runtimes: dict[str, Any]) -> None:
    person, made, raw = send_one(marketing, contacts, tenant, runtimes)
    found = tokens_of(raw)
    assert len(found["o"]) == 1 and len(found["c"]) == 2 and len(found["u"]) == 1

    for _ in range(2):  # a reload counts once
        pixel = marketing.get(f"/t/o/{found['o'][0]}", headers=IMAGE)
        assert pixel.status == 200 and pixel.header("Content-Type") == "image/gif"
        assert pixel.raw.startswith(b"GIF89a")
    click = marketing.get(f"/t/c/{found['c'][0]}")
    assert click.status == 302
    assert click.header("Location") == "https://brand.example/offer?a=1&b=2"
    assert marketing.get(f"/t/c/{found['c'][1]}").header("Location") == \
        "https://brand.example/blog"

    page = marketing.get(f"/t/u/{found['u'][0]}")
    assert page.status == 200 and b"<form" in page.raw
    assert stats(marketing, tenant, made["campaign_id"])["unsubscribed"] == 0  # GET is safe
    one_click = marketing.post(f"/t/u/{found['u'][0]}", raw=b"List-Unsubscribe=One-Click",
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert one_click.status == 200, one_click.raw
    assert one_click.header("Content-Type").startswith("text/html")
    settle(runtimes)
    counted = stats(marketing, tenant, made["campaign_id"])
    assert (counted["opened"], counted["clicked"], counted["unsubscribed"]) == (1, 1, 1)
    listed = marketing.get("/suppressions", token=tenant.admin_token).json["items"]
    assert {(s["address"], s["reason"]) for s in listed} >= {
        (person["emails"][0]["address"], "unsubscribe")}

    # the open reached the read model: a segment of openers of this campaign finds them
    openers = marketing.post("/segments", {"name": "Openers", "filter": {"filter_groups": [
        {"filters": [{"field": "opened_campaigns", "operator": "contains",
                      "value": made["campaign_id"]}]}]}}, token=tenant.admin_token)
    settle(runtimes)
    assert member_ids(marketing, tenant, openers.json["segment_id"]) == {person["contact_id"]}

    # unsubscribed: the next campaign skips them
    again = campaign(marketing, tenant, [static_list(marketing, tenant,
                                                     [person["contact_id"]])],
                     template(marketing, tenant))
    marketing.post(f"/campaigns/{again['campaign_id']}/launch", token=tenant.admin_token)
    settle(runtimes)
    assert len(sent_to(person["emails"][0]["address"])) == 1
    assert stats(marketing, tenant, again["campaign_id"])["skipped"] == 1


def test_forged_altered_or_misused_tokens_are_404(marketing: ApiClient, contacts: ApiClient,
                                                  tenant: Tenant, tenants: Tenants,
                                                  runtimes: dict[str, Any]) -> None:
    _, _, raw = send_one(marketing, contacts, tenant, runtimes)
    found = tokens_of(raw)
    click = found["c"][0]
    flipped = click[:-3] + ("A" if click[-3] != "A" else "B") + click[-2:]
    for path in (f"/t/c/{flipped}", "/t/c/nonsense", f"/t/o/{click}", f"/t/c/{found['o'][0]}",
                 f"/t/u/{found['o'][0]}"):
        reply = marketing.get(path)
        assert reply.status == 404, (path, reply.raw)
        assert reply.header("Content-Type") == "application/problem+json"
    assert marketing.post("/t/u/forged", raw=b"List-Unsubscribe=One-Click", headers={
        "Content-Type": "application/x-www-form-urlencoded"}).status == 404

    # a token re-signed for another tenant (or one naming another tenant) opens nothing
    from tests.api.marketing.helpers import module

    tokens = module("chalicelib.tracking.tokens")
    ref = tokens.read("c", click)
    other = tenants.create("Other tracking")
    moved = tokens.make("c", tokens.Ref(other.tenant_id, ref.send_pk, ref.send_sk, ref.link))
    assert marketing.get(f"/t/c/{moved}").status == 404
    beyond = tokens.make("c", tokens.Ref(ref.tenant_id, ref.send_pk, ref.send_sk, 7))
    assert marketing.get(f"/t/c/{beyond}").status == 404  # no link 7: no open redirect


def feedback(session: Any, notification: dict[str, Any]) -> None:
    sns = session.client("sns")
    [topic] = [t["TopicArn"] for t in sns.list_topics()["Topics"]
               if t["TopicArn"].endswith(":crm-test-marketing-ses-feedback")]
    sns.publish(TopicArn=topic, Message=json.dumps(notification))


def test_bounces_and_complaints_suppress_and_count_once(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, session: Any,
        runtimes: dict[str, Any]) -> None:
    bounced, made, raw = send_one(marketing, contacts, tenant, runtimes)
    address = bounced["emails"][0]["address"]
    bounce = {"notificationType": "Bounce", "mail": {"messageId": raw.id},
              "bounce": {"bounceType": "Permanent",
                         "bouncedRecipients": [{"emailAddress": address}]}}
    delivery = {"notificationType": "Delivery", "mail": {"messageId": raw.id}}
    for _ in range(2):  # SNS may deliver twice
        feedback(session, bounce)
        feedback(session, delivery)
    feedback(session, {"notificationType": "Bounce", "mail": {"messageId": "unknown-id"}})
    settle(runtimes)
    counted = stats(marketing, tenant, made["campaign_id"])
    assert counted["bounced"] == 1 and counted["delivered"] == 1
    listed = marketing.get("/suppressions", token=tenant.admin_token).json["items"]
    assert (address, "hard_bounce") in {(s["address"], s["reason"]) for s in listed}

    complained, made2, raw2 = send_one(marketing, contacts, tenant, runtimes)
    feedback(session, {"notificationType": "Complaint", "mail": {"messageId": raw2.id},
                       "complaint": {"complainedRecipients": [
                           {"emailAddress": complained["emails"][0]["address"]}]}})
    settle(runtimes)
    assert stats(marketing, tenant, made2["campaign_id"])["complained"] == 1
    reasons = {(s["address"], s["reason"]) for s in marketing.get(
        "/suppressions", token=tenant.admin_token).json["items"]}
    assert (complained["emails"][0]["address"], "complaint") in reasons


def test_suppressions_api(marketing: ApiClient, tenant: Tenant, tenants: Tenants) -> None:
    made = marketing.post("/suppressions", {"address": "Someone@Example.com", "note": "asked"},
                          token=tenant.admin_token)
    assert made.status == 201 and made.json["address"] == "someone@example.com"
    again = marketing.post("/suppressions", {"address": "someone@example.com"},
                           token=tenant.admin_token)
    assert again.json["suppression_id"] == made.json["suppression_id"]
    bad = marketing.post("/suppressions", {"address": "nope"}, token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "address"
    wrong = marketing.post("/suppressions", {"address": "a@b.example", "reason": "erased"},
                           token=tenant.admin_token)
    assert wrong.status == 422 and wrong.json["errors"][0]["field"] == "reason"
    viewer = tenants.user(tenant, "viewer")
    assert marketing.post("/suppressions", {"address": "x@y.example"},
                          token=viewer).status == 403
    other = tenants.create("Other suppressions")
    sid = made.json["suppression_id"]
    assert marketing.delete(f"/suppressions/{sid}", token=other.admin_token).status == 404
    assert marketing.delete(f"/suppressions/{sid}", token=tenant.admin_token).status == 204
    assert marketing.delete(f"/suppressions/{sid}", token=tenant.admin_token).status == 404
