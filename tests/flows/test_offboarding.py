"""DELETE /tenants/{id}: every service purges the tenant through its TENANT index, in pages,
and reports; the tenant's tokens and API keys are refused at once; the other tenant keeps
everything. (The full-table reads below are the test's; the product never scans.)"""

from __future__ import annotations

import os
from typing import Any

import boto3

from crm_shared import clock
from crm_shared.dynamo import SYSTEM_TENANT
from crm_shared.offboarding import KNOWN_FOR
from crm_shared.settings import get_settings
from tests.support import entities  # noqa: F401  (loads every maker first: no import cycle)
from tests.support.client import OPERATOR, ApiClient, Tenant, Tenants
from tests.support.events import settle
from tests.support.makers.companies import _company
from tests.support.makers.marketing import _segment
from tests.support.makers.sales_leads import _lead
from tests.support.makers.sales_opportunities import _opportunity
from tests.support.makers.service import _ticket
from tests.support.makers.timeline import _interaction
from tests.support.services import service_names


def full_read(service: str) -> list[dict[str, Any]]:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(
        get_settings().table_name(service))
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)  # tests only
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def belongs_to(item: dict[str, Any], tenant_id: str) -> bool:
    """An item of the tenant: keyed under it, pointing at it from `_system`, or naming it."""
    return (str(item["PK"]).startswith(f"T#{tenant_id}#") or item.get("TENANTPK") == tenant_id
            or (str(item["PK"]).startswith(f"T#{SYSTEM_TENANT}#")
                and item.get("tenant_id") == tenant_id))


def populate(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> dict[str, str]:
    made = {
        "company": _company(clients, tenants, tenant),
        "interaction": _interaction(clients, tenants, tenant),  # and its contact
        "lead": _lead(clients, tenants, tenant),
        "opportunity": _opportunity(clients, tenants, tenant),
        "ticket": _ticket(clients, tenants, tenant),
        "segment": _segment(clients, tenants, tenant),
    }
    key = clients["platform"].post("/api-keys", {"name": "BI", "role": "viewer",
                                                 "scopes": ["contacts:read", "sales:read"]},
                                   token=tenant.admin_token)
    assert key.status == 201, key.json
    made["api_key"] = key.json["api_key"]
    s3 = boto3.client("s3", region_name="us-east-1")
    for env in ("CRM_FILES_BUCKET", "CRM_INBOUND_BUCKET"):
        for n in range(3):  # objects a client uploaded / mail the service stored
            s3.put_object(Bucket=os.environ[env], Key=f"{tenant.tenant_id}/test/{n}.txt",
                          Body=b"x")
    return made


def objects_of(tenant_id: str) -> int:
    s3 = boto3.client("s3", region_name="us-east-1")
    return sum(s3.list_objects_v2(Bucket=os.environ[env], Prefix=f"{tenant_id}/")["KeyCount"]
               for env in ("CRM_FILES_BUCKET", "CRM_INBOUND_BUCKET"))


def test_a_deleted_tenant_is_purged_everywhere_and_refused_at_once(
    clients: dict[str, ApiClient], tenants: Tenants, runtimes: dict[str, Any]
) -> None:
    a, b = tenants.create("Leaving"), tenants.create("Staying")
    settle(runtimes)  # TenantProvisioned: every service seeds its defaults
    made = {t.tenant_id: populate(clients, tenants, t) for t in (a, b)}
    settle(runtimes)  # the key reaches every projection; timelines, stats, audit...
    a_key = {"X-Api-Key": made[a.tenant_id]["api_key"]}
    b_key = {"X-Api-Key": made[b.tenant_id]["api_key"]}
    assert clients["contacts"].get("/contacts", headers=a_key).status == 200
    before = {svc: full_read(svc) for svc in service_names()}
    for svc in service_names():
        assert any(belongs_to(i, a.tenant_id) for i in before[svc]), svc
    b_before = {svc: {(i["PK"], i["SK"]) for i in items if belongs_to(i, b.tenant_id)}
                for svc, items in before.items()}
    a_before = {svc: sum(belongs_to(i, a.tenant_id) for i in items)
                for svc, items in before.items()}

    deleted = clients["platform"].delete(f"/tenants/{a.tenant_id}", headers=OPERATOR)
    assert deleted.status == 200 and deleted.json["status"] == "deleted"
    report = clients["platform"].get(f"/tenants/{a.tenant_id}/offboarding", headers=OPERATOR)
    assert report.status == 200 and report.json["status"] == "in_progress"
    settle(runtimes)
    clock.advance(KNOWN_FOR.total_seconds())  # a "not offboarded" read before is now stale

    for svc in ("contacts", "sales", "service", "marketing", "platform"):
        assert clients[svc].get("/contacts" if svc == "contacts" else "/me" if svc == "platform"
                                else {"sales": "/leads", "service": "/tickets",
                                      "marketing": "/segments"}[svc],
                                token=a.admin_token).status == 401, svc
    assert clients["contacts"].get("/contacts", headers=a_key).status == 401
    assert clients["sales"].get("/leads", headers=a_key).status == 401
    assert clients["contacts"].get("/contacts", headers=b_key).status == 200
    assert clients["service"].get("/tickets", token=b.admin_token).status == 200

    after = {svc: full_read(svc) for svc in service_names()}
    for svc, items in after.items():
        left = [(i["PK"], i["SK"]) for i in items if belongs_to(i, a.tenant_id)]
        if svc == "platform":  # the operator's record of the tenant, status deleted, stays
            assert left == [(f"T#{a.tenant_id}#TENANT", "TENANT")], left
        else:
            assert left == [], (svc, left)
        kept = {(i["PK"], i["SK"]) for i in items if belongs_to(i, b.tenant_id)}
        assert b_before[svc] <= kept, (svc, b_before[svc] - kept)
    assert objects_of(a.tenant_id) == 0 and objects_of(b.tenant_id) == 6

    report = clients["platform"].get(f"/tenants/{a.tenant_id}/offboarding", headers=OPERATOR)
    assert report.status == 200, report.json
    assert report.json["status"] == "complete"
    counts = {s["service"]: s for s in report.json["services"]}
    assert set(counts) == set(service_names())
    for svc, row in counts.items():
        assert row["status"] == "complete"
        # everything that was there, plus what the offboarding itself wrote under the
        # tenant (its consumed markers, the audit entry), minus the kept tenant record
        assert row["items_deleted"] >= a_before[svc] - (1 if svc == "platform" else 0), svc
    assert counts["contacts"]["objects_deleted"] == 3
    assert counts["service"]["objects_deleted"] == 3
    assert counts["sales"]["objects_deleted"] == 0

    again = clients["platform"].delete(f"/tenants/{a.tenant_id}", headers=OPERATOR)
    assert again.status == 200
    settle(runtimes)
    assert clients["platform"].get(f"/tenants/{a.tenant_id}/offboarding",
                                   headers=OPERATOR).json == report.json
    assert clients["platform"].get(f"/tenants/{b.tenant_id}/offboarding",
                                   headers=OPERATOR).status == 404
