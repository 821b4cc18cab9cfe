"""Campaign ROI: the funnel from maintained counters (unique opens and clicks per
recipient), won deals attributed by source_campaign_id or by a touch within the tenant's
window (once per deal), the tenant's cost and (revenue - cost) / cost, per campaign and
per channel."""

from __future__ import annotations

import email
import re
from typing import Any

import pytest

from crm_shared import clock
from tests.api.marketing.helpers import (
    campaign,
    contact,
    module,
    sender,
    sent_to,
    static_list,
    template,
)
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle

TRACK = re.compile(r"/t/([ocu])/([A-Za-z0-9_-]+)")
IMAGE = {"Accept": "image/avif,image/webp,image/apng,image/*,*/*;q=0.8"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    made = tenants.create("ROI Co")
    settle(runtimes)
    sender(marketing, made)
    return made


def tokens(raw: Any, kind: str) -> list[str]:
    message = email.message_from_string(raw.raw_data)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html")
    return [t for k, t in TRACK.findall(html.get_payload(decode=True).decode()) if k == kind]


def won(session: Any, tenant: Tenant, opportunity_id: str, contact_ids: list[str],
        amount: int, source: str | None = None, event_id: str | None = None) -> None:
    opportunity: dict[str, Any] = {"contact_ids": contact_ids,
                                   "amount": {"amount": amount, "currency": "USD"}}
    if source:
        opportunity["source_campaign_id"] = source
    put_bus_event(session, "crm.sales", "OpportunityWon", {
        "metadata": {"event_id": event_id or unique("evt_won"), "tenant_id": tenant.tenant_id,
                     "occurred_at": clock.iso(), "schema_version": 1, "actor": "system"},
        "data": {"opportunity_id": opportunity_id, "opportunity": opportunity}})


def roi_of(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    reply = marketing.get(f"/campaigns/{campaign_id}/stats", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return dict(reply.json)


def test_funnel_conversions_revenue_and_roi(marketing: ApiClient, contacts: ApiClient,
                                           tenant: Tenant, session: Any,
                                           runtimes: dict[str, Any]) -> None:
    people = [contact(contacts, tenant) for _ in range(3)]
    settle(runtimes)
    ids = [p["contact_id"] for p in people]
    made = campaign(marketing, tenant, [static_list(marketing, tenant, ids)],
                    template(marketing, tenant), cost={"amount": 10_000, "currency": "usd"})
    assert made["cost"] == {"amount": 10_000, "currency": "USD"}
    cid = made["campaign_id"]
    assert marketing.post(f"/campaigns/{cid}/launch", token=tenant.admin_token).status == 202
    settle(runtimes)
    raws = [sent_to(p["emails"][0]["address"])[0] for p in people]
    for _ in range(2):  # opening twice is one unique open
        assert marketing.get(f"/t/o/{tokens(raws[0], 'o')[0]}", headers=IMAGE).status == 200
    for link in tokens(raws[0], "c"):  # two links clicked: one unique click
        assert marketing.get(f"/t/c/{link}").status == 302
    assert marketing.get(f"/t/o/{tokens(raws[1], 'o')[0]}", headers=IMAGE).status == 200
    feedback = module("chalicelib.delivery.feedback")
    assert feedback.handle({"notificationType": "Delivery",
                            "mail": {"messageId": raws[0].id}}) == "delivered"
    assert feedback.handle({"notificationType": "Bounce", "mail": {"messageId": raws[2].id},
                            "bounce": {"bounceType": "Transient"}}) == "bounced"
    settle(runtimes)

    won(session, tenant, "opp_src", [], 50_000, source=cid)  # named as the deal's source
    won(session, tenant, "opp_touch", [ids[0]], 30_000)  # its contact clicked
    won(session, tenant, "opp_none", [ids[2]], 70_000)  # no touch: not this campaign's
    settle(runtimes)
    won(session, tenant, "opp_touch", [ids[0]], 30_000)  # won again: counted once
    settle(runtimes)
    stats = roi_of(marketing, tenant, cid)
    assert {k: stats[k] for k in ("recipients", "sent", "delivered", "bounced", "unique_opens",
                                  "unique_clicks", "unsubscribes", "conversions")} == {
        "recipients": 3, "sent": 3, "delivered": 1, "bounced": 1, "unique_opens": 1 + 1,
        "unique_clicks": 1, "unsubscribes": 0, "conversions": 2}
    assert stats["revenue"] == [{"currency": "USD", "amount": 80_000}]
    assert stats["roi"] == 7.0 and stats["attribution_window_days"] == 30

    # past the window a touch no longer converts; a longer window lets it
    clock.advance(31 * 86400)
    try:
        won(session, tenant, "opp_late", [ids[1]], 1_000)
        settle(runtimes)
        assert roi_of(marketing, tenant, cid)["conversions"] == 2
        put = marketing.request("PUT", "/campaigns/attribution", {"window_days": 60},
                                token=tenant.admin_token)
        assert put.status == 200 and put.json == {"window_days": 60}
        won(session, tenant, "opp_later", [ids[1]], 1_000)
        settle(runtimes)
    finally:
        clock.advance(-31 * 86400)
    assert roi_of(marketing, tenant, cid)["conversions"] == 3

    # the cost is changed after the launch: the counters stay, the ROI follows
    changed = marketing.patch(f"/campaigns/{cid}", {"cost": {"amount": 81_000,
                                                              "currency": "USD"}},
                              token=tenant.admin_token)
    assert changed.status == 200, changed.json
    after = roi_of(marketing, tenant, cid)
    assert after["roi"] == 0.0 and after["sent"] == 3 and after["unique_opens"] == 2

    grouped = marketing.get("/campaigns/stats?group_by=channel", token=tenant.admin_token)
    assert grouped.status == 200, grouped.json
    channel = grouped.json["channels"]["email"]
    assert (channel["recipients"], channel["sent"], channel["unique_opens"],
            channel["unique_clicks"], channel["conversions"]) == (3, 3, 2, 1, 3)
    assert channel["money"] == [{"currency": "USD", "cost": 81_000, "revenue": 81_000,
                                 "roi": 0.0}]
    assert marketing.get("/campaigns/stats", token=tenant.admin_token).json["channels"] is None


def test_bad_roi_input_roles_and_tenants(marketing: ApiClient, tenant: Tenant,
                                        tenants: Tenants) -> None:
    tpl = template(marketing, tenant)
    segment = static_list(marketing, tenant, [])
    for cost, field in (({"amount": -1, "currency": "USD"}, "cost.amount"),
                        ({"amount": 1, "currency": "ZZZ"}, "cost.currency"),
                        ({"amount": 1.5, "currency": "USD"}, "cost.amount"),
                        ("cheap", "cost")):
        reply = marketing.post("/campaigns", {"name": "C", "channel": "email",
                                              "segment_ids": [segment], "template_id": tpl,
                                              "cost": cost}, token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field, reply.json
    bad = marketing.get("/campaigns/stats?group_by=status", token=tenant.admin_token)
    assert bad.status == 400 and bad.json["errors"][0]["field"] == "group_by"
    for body, field in (({"window_days": 0}, "window_days"), ({}, "window_days"),
                        ({"window_days": 30, "x": 1}, "x")):
        reply = marketing.request("PUT", "/campaigns/attribution", body,
                                  token=tenant.admin_token)
        assert reply.status == 422 and reply.json["errors"][0]["field"] == field, reply.json
    viewer = tenants.user(tenant, "viewer")
    before = marketing.get("/campaigns/attribution", token=viewer)
    assert before.status == 200
    assert marketing.request("PUT", "/campaigns/attribution", {"window_days": 5},
                             token=viewer).status == 403
    assert marketing.get("/campaigns/attribution", token=viewer).json == before.json
    made = campaign(marketing, tenant, [segment], tpl)
    other = tenants.create("ROI Other Co")
    assert marketing.get(f"/campaigns/{made['campaign_id']}/stats",
                         token=other.admin_token).status == 404
    assert marketing.get("/campaigns/cam_nope/stats", token=tenant.admin_token).status == 404
    fresh = roi_of(marketing, tenant, made["campaign_id"])
    assert fresh["cost"] is None and fresh["roi"] is None and fresh["revenue"] == []
