"""GDPR erasure reaches every service: after ContactErased has propagated, a full read of
every table (a Scan: tests only) finds none of the person's name, email, phone or words.

The person enters as a web lead, is converted (the contacts service creates the contact
under the id sales chose), then gets a deal, a contract, a task naming them in its title and notes,
an order, a shop cart left with their email, a ticket with a comment, a note on the timeline
and a place in marketing's read model: every service holds something of them. Sales'
contracts and tasks must not even keep the erased contact's id.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

NAME = ("Zephyrine", "Quillfeather")
PHONE_DIGITS = "2079460999"  # +44 20 7946 0999: Ofcom's range for drama, never a real line
SECRET_WORDS = "marmalade-telescope"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def ok(reply: Any, status: int = 201) -> Any:
    assert reply.status == status, reply.json
    return reply.json


def traces(tables: list[str], needles: list[str]) -> dict[str, list[str]]:
    """Every item, in every table, that still holds one of `needles` (case-insensitive)."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    found: dict[str, list[str]] = {}
    for table in tables:
        for page in dynamodb.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item).lower()
                hits = [n for n in needles if n.lower() in text]
                if hits:
                    found.setdefault(table, []).append(
                        f"{item['PK']['S']} {item['SK']['S']}: {hits}")
    return found


def signed(secret: str, raw: bytes) -> str:
    load_app("sales")
    from chalicelib.intake.domain import sign

    return sign(secret, raw)


def test_an_erased_person_leaves_no_trace_in_any_service(
        clients: dict[str, ApiClient], tenant: Tenant, runtimes: dict[str, Any],
        aws: dict[str, Any]) -> None:
    sales, contacts, service = clients["sales"], clients["contacts"], clients["service"]
    token = tenant.admin_token
    email = f"{unique('zephyrine')}@privacy-test.example"
    lead = ok(sales.post("/leads", {
        "name": " ".join(NAME), "email": email, "phone": f"+44 {PHONE_DIGITS}",
        "company_name": unique("Quill Works "), "notes": f"likes {SECRET_WORDS}"},
        token=token))
    converted = ok(sales.post(f"/leads/{lead['lead_id']}/convert", {}, token=token), 200)
    contact_id = converted["contact_id"]
    settle(runtimes)
    assert ok(contacts.get(f"/contacts/{contact_id}", token=token), 200)["emails"]

    ok(contacts.post("/interactions", {
        "kind": "note", "subject": "call", "body": f"{NAME[0]} mentioned {SECRET_WORDS}",
        "participants": [{"contact_id": contact_id}]}, token=token))
    ok(sales.post("/opportunities", {"name": "Renewal 2027", "contact_ids": [contact_id],
                                     "amount": {"amount": 5000, "currency": "USD"}},
                  token=token))
    ok(sales.post("/contracts", {
        "name": "Support 2027", "company_id": new_id("cmp"), "start_date": "2027-01-01",
        "end_date": "2027-12-31", "value": {"amount": 5000, "currency": "USD"},
        "contact_ids": [contact_id]}, token=token))
    ok(sales.post("/tasks", {"title": f"Call {' '.join(NAME)} back",
                             "notes": f"ask {' '.join(NAME)} about it",
                             "links": {"contact_id": contact_id}}, token=token))
    ok(sales.post("/orders", {
        "source": "manual", "external_id": unique("ord-"), "contact_id": contact_id,
        "lines": [{"sku": "SKU-1", "quantity": 1,
                   "unit_price": {"amount": 1000, "currency": "USD"}}],
        "totals": {"amount": 1000, "currency": "USD"},
        "shipping": {"name": " ".join(NAME), "email": email}}, token=token))
    shop = ok(sales.post("/orders/connectors", {"name": "Webshop"}, token=token))
    cart = json.dumps({"type": "cart", "id": unique("cart-"), "currency": "USD",
                       "total": "10.00", "email": email.upper(), "line_items": [
                           {"sku": "SKU-1", "quantity": 1, "price": "10.00"}]}).encode()
    ok(sales.post(shop["ingest_path"], raw=cart, headers={"X-Signature": signed(
        shop["secret"], cart)}), 200)
    ticket = ok(service.post("/tickets", {
        "subject": f"{NAME[0]} cannot log in", "description": f"says {SECRET_WORDS}",
        "channel": "email", "type": "question", "contact_id": contact_id}, token=token))
    ok(service.post(f"/tickets/{ticket['ticket_id']}/comments", {
        "body": f"{NAME[1]} wrote back about {SECRET_WORDS}", "public": True,
        "author_contact_id": contact_id}, token=token))
    settle(runtimes)

    tables = [resources["table_name"] for resources in aws["services"].values()]
    needles = [email, NAME[1], PHONE_DIGITS, SECRET_WORDS]
    assert traces(tables, needles), "the person's data never reached the tables"

    sales_table = aws["services"]["sales"]["table_name"]
    linked = ["#CONTRACT", "#TASK"]  # records and link entries, not e.g. the cart tombstone
    assert len([t for t in traces([sales_table], [contact_id]).get(sales_table, [])
                if any(kind in t for kind in linked)]) == 3, "a contract, its link, a task"

    ok(contacts.post(f"/contacts/{contact_id}/erase", {}, token=token), 200)
    settle(runtimes)
    assert traces(tables, needles) == {}
    assert [t for t in traces([sales_table], [contact_id]).get(sales_table, [])
            if any(kind in t for kind in linked)] == []
