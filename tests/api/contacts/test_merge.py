"""Merging contacts: fields fold, claims and consents move, retries complete, bad ids are 422."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

AREA_CODES = ("212", "312", "646", "718", "917", "213", "305", "404", "503", "617")


@pytest.fixture
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def email() -> str:
    return f"{unique('m')}@example.com"


def phone(area: str = "415") -> str:
    return f"({area}) 555-{int(unique('')) % 10000:04d}"


def new_contact(contacts: ApiClient, tenant: Tenant, body: dict[str, Any]) -> dict[str, Any]:
    reply = contacts.post("/contacts", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def merge(contacts: ApiClient, tenant: Tenant, survivor: str, from_ids: Any,
          token: str | None = None) -> Any:
    return contacts.post(f"/contacts/{survivor}/merge", {"from_ids": from_ids},
                         token=token or tenant.admin_token)


def consent(contacts: ApiClient, tenant: Tenant, contact_id: str, channel: str,
            body: dict[str, Any]) -> None:
    reply = contacts.request("PUT", f"/contacts/{contact_id}/consents/{channel}", body,
                             token=tenant.admin_token)
    assert reply.status == 200, reply.json


def search_email(contacts: ApiClient, tenant: Tenant, address: str) -> list[str]:
    reply = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "email", "operator": "eq", "value": address}]}]}, token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return [c["contact_id"] for c in reply.json["items"]]


def test_merge_folds_fields_moves_claims_and_consents(contacts: ApiClient,
                                                      tenant: Tenant) -> None:
    survivor = new_contact(contacts, tenant, {"first_name": "Ada", "emails": [
        {"address": email()}], "tags": ["vip"], "social": {"github": "ada"}})
    first = new_contact(contacts, tenant, {
        "first_name": "Augusta", "last_name": "King", "title": "Countess",
        "emails": [{"address": email()}, {"address": email()}], "phones": [{"number": phone()}],
        "tags": ["gold", "vip"], "social": {"github": "aking", "twitter": "@ak"}})
    second = new_contact(contacts, tenant, {"emails": [{"address": email()}],
                                            "lifecycle_stage": "customer"})
    sid, fid, gid = survivor["contact_id"], first["contact_id"], second["contact_id"]
    consent(contacts, tenant, sid, "email", {"status": "granted", "legal_basis": "consent",
                                             "obtained_at": "2024-01-01T00:00:00Z"})
    consent(contacts, tenant, fid, "email", {"status": "unsubscribed",
                                             "obtained_at": "2024-06-01T00:00:00Z"})
    consent(contacts, tenant, gid, "email", {"status": "granted", "legal_basis": "contract",
                                             "obtained_at": "2023-01-01T00:00:00Z"})
    consent(contacts, tenant, fid, "sms", {"status": "granted", "legal_basis": "consent"})

    merged = merge(contacts, tenant, sid, [fid, gid])
    assert merged.status == 200, merged.json
    body = merged.json["contact"]
    assert body["first_name"] == "Ada" and body["last_name"] == "King"
    assert body["title"] == "Countess"
    assert body["lifecycle_stage"] == "lead"  # the survivor's own value stays
    assert [e["address"] for e in body["emails"]] == [
        survivor["emails"][0]["address"], *[e["address"] for e in first["emails"]],
        second["emails"][0]["address"]]
    assert [e["primary"] for e in body["emails"]] == [True, False, False, False]
    assert body["phones"] == first["phones"]
    assert body["tags"] == ["gold", "vip"]
    assert body["social"] == {"github": "ada", "twitter": "@ak"}
    assert [(m["contact_id"], m["fields"]) for m in merged.json["merged_from"]] == [
        (fid, ["emails", "last_name", "phones", "social", "tags", "title"]),
        (gid, ["emails"])]
    assert merged.json["merged_ids"] == [fid, gid]
    assert merged.json["moved"]["consents"] == 2 + 2 + 2  # f: 2 history + 2 current, g: 1 + 1
    assert merged.header("ETag") == f'"{body["version"]}"'

    for address in (first["emails"][1]["address"], second["emails"][0]["address"]):
        assert search_email(contacts, tenant, address) == [sid]
    taken = contacts.post("/contacts", {"emails": [{"address": first["emails"][0]["address"]}]},
                          token=tenant.admin_token)
    assert taken.status == 409 and taken.json["errors"][0]["existing_id"] == sid
    gone = contacts.get(f"/contacts/{fid}", token=tenant.admin_token)
    assert gone.status == 404 and gone.json["code"] == "contact_merged"
    assert gone.json["errors"][0]["merged_into"] == sid
    assert gone.header("Location") == f"/contacts/{sid}"
    listed = contacts.get("/contacts?limit=100", token=tenant.admin_token).json["items"]
    assert [c["contact_id"] for c in listed] == [sid]

    consents = contacts.get(f"/contacts/{sid}/consents", token=tenant.admin_token).json["items"]
    assert [(c["channel"], c["status"]) for c in consents] == [
        ("email", "unsubscribed"), ("sms", "granted")]  # the most recent statement wins
    history = contacts.get(f"/contacts/{sid}/consents/email",
                           token=tenant.admin_token).json["history"]
    assert [(h["status"], h["moved_from"]) for h in history] == [  # as recorded, newest first
        ("granted", gid), ("unsubscribed", fid), ("granted", None)]
    assert contacts.get(f"/contacts/{fid}/consents", token=tenant.admin_token).status == 404

    again = merge(contacts, tenant, sid, [fid, gid])
    assert again.status == 200, again.json
    assert again.json["contact"]["version"] == body["version"]  # a repeat changes nothing
    assert again.json["moved"] == {name: 0 for name in again.json["moved"]}


@pytest.fixture
def flaky_mover() -> Iterator[list[str]]:
    """A feature whose mover fails once, as a crash half-way through a merge would."""
    load_app("contacts")
    parties = __import__("chalicelib.parties", fromlist=["MOVERS"])
    calls: list[str] = []

    def mover(tenant_id: str, from_id: str, to_id: str) -> int:
        calls.append(from_id)
        if len(calls) == 1:
            raise RuntimeError("the feature's table throttled")
        return 0

    parties.MOVERS["aaa_flaky"] = mover
    yield calls
    load_app("contacts")
    del parties.MOVERS["aaa_flaky"]


def test_a_retry_after_a_failure_completes_the_merge(contacts: ApiClient, tenant: Tenant,
                                                     flaky_mover: list[str]) -> None:
    survivor = new_contact(contacts, tenant, {"first_name": "Grace"})
    merged = new_contact(contacts, tenant, {"emails": [{"address": email()}]})
    sid, mid = survivor["contact_id"], merged["contact_id"]
    consent(contacts, tenant, mid, "whatsapp", {"status": "denied"})
    failed = merge(contacts, tenant, sid, [mid])
    assert failed.status == 500
    # the record was folded before the movers ran; its consents have not moved yet
    assert contacts.get(f"/contacts/{mid}", token=tenant.admin_token).status == 404
    assert contacts.get(f"/contacts/{sid}/consents", token=tenant.admin_token).json[
        "items"] == []
    retried = merge(contacts, tenant, sid, [mid])
    assert retried.status == 200, retried.json
    assert retried.json["moved"]["consents"] == 2
    assert len(retried.json["merged_from"]) == 1
    assert [c["status"] for c in contacts.get(f"/contacts/{sid}/consents",
                                              token=tenant.admin_token).json["items"]] == [
        "denied"]
    assert search_email(contacts, tenant, merged["emails"][0]["address"]) == [sid]


def test_a_large_merge_folds_in_steps(contacts: ApiClient, tenant: Tenant,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """10 emails, 10 phones and 50 tags between them (the merged one shares 5 tags with the
    survivor): 105 writes, more than one transaction can hold."""
    load_app("contacts")
    module = __import__("chalicelib.privacy.merge", fromlist=["_free_lookups"])
    freed: list[str] = []
    original = module._free_lookups
    monkeypatch.setattr(module, "_free_lookups",
                        lambda tenant_id, item: freed.append(item.contact_id) or original(
                            tenant_id, item))
    def big(offset: int) -> dict[str, Any]:
        return {"first_name": f"Big{offset}",
                "emails": [{"address": email()} for _ in range(5)],
                "phones": [{"number": phone(AREA_CODES[offset + i])} for i in range(5)],
                "tags": [f"t{offset}-{i}" for i in range(25)] + (
                    [f"t0-{i}" for i in range(5)] if offset else [])}
    survivor, merged = new_contact(contacts, tenant, big(0)), new_contact(contacts, tenant,
                                                                          big(5))
    reply = merge(contacts, tenant, survivor["contact_id"], [merged["contact_id"]])
    assert reply.status == 200, reply.json
    body = reply.json["contact"]
    assert len(body["emails"]) == 10 and len(body["phones"]) == 10 and len(body["tags"]) == 50
    assert freed == [merged["contact_id"]]  # its tag and name entries went in a step before
    tagged = contacts.get("/contacts?tag=t5-3", token=tenant.admin_token).json["items"]
    assert [c["contact_id"] for c in tagged] == [survivor["contact_id"]]
    assert search_email(contacts, tenant, merged["emails"][4]["address"]) == [
        survivor["contact_id"]]
    over = new_contact(contacts, tenant, {"first_name": "One", "tags": ["one-more"]})
    refused = merge(contacts, tenant, survivor["contact_id"], [over["contact_id"]])
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "from_ids[0]"


def test_bad_merges_name_the_id(contacts: ApiClient, tenant: Tenant, tenants: Tenants) -> None:
    survivor = new_contact(contacts, tenant, {"first_name": "S"})["contact_id"]
    other = new_contact(contacts, tenant, {"first_name": "O"})["contact_id"]
    elsewhere = tenants.create()
    foreign = new_contact(contacts, elsewhere, {"first_name": "F"})["contact_id"]
    cases: list[tuple[Any, str]] = [
        ([survivor], "from_ids[0]"),
        ([foreign], "from_ids[0]"),
        ([other, other], "from_ids[1]"),
        (["con_nope"], "from_ids[0]"),
        ([], "from_ids"),
        ([other] * 11, "from_ids"),
        (None, "from_ids"),
    ]
    for from_ids, field in cases:
        reply = merge(contacts, tenant, survivor, from_ids)
        assert reply.status == 422, (from_ids, reply.json)
        assert reply.json["errors"][0]["field"] == field, (from_ids, reply.json)
    assert merge(contacts, elsewhere, survivor, [foreign]).status == 404
    third = new_contact(contacts, tenant, {"first_name": "T"})["contact_id"]
    assert merge(contacts, tenant, third, [other]).status == 200
    already = merge(contacts, tenant, survivor, [other])
    assert already.status == 422 and third in already.json["errors"][0]["message"]
    assert merge(contacts, tenant, other, [survivor]).status == 404  # merged ids cannot survive
    deleted = new_contact(contacts, tenant, {"first_name": "D"})["contact_id"]
    assert contacts.delete(f"/contacts/{deleted}", token=tenant.admin_token).status == 204
    assert merge(contacts, tenant, survivor, [deleted]).json["errors"][0]["field"] == (
        "from_ids[0]")
    assert merge(contacts, tenant, survivor, [other], token=tenants.user(tenant, "viewer")
                 ).status == 403


def test_reps_merge_only_what_they_see(contacts: ApiClient, tenant: Tenant,
                                       tenants: Tenants) -> None:
    rep = tenants.user(tenant, "sales_rep")
    mine = contacts.post("/contacts", {"first_name": "Mine"}, token=rep).json["contact_id"]
    hidden = new_contact(contacts, tenant, {"first_name": "Hidden"})["contact_id"]
    refused = merge(contacts, tenant, mine, [hidden], token=rep)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "from_ids[0]"
    assert merge(contacts, tenant, hidden, [mine], token=rep).status == 404
