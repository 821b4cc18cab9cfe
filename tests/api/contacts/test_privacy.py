"""Consent (current + history, events), GDPR erasure that leaves no trace, data export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

TABLE = "crm-test-contacts"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def person(**overrides: Any) -> dict[str, Any]:
    slug = unique("pv")
    body = {"first_name": "Ada", "last_name": f"Byron{slug}",
            "emails": [{"address": f"ada.{slug}@example.com"}],
            "phones": [{"number": f"(415) 555-{int(slug[2:]) % 10000:04d}"}],
            "tags": [f"tag{slug}"]}
    body.update(overrides)
    return body


def new_contact(contacts: ApiClient, tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    reply = contacts.post("/contacts", person(**overrides), token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def scan(session: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Every item of the contacts table (tests may look behind the API)."""
    pages = session.client("dynamodb").get_paginator("scan").paginate(TableName=TABLE)
    items = [item for page in pages for item in page["Items"]]
    return [i for i in items if i["PK"]["S"].startswith(prefix)]


def outbox(session: Any, tenant_id: str, detail_type: str) -> list[dict[str, Any]]:
    found = scan(session, f"T#{tenant_id}#OUTBOX#")
    return [json.loads(i["detail"]["S"])["data"] for i in found
            if i["detail_type"]["S"] == detail_type]


def put_consent(contacts: ApiClient, tenant: Tenant, contact_id: str, channel: str,
                body: dict[str, Any], **kw: Any) -> Any:
    return contacts.request("PUT", f"/contacts/{contact_id}/consents/{channel}", body,
                            token=kw.pop("token", tenant.admin_token), **kw)


def test_consent_is_set_read_with_history_and_announced(contacts: ApiClient, tenants: Tenants,
                                                        session: Any) -> None:
    tenant = tenants.create()
    contact_id = new_contact(contacts, tenant)["contact_id"]
    granted = put_consent(contacts, tenant, contact_id, "email", {
        "status": "granted", "legal_basis": "consent", "source": "form",
        "obtained_at": "2024-03-01T10:00:00Z"})
    assert granted.status == 200, granted.json
    assert granted.json["status"] == "granted" and granted.json["version"] == 1
    assert granted.json["obtained_at"] == "2024-03-01T10:00:00.000Z"
    assert granted.header("ETag") == '"1"'
    again = put_consent(contacts, tenant, contact_id, "email", {
        "status": "granted", "legal_basis": "consent", "source": "form"})
    assert again.status == 200 and again.json["version"] == 1  # PUT is idempotent
    stale = put_consent(contacts, tenant, contact_id, "email", {"status": "denied"},
                        headers={"If-Match": '"0"'})
    assert stale.status == 412
    left = put_consent(contacts, tenant, contact_id, "email",
                       {"status": "unsubscribed", "source": "call"}, headers={"If-Match": '"1"'})
    assert left.status == 200 and left.json["version"] == 2, left.json
    assert put_consent(contacts, tenant, contact_id, "sms", {
        "status": "pending", "source": "import"}).status == 200
    listed = contacts.get(f"/contacts/{contact_id}/consents", token=tenant.admin_token).json
    assert [(c["channel"], c["status"]) for c in listed["items"]] == [
        ("email", "unsubscribed"), ("sms", "pending")]
    detail = contacts.get(f"/contacts/{contact_id}/consents/email?limit=1",
                          token=tenant.admin_token)
    assert detail.status == 200 and detail.header("ETag") == '"2"'
    assert detail.json["current"]["status"] == "unsubscribed"
    assert [h["status"] for h in detail.json["history"]] == ["unsubscribed"]
    rest = contacts.get(f"/contacts/{contact_id}/consents/email?limit=1&cursor="
                        f"{detail.json['next_cursor']}", token=tenant.admin_token).json
    assert [h["status"] for h in rest["history"]] == ["granted"]
    never = contacts.get(f"/contacts/{contact_id}/consents/phone", token=tenant.admin_token)
    assert never.status == 200 and never.json["current"] is None and never.json["history"] == []
    events = outbox(session, tenant.tenant_id, "ConsentChanged")
    assert [(e["channel"], e["status"], e["obtained_from"]) for e in events] == [
        ("email", "granted", "form"), ("email", "unsubscribed", "call"),
        ("sms", "pending", "import")]


@pytest.mark.parametrize(("channel", "body", "field"), [
    ("fax", {"status": "granted", "legal_basis": "consent"}, "channel"),
    ("email", {"status": "maybe"}, "status"),
    ("email", {"status": "granted", "legal_basis": "because"}, "legal_basis"),
    ("email", {"status": "granted"}, "legal_basis"),
    ("email", {"legal_basis": "consent"}, "status"),
    ("email", {"status": "denied", "source": "a long free text"}, "source"),
    ("email", {"status": "denied", "obtained_at": "2999-01-01T00:00:00Z"}, "obtained_at"),
    ("email", {"status": "denied", "obtained_at": "yesterday"}, "obtained_at"),
    ("email", {"status": "denied", "colour": "red"}, "colour"),
])
def test_bad_consent_input_names_the_field(contacts: ApiClient, tenant: Tenant, channel: str,
                                           body: dict[str, Any], field: str) -> None:
    contact_id = new_contact(contacts, tenant)["contact_id"]
    reply = put_consent(contacts, tenant, contact_id, channel, body)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]], reply.json


def test_consent_of_an_unknown_or_invisible_contact_is_404(contacts: ApiClient, tenant: Tenant,
                                                           tenants: Tenants) -> None:
    unknown = "con_01HZZZZZZZZZZZZZZZZZZZZZZZ"
    assert put_consent(contacts, tenant, unknown, "email", {"status": "denied"}).status == 404
    theirs = new_contact(contacts, tenant)["contact_id"]
    rep = tenants.user(tenant, "sales_rep")
    assert put_consent(contacts, tenant, theirs, "email", {"status": "denied"},
                       token=rep).status == 404
    assert contacts.get(f"/contacts/{theirs}/consents", token=rep).status == 404
    viewer = tenants.user(tenant, "viewer")
    assert put_consent(contacts, tenant, theirs, "email", {"status": "denied"},
                       token=viewer).status == 403


def test_record_unsubscribe_is_idempotent_and_ordered(contacts: ApiClient,
                                                      tenant: Tenant) -> None:
    load_app("contacts")
    consent = __import__("chalicelib.privacy.consent", fromlist=["record_unsubscribe"])
    contact_id = new_contact(contacts, tenant)["contact_id"]
    assert put_consent(contacts, tenant, contact_id, "email", {
        "status": "granted", "legal_basis": "consent", "source": "form",
        "obtained_at": "2024-05-01T00:00:00Z"}).status == 200
    late = consent.record_unsubscribe(tenant.tenant_id, contact_id, "email", "marketing",
                                      occurred_at="2024-04-01T00:00:00.000Z")
    assert late.status == "granted"  # the later grant wins over an older unsubscribe
    done = consent.record_unsubscribe(tenant.tenant_id, contact_id, "email", "marketing")
    assert done.status == "unsubscribed" and done.legal_basis == "consent"
    assert done.source == "marketing"
    again = consent.record_unsubscribe(tenant.tenant_id, contact_id, "email", "marketing")
    assert again.version == done.version  # nothing written twice
    detail = contacts.get(f"/contacts/{contact_id}/consents/email", token=tenant.admin_token)
    assert [h["status"] for h in detail.json["history"]] == ["unsubscribed", "granted"]
    assert detail.json["current"]["changed_by"] == "system:consent"
    assert consent.record_unsubscribe(tenant.tenant_id, "con_01HZZZZZZZZZZZZZZZZZZZZZZZ",
                                      "sms", "marketing") is None
    gone = new_contact(contacts, tenant)["contact_id"]
    assert contacts.delete(f"/contacts/{gone}", token=tenant.admin_token).status == 204
    assert consent.record_unsubscribe(tenant.tenant_id, gone, "sms", "marketing") is None


def test_erasure_leaves_no_trace_and_frees_the_email(contacts: ApiClient, tenant: Tenant,
                                                     tenants: Tenants, session: Any,
                                                     runtimes: dict[str, Any]) -> None:
    handle, title = unique("@ada"), unique("Countess of Lovelace ")
    body = person(title=title, social={"twitter": handle})
    contact = new_contact(contacts, tenant, **body)
    contact_id = contact["contact_id"]
    email, phone = contact["emails"][0]["address"], contact["phones"][0]["number"]
    last_name, tag = contact["last_name"], contact["tags"][0]
    assert put_consent(contacts, tenant, contact_id, "email", {
        "status": "granted", "legal_basis": "consent", "source": "form"}).status == 200
    assert put_consent(contacts, tenant, contact_id, "email", {"status": "denied"}).status == 200
    exported = contacts.get(f"/contacts/{contact_id}/data-export", token=tenant.admin_token)
    assert exported.status == 200, exported.json
    assert exported.json["contact"]["emails"][0]["address"] == email
    assert [(c["kind"], c["status"]) for c in exported.json["records"]["consents"]] == [
        ("current", "denied"), ("history", "granted"), ("history", "denied")]
    assert email in json.dumps(scan(session, f"T#{tenant.tenant_id}#"))  # the scan sees it
    rep = tenants.user(tenant, "manager")
    assert contacts.post(f"/contacts/{contact_id}/erase", token=rep).status == 403
    assert contacts.get(f"/contacts/{contact_id}/data-export", token=rep).status == 403

    erased = contacts.post(f"/contacts/{contact_id}/erase", token=tenant.admin_token)
    assert erased.status == 200, erased.json
    assert erased.json["erased_by"] == f"user:{tenant.admin_user_id}"
    assert erased.json["counts"]["consents"] == 3
    assert erased.json["counts"]["contact.claims"] == 2
    assert erased.json["counts"]["contact.lookups"] == 2  # the tag and the name entry
    twice = contacts.post(f"/contacts/{contact_id}/erase", token=tenant.admin_token)
    assert twice.status == 200 and twice.json == erased.json

    assert contacts.get(f"/contacts/{contact_id}", token=tenant.admin_token).status == 404
    assert contacts.get(f"/contacts/{contact_id}/consents",
                        token=tenant.admin_token).status == 404
    after = contacts.get(f"/contacts/{contact_id}/data-export", token=tenant.admin_token).json
    assert after["contact"]["erased_at"] == erased.json["erased_at"]
    assert after["records"]["consents"] == []
    for field, value in (("email", email), ("phone", phone), ("tags", tag)):
        found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
            {"field": field, "operator": "eq", "value": value}]}]},
            token=tenant.admin_token).json
        assert found["items"] == [], field
    by_name = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "name", "operator": "prefix", "value": "ada byron"}]}]},
        token=tenant.admin_token).json
    assert contact_id not in [c["contact_id"] for c in by_name["items"]]
    feed = contacts.get("/contacts/changes?limit=100", token=tenant.admin_token).json["items"]
    assert {"op": "delete", "contact_id": contact_id} in [
        {"op": c["op"], "contact_id": c["contact_id"]} for c in feed]

    settle(runtimes)  # published outbox items (ContactCreated carried the email) are cleared
    table = json.dumps(scan(session))
    for secret in (email, phone, last_name, handle, title):
        assert secret not in table, secret
    audit = scan(session, f"T#{tenant.tenant_id}#PRIVACY_AUDIT")
    assert [json.loads(i["counts"]["S"])["consents"] for i in audit
            if i["contact_id"]["S"] == contact_id] == [3]

    reused = contacts.post("/contacts", person(emails=[{"address": email}],
                                               phones=[{"number": phone}]),
                           token=tenant.admin_token)
    assert reused.status == 201, reused.json


def test_erasure_of_unknown_ids_is_404_and_works_on_deleted_contacts(
    contacts: ApiClient, tenant: Tenant
) -> None:
    assert contacts.post("/contacts/con_01HZZZZZZZZZZZZZZZZZZZZZZZ/erase",
                         token=tenant.admin_token).status == 404
    assert contacts.post("/contacts/nope/erase", token=tenant.admin_token).status == 404
    contact_id = new_contact(contacts, tenant)["contact_id"]
    assert put_consent(contacts, tenant, contact_id, "sms", {"status": "denied"}).status == 200
    assert contacts.delete(f"/contacts/{contact_id}", token=tenant.admin_token).status == 204
    erased = contacts.post(f"/contacts/{contact_id}/erase", token=tenant.admin_token)
    assert erased.status == 200, erased.json
    assert erased.json["counts"]["consents"] == 2
    assert erased.json["counts"]["contact.claims"] == 0


def test_erasure_blanks_stored_idempotent_responses(contacts: ApiClient, tenant: Tenant,
                                                    tenants: Tenants, session: Any) -> None:
    """Responses kept for `Idempotency-Key` replays (24 h) lose the erased person's data."""
    body, key = person(), unique("create-")
    created = contacts.post("/contacts", body, token=tenant.admin_token,
                            headers={"Idempotency-Key": key})
    assert created.status == 201, created.json
    contact_id, email = created.json["contact_id"], created.json["emails"][0]["address"]
    secret = unique("the secret plan ")
    note_key = unique("note-")
    note = contacts.post("/interactions", {"kind": "note", "subject": secret,
                                           "participants": [{"contact_id": contact_id}]},
                         token=tenant.admin_token, headers={"Idempotency-Key": note_key})
    assert note.status == 201, note.json
    other_key = unique("other-")
    bystander_body = person()
    bystander = contacts.post("/contacts", bystander_body, token=tenant.admin_token,
                              headers={"Idempotency-Key": other_key})
    assert bystander.status == 201

    replay = contacts.post("/contacts", body, token=tenant.admin_token,
                           headers={"Idempotency-Key": key})
    assert replay.status == 201 and replay.json["emails"][0]["address"] == email  # before
    erased = contacts.post(f"/contacts/{contact_id}/erase", token=tenant.admin_token)
    assert erased.status == 200, erased.json
    assert erased.json["counts"]["idempotency"] == 2

    after = contacts.post("/contacts", body, token=tenant.admin_token,
                          headers={"Idempotency-Key": key})
    assert after.status == 410 and after.json["code"] == "erased"
    assert email not in json.dumps(after.json) and body["last_name"] not in json.dumps(after.json)
    assert contacts.post("/contacts", {"first_name": "x"}, token=tenant.admin_token,
                         headers={"Idempotency-Key": key}).status == 422  # still claimed
    noted = contacts.post("/interactions", {"kind": "note", "subject": secret,
                                            "participants": [{"contact_id": contact_id}]},
                          token=tenant.admin_token, headers={"Idempotency-Key": note_key})
    assert noted.status == 410 and secret not in json.dumps(noted.json)
    kept = contacts.post("/contacts", bystander_body, token=tenant.admin_token,
                         headers={"Idempotency-Key": other_key})
    assert kept.status == 201 and kept.json == bystander.json  # another person's: kept
    other = tenants.create()
    stranger = contacts.post(f"/contacts/{contact_id}/erase", token=other.admin_token)
    assert stranger.status == 404
    assert email not in json.dumps(scan(session, f"T#{tenant.tenant_id}#IDEMPOTENCY"))
    assert secret not in json.dumps(scan(session, f"T#{tenant.tenant_id}#IDEMPOTENCY"))
