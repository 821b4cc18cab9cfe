"""Templates rendered in Jinja2's sandbox; defaults seeded per tenant; sender identities
verified in SES."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.marketing.helpers import contact
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle

NEWS = {"name": "News", "channel": "email", "subject": "Hi {{ contact.first_name }}",
        "html": '<p>Hello {{ contact.first_name }} of {{ company.name }}</p>'
                '<a href="{{ unsubscribe_url }}">unsubscribe</a>',
        "text": "Hello {{ contact.first_name }}"}


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Templates Co")
    settle(runtimes)
    return made


def test_a_new_tenant_has_default_templates(marketing: ApiClient, tenant: Tenant) -> None:
    reply = marketing.get("/templates", token=tenant.admin_token)
    assert reply.status == 200, reply.json
    names = {t["name"]: t for t in reply.json["items"]}
    assert {"Newsletter", "Welcome", "SMS offer"} <= set(names)
    assert names["Welcome"]["purpose"] == "transactional"
    assert names["SMS offer"]["channel"] == "sms"


def test_preview_renders_a_contact_and_missing_values_render_empty(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
        runtimes: dict[str, Any]) -> None:
    made = marketing.post("/templates", NEWS, token=tenant.admin_token)
    assert made.status == 201, made.json
    person = contact(contacts, tenant, first_name="<Grace>")
    settle(runtimes)
    reply = marketing.post(f"/templates/{made.json['template_id']}/preview",
                           {"contact_id": person["contact_id"]}, token=tenant.admin_token)
    assert reply.status == 200, reply.json
    assert reply.json["subject"] == "Hi <Grace>"
    # html escapes what it inserts; the missing company renders empty
    assert reply.json["html"].startswith("<p>Hello &lt;Grace&gt; of </p>")
    unknown = marketing.post(f"/templates/{made.json['template_id']}/preview",
                             {"contact_id": "con_01JZZZZZZZZZZZZZZZZZZZZZZZ"},
                             token=tenant.admin_token)
    assert unknown.status == 422 and unknown.json["errors"][0]["field"] == "contact_id"


@pytest.mark.parametrize("change, field", [
    ({"html": "<p>{{ ''.__class__ }}</p>{{ unsubscribe_url }}"}, "html"),
    ({"subject": "{{ contact.__dict__ }}"}, "subject"),
    ({"text": "{{ contact|attr('__class__') }}"}, "text"),
    ({"html": "<p>{% if %}</p>"}, "html"),
    ({"subject": "{{ contact.first_name "}, "subject"),
    ({"html": "<p>no way out</p>"}, "html"),
    ({"subject": None}, "subject"),
    ({"channel": "fax"}, "channel"),
    ({"extra": 1}, "extra"),
])
def test_unsafe_broken_or_incomplete_templates_are_422_naming_the_field(
        marketing: ApiClient, tenant: Tenant, change: dict[str, Any], field: str) -> None:
    reply = marketing.post("/templates", {**NEWS, **change}, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert field in {e["field"] for e in reply.json["errors"]}


def test_sms_templates_have_text_only_and_transactional_email_needs_no_unsubscribe(
        marketing: ApiClient, tenant: Tenant) -> None:
    sms = marketing.post("/templates", {"name": "S", "channel": "sms", "subject": "x",
                                        "text": "hi"}, token=tenant.admin_token)
    assert sms.status == 422 and sms.json["errors"][0]["field"] == "subject"
    receipt = marketing.post("/templates", {**NEWS, "purpose": "transactional",
                                            "html": "<p>Your receipt</p>"},
                             token=tenant.admin_token)
    assert receipt.status == 201, receipt.json


def test_patch_rechecks_and_honours_if_match(marketing: ApiClient, tenant: Tenant) -> None:
    made = marketing.post("/templates", NEWS, token=tenant.admin_token)
    tid, tag = made.json["template_id"], made.header("ETag")
    broken = marketing.patch(f"/templates/{tid}", {"html": "<p>no link</p>"},
                             token=tenant.admin_token)
    assert broken.status == 422 and broken.json["errors"][0]["field"] == "html"
    ok = marketing.patch(f"/templates/{tid}", {"name": "Renamed"}, token=tenant.admin_token,
                         headers={"If-Match": tag})
    assert ok.status == 200 and ok.json["name"] == "Renamed"
    stale = marketing.patch(f"/templates/{tid}", {"name": "Again"}, token=tenant.admin_token,
                            headers={"If-Match": tag})
    assert stale.status == 412
    assert marketing.get(f"/templates/{tid}", token=tenant.admin_token).json["html"] == \
        NEWS["html"]


def test_sender_identities_are_verified_in_ses_and_claimed_once(
        marketing: ApiClient, tenant: Tenant, session: Any, tenants: Tenants) -> None:
    reply = marketing.post("/sender-identities", {"email": "News@Templates.example"},
                           token=tenant.admin_token)
    assert reply.status == 201, reply.json
    assert reply.json["email"] == "news@templates.example"
    assert reply.json["status"] == "verified"  # moto verifies at once; SES mails a link
    assert "news@templates.example" in session.client("ses").list_identities()["Identities"]
    again = marketing.post("/sender-identities", {"email": "news@templates.example"},
                           token=tenant.admin_token)
    assert again.status == 409 and again.json["errors"][0]["field"] == "email"
    bad = marketing.post("/sender-identities", {"email": "not an address"},
                         token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "email"
    marketer = tenants.user(tenant, "marketer")
    assert marketing.post("/sender-identities", {"email": "m@templates.example"},
                          token=marketer).status == 403


def test_roles_and_tenants(marketing: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    viewer = tenants.user(tenant, "viewer")
    assert marketing.post("/templates", NEWS, token=viewer).status == 403
    made = marketing.post("/templates", NEWS, token=tenants.user(tenant, "marketer"))
    assert made.status == 201
    tid = made.json["template_id"]
    assert marketing.get(f"/templates/{tid}", token=viewer).status == 200
    other = tenants.create("Other templates")
    assert marketing.get(f"/templates/{tid}", token=other.admin_token).status == 404
    assert marketing.post(f"/templates/{tid}/preview", {},
                          token=other.admin_token).status == 404
