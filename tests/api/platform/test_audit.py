"""The audit log through the real apps: changes from events, reads and exports from every
service, queries per index with signed cursors, immutability, retention and the S3 export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crm_shared import clock
from infra.local.provision import load_template
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import ROOT, load_app

AGENT = {"User-Agent": "audit-test/1.0"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Audited")
    settle(runtimes)
    return made


def contact(contacts: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    slug = unique("au")
    reply = contacts.post("/contacts", {"first_name": "Ada", "last_name": f"Byron {slug}",
                                        "phones": [{"number": f"+1415555{slug[2:]:0>4}"}],
                                        **fields},
                          token=tenant.admin_token, headers=AGENT)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def log(platform: ApiClient, tenant: Tenant, query: str = "", token: str | None = None) -> Any:
    reply = platform.get(f"/audit{query}", token=token or tenant.admin_token)
    assert reply.status == 200, reply.json
    return reply.json


def of(platform: ApiClient, tenant: Tenant, entity_type: str, entity_id: str) -> list[Any]:
    return list(log(platform, tenant, f"?entity_type={entity_type}&entity_id={entity_id}"
                    "&limit=100")["items"])


def test_changes_are_entries_with_actor_origin_and_field_changes(
        platform: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    made = contact(contacts, tenant)
    cid = made["contact_id"]
    patched = contacts.patch(f"/contacts/{cid}", {"title": "Countess"},
                             token=tenant.admin_token,
                             headers={**AGENT, "If-Match": '"1"', "X-Correlation-Id": "corr-1"})
    assert patched.status == 200, patched.json
    settle(runtimes)
    entries = of(platform, tenant, "contact", cid)
    assert [e["action"] for e in entries] == ["update", "create"]  # newest first
    update, create = entries
    # a job title is the person's own data: the log says it changed, not to what
    assert update["changes"] == {"title": {"after": "[personal data]"}}
    assert update["correlation_id"] == "corr-1" and update["event_type"] == "ContactUpdated"
    # the log says the phones were set, never what they hold: entries outlive an erasure
    assert create["changes"]["phones"]["after"] == "[personal data]"
    assert made["phones"][0]["number"] not in json.dumps(entries)
    for entry in entries:
        assert entry["actor"] == f"user:{tenant.admin_user_id}"
        assert entry["user_agent"] == "audit-test/1.0" and entry["source_ip"]
        assert entry["service"] == "contacts" and entry["entry_id"].startswith("aud_")
        got = platform.get(f"/audit/entries/{entry['entry_id']}", token=tenant.admin_token)
        assert got.json == entry


def test_events_carrying_previous_give_before_and_after_once(
        platform: ApiClient, tenant: Tenant, runtimes: dict[str, Any], session: Any) -> None:
    opp = f"opp_{unique('X')}"
    event_id = f"evt_{unique('E')}"
    detail = {"metadata": {"event_id": event_id, "tenant_id": tenant.tenant_id,
                           "occurred_at": clock.iso(), "schema_version": 1,
                           "actor": "user:usr_someone"},
              "data": {"opportunity_id": opp, "changed": ["amount", "stage"],
                       "opportunity": {"amount": {"amount": 900, "currency": "USD"},
                                       "stage": "Won"},
                       "previous": {"amount": {"amount": 500, "currency": "USD"},
                                    "stage": "Proposal"}}}
    for _ in range(2):  # a redelivery writes nothing twice
        put_bus_event(session, "crm.sales", "OpportunityUpdated", detail)
    stage = dict(detail, data={"opportunity_id": opp, "pipeline_id": "pip_1",
                               "from_stage": "Proposal", "to_stage": "Won", "opportunity": {}})
    stage["metadata"] = dict(detail["metadata"], event_id=f"evt_{unique('S')}")
    put_bus_event(session, "crm.sales", "OpportunityStageChanged", stage)
    settle(runtimes)
    entries = of(platform, tenant, "opportunity", opp)
    assert sorted(e["action"] for e in entries) == ["stage_changed", "update"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["changes"] == {
        "amount": {"before": {"amount": 500, "currency": "USD"},
                   "after": {"amount": 900, "currency": "USD"}},
        "stage": {"before": "Proposal", "after": "Won"}}
    moved = next(e for e in entries if e["action"] == "stage_changed")
    assert moved["changes"] == {"stage": {"before": "Proposal", "after": "Won"}}


def test_reads_and_searches_of_personal_data_are_recorded(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    made = [contact(contacts, tenant, tags=["readme"]) for _ in range(3)]
    viewer = tenants.user(tenant, "viewer")
    got = contacts.get(f"/contacts/{made[0]['contact_id']}", token=viewer, headers=AGENT)
    assert got.status == 200
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "tags", "operator": "eq", "value": "readme"}]}]}, token=viewer)
    assert found.status == 200 and len(found.json["items"]) == 3
    settle(runtimes)
    reads = [e for e in of(platform, tenant, "contact", made[0]["contact_id"])
             if e["action"] == "read"]
    routes = sorted(e["route"] for e in reads)
    assert routes == ["GET /contacts/{contact_id}", "POST /contacts/search"]
    single = next(e for e in reads if e["route"].startswith("GET"))
    assert single["user_agent"] == "audit-test/1.0" and single["service"] == "contacts"
    actor = f"user:{tenant.user_ids['viewer']}"
    assert single["actor"] == actor
    by_actor = log(platform, tenant, f"?actor={actor}&limit=100")["items"]
    searched = {e["entity_id"] for e in by_actor if e["route"] == "POST /contacts/search"}
    assert searched == {m["contact_id"] for m in made}
    # writes are audited from their events, not as reads
    assert all(e["action"] != "read" or e["actor"] == actor
               for e in log(platform, tenant, "?limit=100")["items"])


def test_an_export_is_recorded_and_its_rows_masked_for_the_exporter(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants,
        runtimes: dict[str, Any]) -> None:
    tenant = tenants.create("Exports")
    settle(runtimes)
    made = contact(contacts, tenant)
    exporter = tenant.admin_token  # an admin whom this tenant's rules deny phones
    viewer_rules = {"admin": {"contact": ["phones"]}}
    etag = platform.get("/permissions/fields", token=tenant.admin_token).header("ETag")
    assert platform.request("PUT", "/permissions/fields", {"rules": viewer_rules},
                            token=tenant.admin_token,
                            headers={"If-Match": str(etag)}).status == 200
    settle(runtimes)
    started = contacts.post("/exports", {"object_type": "contact",
                                         "fields": ["contact_id", "phone"]}, token=exporter)
    assert started.status == 202, started.json
    for _ in range(10):  # the jobs queue right after the request, as contacts' tests drain it
        runtimes["contacts"].pump_queue()
    settle(runtimes)
    done = contacts.get(f"/exports/{started.json['export_id']}", token=exporter).json
    assert done["status"] == "completed", done
    entries = of(platform, tenant, "export", started.json["export_id"])
    assert len(entries) == 1 and entries[0]["action"] == "export"
    assert entries[0]["actor"] == f"user:{tenant.admin_user_id}"
    assert entries[0]["changes"]["fields"]["after"] == ["contact_id", "phone"]
    assert entries[0]["changes"]["rows"]["after"] == 1
    import urllib.parse

    import boto3

    url = urllib.parse.urlparse(done["download_url"])
    bucket, key = url.path.lstrip("/").split("/", 1) if not url.netloc.startswith(
        "crm-") else (url.netloc.split(".")[0], url.path.lstrip("/"))
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert made["phones"][0]["number"] not in body and body.splitlines()[1].endswith(",")


def test_queries_page_with_signed_cursors_newest_first(
        platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], session: Any) -> None:
    tenant = tenants.create("Paging")
    settle(runtimes)
    start = clock.now()
    for n in range(3):
        put_bus_event(session, "crm.contacts", "ContactDeleted", {
            "metadata": {"event_id": f"evt_{unique('P')}", "tenant_id": tenant.tenant_id,
                         "occurred_at": clock.iso(start + timedelta(seconds=n)),
                         "schema_version": 1, "actor": "user:usr_pager"},
            "data": {"contact_id": f"con_PAGE{n}"}})
    settle(runtimes)
    first = log(platform, tenant, "?actor=user:usr_pager&limit=2")
    assert [e["entity_id"] for e in first["items"]] == ["con_PAGE2", "con_PAGE1"]
    second = log(platform, tenant, f"?actor=user:usr_pager&limit=2&cursor={first['next_cursor']}")
    assert [e["entity_id"] for e in second["items"]] == ["con_PAGE0"]
    window = (f"?from={clock.iso(start + timedelta(milliseconds=500))}"
              f"&to={clock.iso(start + timedelta(seconds=1, milliseconds=500))}")
    assert [e["entity_id"] for e in log(platform, tenant, window)["items"]] == ["con_PAGE1"]
    other = platform.get(f"/audit?limit=2&cursor={first['next_cursor']}",
                         token=tenant.admin_token)
    assert other.status == 400 and other.json["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(("query", "field"), [
    ("?entity_type=contact", "entity_id"),
    ("?entity_id=con_1", "entity_type"),
    ("?entity_type=contact&entity_id=con_1&actor=user:x", "actor"),
    ("?actor=a%23b", "actor"),
    ("?from=yesterday", "from"),
    ("?to=1999-01-01T00:00:00Z", "to"),
    ("?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "from"),
    ("?limit=0", "limit"),
    ("?limit=101", "limit"),
    ("?cursor=forged", "cursor"),
])
def test_bad_queries_are_400_naming_the_parameter(platform: ApiClient, tenant: Tenant,
                                                  query: str, field: str) -> None:
    reply = platform.get(f"/audit{query}", token=tenant.admin_token)
    assert reply.status == 400, reply.json
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.json["errors"][0]["field"] == field


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_entries_are_immutable_through_the_api(platform: ApiClient, tenant: Tenant,
                                               tenants: Tenants, method: str) -> None:
    entry = log(platform, tenant, "?limit=1")["items"][0]
    path = f"/audit/entries/{entry['entry_id']}"
    body = None if method == "DELETE" else {"action": "nothing happened"}
    reply = platform.request(method, path, body, token=tenant.admin_token)
    assert reply.status == 405, reply.json
    assert reply.header("Content-Type") == "application/problem+json"
    assert method in reply.json["detail"] and reply.header("Allow") == "GET"
    assert platform.get(path, token=tenant.admin_token).json == entry
    purge = platform.delete("/audit", token=tenant.admin_token)
    assert purge.status == 405 and "DELETE" in purge.json["detail"]
    other = tenants.create("Intruder")
    assert platform.request(method, path, body, token=other.admin_token).status == 404


def test_the_log_never_crosses_tenants_and_is_for_admins(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    made = contact(contacts, tenant)
    settle(runtimes)
    other = tenants.create("Neighbour")
    settle(runtimes)
    theirs = log(platform, other, "?limit=100")["items"]
    assert theirs and all(tenant.tenant_id not in json.dumps(e) for e in theirs)
    assert of(platform, other, "contact", made["contact_id"]) == []
    entry = of(platform, tenant, "contact", made["contact_id"])[0]
    assert platform.get(f"/audit/entries/{entry['entry_id']}",
                        token=other.admin_token).status == 404
    for role in ("manager", "viewer", "sales_rep"):
        token = tenants.user(tenant, role)
        assert platform.get("/audit", token=token).status == 403
        assert platform.get("/audit/settings", token=token).status == 403


def test_retention_sets_the_ttl_and_is_itself_audited(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants,
        runtimes: dict[str, Any]) -> None:
    tenant = tenants.create("Retention")
    settle(runtimes)
    got = platform.get("/audit/settings", token=tenant.admin_token)
    assert got.json["retention_days"] == 365 and got.header("ETag") == '"0"'
    put = platform.request
    missing = put("PUT", "/audit/settings", {"retention_days": 30}, token=tenant.admin_token)
    assert missing.status == 428 and missing.json["errors"][0]["field"] == "If-Match"
    for bad in ({"retention_days": 0}, {"retention_days": 3651}, {"retention_days": "x"},
                {}, {"retention_days": 30, "forever": True}):
        reply = put("PUT", "/audit/settings", bad, token=tenant.admin_token,
                    headers={"If-Match": '"0"'})
        assert reply.status == 422, reply.json
        assert reply.json["errors"][0]["field"] in {"retention_days", "forever"}
    ok = put("PUT", "/audit/settings", {"retention_days": 30}, token=tenant.admin_token,
             headers={"If-Match": '"0"'})
    assert ok.status == 200 and ok.json["retention_days"] == 30 and ok.header("ETag") == '"1"'
    stale = put("PUT", "/audit/settings", {"retention_days": 31}, token=tenant.admin_token,
                headers={"If-Match": '"0"'})
    assert stale.status == 412
    changed = of(platform, tenant, "audit_settings", tenant.tenant_id)
    assert changed[0]["changes"] == {"retention_days": {"before": 365, "after": 30}}
    made = contact(contacts, tenant)
    settle(runtimes)
    entry = of(platform, tenant, "contact", made["contact_id"])[0]
    kept = (datetime.fromisoformat(entry["expires_at"].replace("Z", "+00:00"))
            - datetime.fromisoformat(entry["occurred_at"].replace("Z", "+00:00")))
    assert abs(kept - timedelta(days=30)) < timedelta(seconds=1)  # TTL: epoch seconds


def test_each_day_is_written_to_the_object_lock_bucket(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any],
        aws: dict[str, Any], session: Any) -> None:
    tenant = tenants.create("Archive")
    settle(runtimes)
    made = contact(contacts, tenant)
    settle(runtimes)
    bucket = aws["services"]["platform"]["audit_bucket_name"]
    s3 = session.client("s3")
    declared = load_template(ROOT / "services" / "platform" / "resources.yaml")[
        "Resources"]["AuditBucket"]["Properties"]
    assert declared["ObjectLockEnabled"] is True
    lock = declared["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"
    # moto's CloudFormation drops a bucket's Object Lock: apply the template's own settings
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=lock)
    load_app("platform")
    from chalicelib.audit import export

    assert export.bucket_name() == bucket  # the template's name, found without the env
    day = clock.now().astimezone(UTC).date().isoformat()
    assert export.export_due_days(s3, bucket) == 0 or True  # other days may be due
    clock.advance(86400 + 3600)
    try:
        written = export.export_due_days(s3, bucket, limit=1000)
        assert written >= 1
        again = export.export_due_days(s3, bucket, limit=1000)
        assert again == 0  # each day once
    finally:
        clock.advance(-(86400 + 3600))
    key = export.object_key(tenant.tenant_id, day)
    obj = s3.get_object(Bucket=bucket, Key=key)
    assert obj["ObjectLockMode"] == "COMPLIANCE"
    lines = [json.loads(line) for line in obj["Body"].read().decode().splitlines()]
    assert {line["tenant_id"] for line in lines} == {tenant.tenant_id}
    assert made["contact_id"] in {line["entity_id"] for line in lines}
    assert [line["entry_id"] for line in lines] == sorted(line["entry_id"] for line in lines)
    with pytest.raises(s3.exceptions.ClientError):
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
        s3.delete_object(Bucket=bucket, Key=key, VersionId=versions[0]["VersionId"])
