"""Web-to-lead forms: admin CRUD, and the public post (origin allow-list, honeypot, per-minute
rate limit, field validation, tenant resolution by key, assignment afterwards)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle

PATH = "/leads/forms"
SITE = "https://www.acme.example"
MAP = {"full_name": "name", "your_email": "email", "phone": "phone", "org": "company_name",
       "utm_campaign": "utm.campaign"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def form(sales: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    reply = sales.post(PATH, {"name": unique("Contact us "), "allowed_origins": [SITE + "/"],
                              "field_map": MAP, "default_source": "Website", **fields},
                       token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def post(sales: ApiClient, key: str, body: dict[str, Any], origin: str | None = SITE) -> Any:
    headers = {"Origin": origin} if origin else {}
    return sales.post(f"{PATH}/{key}", body, headers=headers)


def visitor(**fields: Any) -> dict[str, Any]:
    return {"full_name": "Vera Visitor", "your_email": f"{unique('v-')}@corp.example",
            "org": "Corp", "utm_campaign": "spring", "submit": "Send", **fields}


def test_admins_manage_forms(sales: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    made = form(sales, tenant)
    assert made["form_id"].startswith("frm_") and made["form_key"].startswith("fk_")
    assert tenant.tenant_id not in made["form_key"]
    assert made["allowed_origins"] == [SITE] and made["rate_limit_per_minute"] == 20
    form_id = made["form_id"]
    assert sales.get(f"{PATH}/{form_id}", token=tenant.admin_token).json == made
    listed = sales.get(PATH, token=tenant.admin_token).json["items"]
    assert form_id in [f["form_id"] for f in listed]
    changed = sales.patch(f"{PATH}/{form_id}", {"rate_limit_per_minute": 5},
                          token=tenant.admin_token, headers={"If-Match": '"1"'})
    assert changed.status == 200 and changed.json["rate_limit_per_minute"] == 5
    stale = sales.patch(f"{PATH}/{form_id}", {"name": "x"}, token=tenant.admin_token,
                        headers={"If-Match": '"1"'})
    assert stale.status == 412
    rep = tenants.user(tenant, "manager")
    assert sales.get(PATH, token=rep).status == 403
    assert sales.post(PATH, {"name": "x", "field_map": MAP}, token=rep).status == 403
    other = tenants.create("Other")
    assert sales.get(f"{PATH}/{form_id}", token=other.admin_token).status == 404
    assert sales.delete(f"{PATH}/{form_id}", token=tenant.admin_token).status == 204
    assert post(sales, made["form_key"], visitor()).status == 404


@pytest.mark.parametrize("body, field", [
    ({"name": "x"}, "field_map"),
    ({"name": "x", "field_map": {"a": "salary"}}, "field_map"),
    ({"name": "x", "field_map": {"a b": "name"}}, "field_map"),
    ({"name": "x", "field_map": MAP, "allowed_origins": ["acme.example"]}, "allowed_origins"),
    ({"name": "x", "field_map": MAP, "rate_limit_per_minute": 0}, "rate_limit_per_minute"),
    ({"name": "x", "field_map": MAP, "default_owner_id": "bob"}, "default_owner_id"),
    ({"name": "x", "field_map": MAP, "colour": "red"}, "colour"),
])
def test_bad_forms_are_422_naming_the_field(sales: ApiClient, tenant: Tenant,
                                            body: dict[str, Any], field: str) -> None:
    reply = sales.post(PATH, body, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in [e["field"] for e in reply.json["errors"]]


def test_a_post_creates_a_lead_in_the_forms_tenant_and_it_gets_assigned(
        sales: ApiClient, tenants: Tenants, tenant: Tenant, runtimes: dict[str, Any]) -> None:
    made = form(sales, tenant)
    sent = visitor()
    reply = post(sales, made["form_key"], sent)
    assert reply.status == 201, reply.json
    lead_id = reply.json["lead_id"]
    lead = sales.get(f"/leads/{lead_id}", token=tenant.admin_token).json
    assert lead["name"] == "Vera Visitor" and lead["email"] == sent["your_email"]
    assert lead["company_name"] == "Corp" and lead["utm"] == {"campaign": "spring"}
    assert lead["source"] == "website" and lead["form_id"] == made["form_id"]
    assert lead["created_by"] is None
    other = tenants.create("Other")
    assert sales.get(f"/leads/{lead_id}", token=other.admin_token).status == 404
    settle(runtimes)
    assert sales.get(f"/leads/{lead_id}", token=tenant.admin_token).json[
        "assignment_status"] == "unassigned"


def test_origin_honeypot_validation_and_unknown_keys(sales: ApiClient, tenant: Tenant) -> None:
    made = form(sales, tenant)
    key = made["form_key"]
    for origin in ("https://evil.example", None):
        refused = post(sales, key, visitor(), origin=origin)
        assert refused.status == 403 and refused.json["errors"][0]["field"] == "Origin"
    bot = post(sales, key, visitor(website="http://spam.example"))
    assert bot.status == 202 and bot.json["lead_id"] is None
    bad = post(sales, key, visitor(your_email="not-an-email"))
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "your_email"
    empty = post(sales, key, {"submit": "Send"})
    assert empty.status == 422 and empty.json["errors"][0]["field"] == "name"
    nested = post(sales, key, visitor(full_name={"a": 1}))
    assert nested.status == 422 and nested.json["errors"][0]["field"] == "full_name"
    assert post(sales, "fk_unknown", visitor()).status == 404
    assert post(sales, "frm_" + "0" * 26, visitor()).status == 404
    anywhere = form(sales, tenant, allowed_origins=[])
    assert post(sales, anywhere["form_key"], visitor(), origin=None).status == 201


def test_rate_limit_per_form_and_minute(sales: ApiClient, tenant: Tenant) -> None:
    made = form(sales, tenant, rate_limit_per_minute=2)
    key = made["form_key"]
    assert [post(sales, key, visitor()).status for _ in range(2)] == [201, 201]
    limited = post(sales, key, visitor())
    assert limited.status == 429, limited.json
    assert limited.header("Content-Type") == "application/problem+json"
    assert 1 <= int(limited.header("Retry-After") or 0) <= 60
    other = form(sales, tenant, rate_limit_per_minute=2)
    assert post(sales, other["form_key"], visitor()).status == 201, "another form's own budget"
