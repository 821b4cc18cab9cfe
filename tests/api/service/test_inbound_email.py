"""Inbound email on moto: an .eml put under mail/ in the inbound bucket reaches the service
the way SES's would (S3 -> SNS -> SQS -> handle_inbound_email) and becomes a ticket or a
reply; what cannot is quarantined and acknowledged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm_shared.events.contacts_events import ContactCreated, ContactErased
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.events.service_events import ContactRequested
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event, queue_depth, settle

EMAILS = Path(__file__).resolve().parents[2] / "fixtures" / "email"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def other(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Other")
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def inbound(aws: dict[str, Any]) -> dict[str, str]:
    return aws["services"]["service"]


def eml(name: str, tenant_id: str, **values: str) -> tuple[bytes, str]:
    """A fixture message for the tenant with a fresh Message-ID; returns it and the id."""
    mid = values.pop("mid", None) or new_id("msg").lower()
    text = (EMAILS / name).read_text(encoding="latin-1")
    for key, value in {"tenant": tenant_id, "mid": mid, "ref": "", "in_reply_to": "",
                       **values}.items():
        text = text.replace("{" + key + "}", value)
    return text.encode("latin-1"), f"<{mid}@mail.example.org>"


def deliver(session: Any, runtimes: dict[str, Any], inbound: dict[str, str], raw: bytes,
            key: str | None = None) -> str:
    """Store the message as SES would and let the notification run its course."""
    key = key or f"mail/{new_id('ses').lower()}"
    session.client("s3").put_object(Bucket=inbound["inbound_bucket_name"], Key=key, Body=raw)
    settle(runtimes)
    return key


def tickets_of(service: ApiClient, tenant: Tenant, subject: str) -> list[dict[str, Any]]:
    reply = service.get("/tickets?limit=100", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return [t for t in reply.json["items"] if t["subject"] == subject]


def comments_of(service: ApiClient, tenant: Tenant, ticket_id: str) -> list[dict[str, Any]]:
    reply = service.get(f"/tickets/{ticket_id}/comments", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def publish(session: Any, tenant: Tenant, event: Event) -> None:
    put_bus_event(session, event.source, event.detail_type(),
                  envelope_for(event, tenant.tenant_id, "system").model_dump(mode="json"))


def keys(session: Any, bucket: str, prefix: str) -> list[str]:
    found = session.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for o in found.get("Contents", []))


def quarantine(service: ApiClient, tenant: Tenant) -> list[dict[str, Any]]:
    reply = service.get("/tickets/inbound/quarantine", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return list(reply.json["items"])


def drained(session: Any, inbound: dict[str, str]) -> None:
    """Nothing left to retry and nothing dead-lettered: every message was acknowledged."""
    assert queue_depth(session, inbound["inbound_queue_url"]) == 0
    assert queue_depth(session, inbound["inbound_dlq_url"]) == 0


def test_a_plain_email_opens_a_ticket_for_an_unknown_sender(
        service: ApiClient, contacts: ApiClient, session: Any, runtimes: dict[str, Any],
        tenant: Tenant, inbound: dict[str, str]) -> None:
    raw, _ = eml("plain.eml", tenant.tenant_id)
    key = deliver(session, runtimes, inbound, raw)
    [ticket] = tickets_of(service, tenant, "My order never arrived")
    assert ticket["channel"] == "email" and ticket["status"] in ("new", "open")
    assert ticket["description"] == "Hello,\n\norder 1234 never arrived. Can you check?\n\nAna"
    assert ticket["properties"]["requester_email"] == "ana@example.org"
    assert ticket["properties"]["requester_name"] == "Ana Diaz"
    [comment] = comments_of(service, tenant, ticket["ticket_id"])
    assert comment["author_kind"] == "customer" and comment["public"]
    assert comment["body"].startswith("Hello,")
    bucket = inbound["inbound_bucket_name"]
    assert key not in keys(session, bucket, "mail/")  # moved under the tenant
    assert len(keys(session, bucket, f"{tenant.tenant_id}/raw/")) >= 1
    drained(session, inbound)

    # contacts created the person the service asked for (ContactRequested), and its
    # ContactCreated linked the waiting ticket to her
    ana = ticket["contact_id"]
    assert ana is not None and ana.startswith("con_")
    person = contacts.get(f"/contacts/{ana}", token=tenant.admin_token)
    assert person.status == 200, person.json
    assert [e["address"] for e in person.json["emails"]] == ["ana@example.org"]
    assert (person.json["first_name"], person.json["last_name"]) == ("Ana", "Diaz")
    assert with_address(contacts, tenant, "ana@example.org") == [ana]

    # and her next email carries her contact at once
    raw, _ = eml("plain.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, raw.replace(b"My order never arrived", b"Second one"))
    [second] = tickets_of(service, tenant, "Second one")
    assert second["contact_id"] == ana and "requester_email" not in second["properties"]
    assert with_address(contacts, tenant, "ana@example.org") == [ana]  # no second contact


def with_address(contacts: ApiClient, tenant: Tenant, address: str) -> list[str]:
    """The ids of the tenant's contacts that have the address."""
    reply = contacts.get("/contacts?limit=100", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    return [c["contact_id"] for c in reply.json["items"]
            if address in [e["address"] for e in c["emails"]]]


def test_a_requested_contact_is_made_once_and_never_beside_a_claimed_address(
        contacts: ApiClient, session: Any, runtimes: dict[str, Any], aws: dict[str, Any],
        tenant: Tenant, other: Tenant) -> None:
    made = contacts.post("/contacts", {"first_name": "Cy",
                                       "emails": [{"address": "cy@example.org"}]},
                         token=tenant.admin_token)
    assert made.status == 201, made.json
    settle(runtimes)
    for event in (ContactRequested(email="cy@example.org", name="Someone Else"),
                  ContactRequested(email="Dee@Example.org", name="Lee, Dee")):
        detail = envelope_for(event, tenant.tenant_id, "system:email").model_dump(mode="json")
        for _ in range(2):  # a redelivery: the same event twice
            put_bus_event(session, event.source, event.detail_type(), detail)
    settle(runtimes)
    # acknowledged, not retried into the dead letters: the claimed address keeps its one
    # contact, unchanged
    assert queue_depth(session, aws["services"]["contacts"]["dlq_url"]) == 0
    assert with_address(contacts, tenant, "cy@example.org") == [made.json["contact_id"]]
    cy = contacts.get(f"/contacts/{made.json['contact_id']}", token=tenant.admin_token).json
    assert cy["first_name"] == "Cy" and cy["version"] == made.json["version"]
    # the new one is made once, in the event's tenant only
    [dee] = with_address(contacts, tenant, "dee@example.org")
    person = contacts.get(f"/contacts/{dee}", token=tenant.admin_token).json
    assert (person["first_name"], person["last_name"], person["source"]) == (
        "Dee", "Lee", "email")
    assert with_address(contacts, other, "dee@example.org") == []


def test_html_charsets_and_attachments(service: ApiClient, session: Any,
                                       runtimes: dict[str, Any], tenant: Tenant,
                                       inbound: dict[str, str]) -> None:
    raw, _ = eml("html_attachments.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, raw)
    [ticket] = tickets_of(service, tenant, "Rechnung für März")
    assert ticket["description"] == "Grüße,\n\ndie Rechnung für März & April fehlt."
    assert ticket["properties"]["requester_name"] == "José Müller"
    [comment] = comments_of(service, tenant, ticket["ticket_id"])
    assert len(comment["attachments"]) == 2
    assert all(k.startswith(f"{tenant.tenant_id}/attachments/") for k in comment["attachments"])
    assert ".." not in "".join(comment["attachments"])
    s3 = session.client("s3")
    pdf = s3.get_object(Bucket=inbound["inbound_bucket_name"], Key=comment["attachments"][0])
    assert pdf["Body"].read().startswith(b"%PDF-1.4") and pdf["ContentType"] == "application/pdf"
    note = s3.get_object(Bucket=inbound["inbound_bucket_name"], Key=comment["attachments"][1])
    assert note["Body"].read().decode() == "Bitte rückerstatten."


def test_replies_thread_by_subject_and_by_references(
        service: ApiClient, session: Any, runtimes: dict[str, Any], tenant: Tenant,
        inbound: dict[str, str]) -> None:
    raw, first_id = eml("plain.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, raw.replace(b"My order never arrived", b"Threading"))
    [ticket] = tickets_of(service, tenant, "Threading")
    ticket_id = ticket["ticket_id"]
    resolved = service.patch(f"/tickets/{ticket_id}", {"status": "resolved"},
                             token=tenant.admin_token)
    assert resolved.status == 200, resolved.json

    by_subject, _ = eml("reply.eml", tenant.tenant_id, ref=f"[#{ticket_id}]")
    deliver(session, runtimes, inbound, by_subject)
    by_header, _ = eml("reply.eml", tenant.tenant_id, in_reply_to=first_id)
    deliver(session, runtimes, inbound, by_header)

    assert tickets_of(service, tenant, "Threading") == [tickets_of(service, tenant,
                                                                   "Threading")[0]]
    assert not tickets_of(service, tenant, "Re: My order never arrived")
    found = comments_of(service, tenant, ticket_id)
    assert [c["body"].split("\n")[0] for c in found] == ["Hello,", "Still nothing here.",
                                                          "Still nothing here."]
    read = service.get(f"/tickets/{ticket_id}", token=tenant.admin_token).json
    assert read["status"] == "open" and read["reopen_count"] == 1  # the reply reopened it


def test_a_stranger_or_another_tenant_cannot_reply_into_a_ticket(
        service: ApiClient, session: Any, runtimes: dict[str, Any], tenant: Tenant,
        other: Tenant, inbound: dict[str, str]) -> None:
    raw, _ = eml("plain.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, raw.replace(b"My order never arrived", b"Guarded"))
    [ticket] = tickets_of(service, tenant, "Guarded")
    ref = f"[#{ticket['ticket_id']}]"

    stranger, _ = eml("reply.eml", tenant.tenant_id, ref=ref)
    deliver(session, runtimes, inbound, stranger.replace(b"ana@example.org", b"eve@example.org"))
    crossing, _ = eml("reply.eml", other.tenant_id, ref=ref)
    deliver(session, runtimes, inbound, crossing)

    assert len(comments_of(service, tenant, ticket["ticket_id"])) == 1
    subject = f"Re: My order never arrived {ref}"
    [own] = tickets_of(service, tenant, subject)  # the stranger's mail is a ticket of its own
    assert own["properties"]["requester_email"] == "eve@example.org"
    [theirs] = tickets_of(service, other, subject)  # filed under the tenant it was sent to
    assert theirs["ticket_id"] != ticket["ticket_id"]


def test_a_redelivered_notification_or_message_creates_nothing_twice(
        service: ApiClient, session: Any, runtimes: dict[str, Any], tenant: Tenant,
        inbound: dict[str, str]) -> None:
    raw, _ = eml("plain.eml", tenant.tenant_id)
    raw = raw.replace(b"My order never arrived", b"Only once")
    s3, sqs = session.client("s3"), session.client("sqs")
    key = f"mail/{new_id('ses').lower()}"
    s3.put_object(Bucket=inbound["inbound_bucket_name"], Key=key, Body=raw)
    # the notification arrives twice (SNS and SQS deliver at least once)
    [message] = sqs.receive_message(QueueUrl=inbound["inbound_queue_url"])["Messages"]
    sqs.send_message(QueueUrl=inbound["inbound_queue_url"], MessageBody=message["Body"])
    sqs.change_message_visibility(QueueUrl=inbound["inbound_queue_url"],
                                  ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    settle(runtimes)
    # and the same message is stored again under another key (SES retried)
    deliver(session, runtimes, inbound, raw)
    [ticket] = tickets_of(service, tenant, "Only once")
    assert len(comments_of(service, tenant, ticket["ticket_id"])) == 1
    assert keys(session, inbound["inbound_bucket_name"], "mail/") == []
    drained(session, inbound)


def test_bad_mail_is_quarantined_and_acknowledged(
        service: ApiClient, session: Any, runtimes: dict[str, Any], tenants: Tenants,
        tenant: Tenant, other: Tenant, inbound: dict[str, str]) -> None:
    before = len(tickets_of(service, tenant, "no sender at all"))
    malformed, _ = eml("malformed.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, malformed)
    huge, _ = eml("plain.eml", tenant.tenant_id)
    huge = huge.replace(b"My order never arrived", b"Huge") + b"x" * (10 * 1024 * 1024)
    deliver(session, runtimes, inbound, huge)
    nobody, _ = eml("plain.eml", "ten_01J00000000000000000000000")  # no such tenant
    deliver(session, runtimes, inbound, nobody.replace(b"My order never arrived", b"Nobody"))
    drained(session, inbound)

    held = quarantine(service, tenant)
    reasons = {q["subject"]: q for q in held}
    assert reasons["no sender at all"]["reason"] == "malformed"
    assert reasons["Huge"]["reason"] == "too_large"
    assert reasons["Huge"]["size"] > 10 * 1024 * 1024
    assert reasons["Huge"]["sender"] == "ana@example.org"
    assert "Nobody" not in reasons  # filed under no tenant
    assert len(tickets_of(service, tenant, "no sender at all")) == before
    assert not tickets_of(service, tenant, "Huge")
    assert all(q["subject"] not in ("no sender at all", "Huge")
               for q in quarantine(service, other))
    bucket = inbound["inbound_bucket_name"]
    assert len(keys(session, bucket, f"{tenant.tenant_id}/quarantine/")) == 2
    assert len(keys(session, bucket, "_system/quarantine/")) >= 1

    agent = service.get("/tickets/inbound/quarantine",
                        token=tenants.user(tenant, "support_agent"))
    assert agent.status == 403
    bad_limit = service.get("/tickets/inbound/quarantine?limit=0", token=tenant.admin_token)
    assert bad_limit.status == 400 and bad_limit.json["errors"][0]["field"] == "limit"
    bad_cursor = service.get("/tickets/inbound/quarantine?cursor=forged",
                             token=tenant.admin_token)
    assert bad_cursor.status == 400 and bad_cursor.json["errors"][0]["field"] == "cursor"
    page = service.get("/tickets/inbound/quarantine?limit=1", token=tenant.admin_token).json
    rest = service.get(f"/tickets/inbound/quarantine?limit=1&cursor={page['next_cursor']}",
                       token=tenant.admin_token).json
    assert page["items"][0]["quarantine_id"] != rest["items"][0]["quarantine_id"]


def test_notifications_that_name_no_message_are_acknowledged(
        session: Any, runtimes: dict[str, Any], inbound: dict[str, str]) -> None:
    sqs = session.client("sqs")
    for body in ("not json", json.dumps({"Type": "Notification", "Message": "{}"}),
                 json.dumps({"Records": [{"eventSource": "aws:s3",
                                          "eventName": "ObjectCreated:Put",
                                          "s3": {"bucket": {"name": "someone-elses"},
                                                 "object": {"key": "mail/x"}}}]}),
                 json.dumps({"notificationType": "Received", "receipt": {"action": {
                     "type": "S3", "bucketName": inbound["inbound_bucket_name"],
                     "objectKey": "mail/already-gone"}}})):
        sqs.send_message(QueueUrl=inbound["inbound_queue_url"], MessageBody=body)
    settle(runtimes)
    drained(session, inbound)


def test_erasure_deletes_the_persons_stored_mail(
        service: ApiClient, session: Any, runtimes: dict[str, Any], tenant: Tenant,
        inbound: dict[str, str]) -> None:
    bea = new_id("con")
    publish(session, tenant, ContactCreated(contact_id=bea, contact={
        "contact_id": bea, "version": 1, "emails": [{"address": "jose@example.org"}]}))
    settle(runtimes)
    raw, _ = eml("html_attachments.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, raw.replace(b"UmVjaG51bmcgZsO8ciBNw6Ryeg==",
                                                    b"RXJhc2UgbWU="))  # "Erase me"
    [ticket] = tickets_of(service, tenant, "Erase me")
    assert ticket["contact_id"] == bea
    [comment] = comments_of(service, tenant, ticket["ticket_id"])
    broken, _ = eml("malformed.eml", tenant.tenant_id)
    deliver(session, runtimes, inbound, b"From: jose@example.org\r\n" + broken.replace(
        b"no sender at all", b"Jose's broken mail"))  # an unknown charset: quarantined
    bucket = inbound["inbound_bucket_name"]
    held = [q for q in quarantine(service, tenant) if q["sender"] == "jose@example.org"]
    assert [q["reason"] for q in held] == ["malformed"]
    stored = keys(session, bucket, f"{tenant.tenant_id}/")
    assert set(comment["attachments"]) <= set(stored)

    publish(session, tenant, ContactErased(contact_id=bea, erased_at="2026-01-01T00:00:00Z"))
    settle(runtimes)
    left = keys(session, bucket, f"{tenant.tenant_id}/")
    assert not set(comment["attachments"]) & set(left)
    assert len(left) < len(stored)
    assert all(q["sender"] != "jose@example.org" for q in quarantine(service, tenant))
