"""Shared steps of the marketing tests: contacts made through the contacts service's API
and carried to marketing's read model by the real bus (settle)."""

from __future__ import annotations

from typing import Any

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle


def contact(contacts: ApiClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    body = {"first_name": "Ada", "last_name": unique("L"),
            "emails": [{"address": f"{unique('p')}@example.com"}], **fields}
    reply = contacts.post("/contacts", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def consent(contacts: ApiClient, tenant: Tenant, contact_id: str, channel: str = "email",
            status: str = "granted") -> None:
    body: dict[str, Any] = {"status": status}
    if status == "granted":
        body["legal_basis"] = "consent"
    reply = contacts.request("PUT", f"/contacts/{contact_id}/consents/{channel}", body,
                             token=tenant.admin_token)
    assert reply.status in (200, 201), reply.json


def dynamic(marketing: ApiClient, tenant: Tenant, filters: list[dict[str, Any]],
            runtimes: dict[str, Any], name: str = "Seg") -> dict[str, Any]:
    reply = marketing.post("/segments", {"name": unique(name), "filter": {
        "filter_groups": [{"filters": filters}]}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    settle(runtimes)
    got = marketing.get(f"/segments/{reply.json['segment_id']}", token=tenant.admin_token)
    return dict(got.json)


def member_ids(marketing: ApiClient, tenant: Tenant, segment_id: str) -> set[str]:
    found: set[str] = set()
    cursor = None
    while True:
        path = f"/segments/{segment_id}/members?limit=100" + (f"&cursor={cursor}" if cursor
                                                               else "")
        reply = marketing.get(path, token=tenant.admin_token)
        assert reply.status == 200, reply.json
        found |= {m["contact_id"] for m in reply.json["items"]}
        cursor = reply.json["next_cursor"]
        if not cursor:
            return found


def ses_sent() -> list[Any]:
    """Every raw email moto's SES accepted in this test module (moto keeps them)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)


def sent_to(address: str) -> list[Any]:
    return [m for m in ses_sent() if any(address in d for d in m.destinations)]


def sms_sent() -> dict[str, tuple[str, str]]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    return dict(sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages)


def sending_tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient,
                   name: str) -> Tenant:
    """A new tenant, settled, with a sender identity: what every sending test starts from."""
    made = tenants.create(name)
    settle(runtimes)
    sender(marketing, made)
    return made


def sender(marketing: ApiClient, tenant: Tenant) -> str:
    reply = marketing.post("/sender-identities", {"email": f"{unique('news')}@brand.example",
                                                  "name": "Brand News"},
                           token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["identity_id"])


NEWSLETTER = {"name": "Launch news", "channel": "email", "subject": "Hi {{ contact.first_name }}",
              "html": '<p>Hello {{ contact.first_name }}, see <a href="https://brand.example/'
                      'offer?a=1&b=2">the offer</a> and <a href="https://brand.example/blog">'
                      'the blog</a>.</p><p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
              "text": "Hello {{ contact.first_name }}"}


def template(marketing: ApiClient, tenant: Tenant, body: dict[str, Any] | None = None) -> str:
    reply = marketing.post("/templates", body or NEWSLETTER, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["template_id"])


def static_list(marketing: ApiClient, tenant: Tenant, contact_ids: list[str]) -> str:
    made = marketing.post("/segments", {"name": unique("List "), "kind": "static"},
                          token=tenant.admin_token)
    assert made.status == 201, made.json
    for start in range(0, len(contact_ids), 100):
        added = marketing.post(f"/segments/{made.json['segment_id']}/members",
                               {"contact_ids": contact_ids[start:start + 100]},
                               token=tenant.admin_token)
        assert added.status == 200, added.json
    return str(made.json["segment_id"])


def campaign(marketing: ApiClient, tenant: Tenant, segment_ids: list[str], template_id: str,
             **fields: Any) -> dict[str, Any]:
    body = {"name": unique("Campaign "), "channel": "email", "segment_ids": segment_ids,
            "template_id": template_id, **fields}
    reply = marketing.post("/campaigns", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return dict(reply.json)


def module(name: str) -> Any:
    """A module of the marketing app, kept in its loaded set (services load lazily: a module
    imported here must be the one the app's next call uses, for monkeypatching)."""
    import importlib

    from tests.support import services

    services.load_app("marketing")
    found = importlib.import_module(name)
    services._loaded["marketing"].update(
        {n: m for n, m in __import__("sys").modules.items() if services._own(n)})
    return found


def written_key(item: dict[str, Any]) -> tuple[str, str]:
    """The (PK, SK) one item of a TransactWriteItems request writes or checks."""
    for kind in ("Put", "Update", "Delete", "ConditionCheck"):
        if kind in item:
            key = item[kind].get("Item") or item[kind]["Key"]
            return key["PK"]["S"], key["SK"]["S"]
    raise AssertionError(item)


def launch_to(marketing: ApiClient, contacts: ApiClient, tenant: Tenant,
              runtimes: dict[str, Any], count: int, denied: tuple[int, ...] = (),
              planned: bool = True) -> tuple[list[str], str]:
    """A campaign to `count` new people in one list (those at `denied` refused consent:
    skipped), launched, and planned unless not `planned`; their addresses and its id."""
    people = [contact(contacts, tenant) for _ in range(count)]
    for index in denied:
        consent(contacts, tenant, people[index]["contact_id"], status="denied")
    settle(runtimes)
    made = campaign(marketing, tenant, [static_list(marketing, tenant,
                                                    [p["contact_id"] for p in people])],
                    template(marketing, tenant))
    assert marketing.post(f"/campaigns/{made['campaign_id']}/launch",
                          token=tenant.admin_token).status == 202
    if planned:
        settle(runtimes)
    return [p["emails"][0]["address"] for p in people], made["campaign_id"]
