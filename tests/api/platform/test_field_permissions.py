"""Field-level permissions: the admin API, and masking on real contacts routes per role."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.client
import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture
def aws_calls() -> Iterator[Counter[str]]:
    """DynamoDB and SQS operations made while the test runs."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def person(contacts: ApiClient, tenant: Tenant) -> dict[str, Any]:
    slug = unique("fp")
    reply = contacts.post("/contacts", {
        "first_name": "Grace", "last_name": f"Hopper {slug}",
        "emails": [{"address": f"grace.{slug}@example.com"}],
        "phones": [{"number": f"+1415555{int(slug[2:]) % 10000:04d}"}],
        "addresses": [{"street": "1 Navy Way", "city": "Arlington", "country": "US"}],
        "birthday": "1906-12-09", "properties": {},
    }, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def put_rules(platform: ApiClient, tenant: Tenant, rules: Any,
              etag: str | None = None, token: str | None = None) -> Any:
    if etag is None:
        etag = platform.get("/permissions/fields", token=tenant.admin_token).header("ETag")
    headers = {"If-Match": etag} if etag else {}
    return platform.request("PUT", "/permissions/fields", {"rules": rules},
                            token=token or tenant.admin_token, headers=headers)


def test_a_viewer_sees_no_phones_or_addresses_and_an_admin_everything(
        contacts: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    contact = person(contacts, tenant)
    path = f"/contacts/{contact['contact_id']}"
    seen = contacts.get(path, token=tenants.user(tenant, "viewer"))
    assert seen.status == 200, seen.json
    for hidden in ("phones", "addresses", "birthday"):
        assert hidden not in seen.json
    assert seen.json["emails"] == contact["emails"]
    assert seen.json["contact_id"] == contact["contact_id"] and seen.json["version"] == 1
    full = contacts.get(path, token=tenant.admin_token)
    assert full.json["phones"] == contact["phones"] and full.json["addresses"]
    assert full.json["birthday"] == "1906-12-09"


def test_lists_and_searches_are_masked_too(contacts: ApiClient, tenants: Tenants,
                                          tenant: Tenant) -> None:
    contact = person(contacts, tenant)
    viewer = tenants.user(tenant, "viewer")
    found = contacts.post("/contacts/search", {"filter_groups": [{"filters": [
        {"field": "last_name", "operator": "eq", "value": contact["last_name"]}]}]},
        token=viewer)
    assert found.status == 200, found.json
    assert [c["contact_id"] for c in found.json["items"]] == [contact["contact_id"]]
    assert "phones" not in found.json["items"][0]
    listed = contacts.get("/contacts?limit=100", token=viewer)
    assert listed.json["items"] and all("phones" not in c for c in listed.json["items"])
    marketer = contacts.get(f"/contacts/{contact['contact_id']}",
                            token=tenants.user(tenant, "marketer"))
    assert marketer.json["phones"] == contact["phones"] and "addresses" not in marketer.json


def test_a_tenant_override_reaches_the_contacts_service_by_event(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    other = tenants.create("Other")
    settle(runtimes)
    contact = person(contacts, tenant)
    theirs = person(contacts, other)
    viewer = tenants.user(tenant, "viewer")
    reply = put_rules(platform, tenant, {"viewer": {"contact": ["emails", "properties.salary"]},
                                         "sales_rep": {"opportunity": ["amount"]}})
    assert reply.status == 200, reply.json
    assert reply.json["rules"]["viewer"]["contact"] == ["emails", "properties.salary"]
    assert reply.json["effective"]["viewer"]["contact"] == ["emails", "properties.salary"]
    assert reply.json["effective"]["viewer"]["company"] == ["addresses"]
    settle(runtimes)
    seen = contacts.get(f"/contacts/{contact['contact_id']}", token=viewer).json
    assert seen["phones"] == contact["phones"] and "emails" not in seen
    # the other tenant keeps the defaults: rules never cross tenants
    assert platform.get("/permissions/fields", token=other.admin_token).json["rules"] == {}
    seen_there = contacts.get(f"/contacts/{theirs['contact_id']}",
                              token=tenants.user(other, "viewer")).json
    assert "phones" not in seen_there and seen_there["emails"] == theirs["emails"]
    # and the platform's copy is what every service got
    got = platform.get("/permissions/fields", token=tenant.admin_token)
    assert got.header("ETag") == '"1"' and got.json["version"] == 1


def test_a_redelivered_or_older_rules_event_changes_nothing(
        platform: ApiClient, contacts: ApiClient, tenants: Tenants, runtimes: dict[str, Any],
        session: Any) -> None:
    from tests.support.events import put_bus_event

    tenant = tenants.create("Ordering")
    settle(runtimes)
    assert put_rules(platform, tenant, {"viewer": {"contact": []}}).status == 200
    assert put_rules(platform, tenant, {"viewer": {"contact": ["emails"]}}).status == 200
    settle(runtimes)
    stale = {"metadata": {"event_id": f"evt_{unique('x')}", "tenant_id": tenant.tenant_id,
                          "occurred_at": "2030-01-01T00:00:00.000Z", "schema_version": 1,
                          "actor": "system:test"},
             "data": {"rules": {}, "version": 1, "updated_at": "2030-01-01T00:00:00.000Z"}}
    put_bus_event(session, "crm.platform", "FieldPermissionsChanged", stale)
    settle(runtimes)
    contact = person(contacts, tenant)
    seen = contacts.get(f"/contacts/{contact['contact_id']}",
                        token=tenants.user(tenant, "viewer")).json
    assert "emails" not in seen and seen["phones"] == contact["phones"]


def test_a_warm_read_costs_one_getitem_and_one_sqs_call(
        contacts: ApiClient, tenants: Tenants, tenant: Tenant,
        aws_calls: Counter[str]) -> None:
    contact = person(contacts, tenant)
    viewer = tenants.user(tenant, "viewer")
    assert contacts.get(f"/contacts/{contact['contact_id']}", token=viewer).status == 200
    aws_calls.clear()
    assert contacts.get(f"/contacts/{contact['contact_id']}", token=viewer).status == 200
    assert aws_calls == Counter({"dynamodb:GetItem": 1, "sqs:SendMessageBatch": 1})


@pytest.mark.parametrize(("rules", "field"), [
    ({"superuser": {"contact": ["phones"]}}, "rules.superuser"),
    ({"viewer": {"planet": ["phones"]}}, "rules.viewer.planet"),
    ({"viewer": {"contact": ["contact_id"]}}, "rules.viewer.contact[0]"),
    ({"viewer": {"contact": ["phones", "Bad Name"]}}, "rules.viewer.contact[1]"),
    ({"viewer": {"contact": "phones"}}, "rules.viewer.contact"),
    ({"viewer": {"contact": [f"f{i}" for i in range(51)]}}, "rules.viewer.contact"),
    ([], "rules"),
])
def test_bad_rules_are_422_naming_the_field(platform: ApiClient, tenant: Tenant, rules: Any,
                                            field: str) -> None:
    reply = put_rules(platform, tenant, rules)
    assert reply.status == 422, reply.json
    assert reply.header("Content-Type") == "application/problem+json"
    assert field in [e["field"] for e in reply.json["errors"]]


def test_if_match_is_required_and_checked(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create("Etags")
    missing = put_rules(platform, tenant, {}, etag="")
    assert missing.status == 428 and missing.json["errors"][0]["field"] == "If-Match"
    assert put_rules(platform, tenant, {}, etag='"0"').status == 200
    stale = put_rules(platform, tenant, {}, etag='"0"')
    assert stale.status == 412, stale.json
    garbage = put_rules(platform, tenant, {}, etag="yesterday")
    assert garbage.status == 412 and garbage.json["errors"][0]["field"] == "If-Match"
    extra = platform.request("PUT", "/permissions/fields", {"rules": {}, "mode": "allow"},
                             token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert extra.status == 422 and extra.json["errors"][0]["field"] == "mode"


def test_only_admins_manage_field_rules(platform: ApiClient, tenants: Tenants,
                                        tenant: Tenant) -> None:
    for role in ("manager", "viewer"):
        token = tenants.user(tenant, role)
        assert platform.get("/permissions/fields", token=token).status == 403
        assert put_rules(platform, tenant, {}, etag='"9"', token=token).status == 403
