"""Makers for the knowledge base's and returns' path parameters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.client import ApiClient, Tenant, Tenants

if TYPE_CHECKING:  # entities imports this module to collect MAKERS
    from tests.support.entities import Maker


def _article(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A published article (so its version 1 and its public page exist)."""
    service = clients["service"]
    made = service.post("/kb/articles", {"title": "Isolation guide", "body": "Keep apart."},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    article_id = str(made.json["article_id"])
    published = service.post(f"/kb/articles/{article_id}/publish", token=tenant.admin_token)
    assert published.status == 200, published.json
    return article_id


def _number(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """Version 1 (every maker-made article is published once), zero-padded as the API
    allows: the lists check looks for each made value in other responses, and a bare "1"
    is in all of them."""
    return "000001"


def _category(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    made = clients["service"].post("/kb/categories", {"name": "Isolation"},
                                   token=tenant.admin_token)
    assert made.status == 201, made.json
    return str(made.json["category_id"])


def _site_key(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    made = clients["service"].post("/kb/settings/site-key", token=tenant.admin_token)
    assert made.status == 201, made.json
    return str(made.json["site_key"])


def _return(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    service = clients["service"]
    ticket = service.post("/tickets", {"subject": "Isolation return", "type": "return"},
                          token=tenant.admin_token)
    assert ticket.status == 201, ticket.json
    made = service.post("/returns", {
        "ticket_id": ticket.json["ticket_id"], "external_order_ref": "ISO-1",
        "lines": [{"sku": "ISO", "quantity": 1, "reason": "other"}]}, token=tenant.admin_token)
    assert made.status == 201, made.json
    return str(made.json["return_id"])


MAKERS: dict[str, Maker] = {
    "article_id": _article,
    "number": _number,
    "category_id": _category,
    "site_key": _site_key,
    "return_id": _return,
}
