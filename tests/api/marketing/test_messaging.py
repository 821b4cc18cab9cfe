"""Transactional messages other services queue through crm_shared.messaging: exactly once
per idempotency key, bounces and complaints honoured, marketing opt-outs not."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from crm_shared.messaging import MessageCommand, send_message_command
from tests.api.marketing.helpers import contact, sending_tenant, sent_to, sms_sent
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Messages Co")


def welcome_id(marketing: ApiClient, tenant: Tenant) -> str:
    items = marketing.get("/templates", token=tenant.admin_token).json["items"]
    return str(next(t["template_id"] for t in items if t["name"] == "Welcome"))


def test_a_command_is_sent_once_per_idempotency_key(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, session: Any,
        runtimes: dict[str, Any]) -> None:
    person = contact(contacts, tenant, first_name="Grace")
    settle(runtimes)
    command = MessageCommand(tenant_id=tenant.tenant_id, idempotency_key="order-1-receipt",
                             channel="email", to_contact_id=person["contact_id"],
                             template_id=welcome_id(marketing, tenant), requested_by="sales")
    for _ in range(3):
        send_message_command(command, session.client("sqs"))
    settle(runtimes)
    [raw] = sent_to(person["emails"][0]["address"])
    assert "Subject: Welcome, Grace" in raw.raw_data
    assert "List-Unsubscribe" not in raw.raw_data  # transactional: no opt-out headers


def test_inline_bodies_variables_and_sms(marketing: ApiClient, tenant: Tenant,
                                         session: Any, runtimes: dict[str, Any]) -> None:
    send_message_command(MessageCommand(
        tenant_id=tenant.tenant_id, idempotency_key="reset-1", channel="email",
        to_address="Reset@Example.org", subject="Your code",
        text="Code {{ variables.code }}", variables={"code": "4711"}), session.client("sqs"))
    send_message_command(MessageCommand(
        tenant_id=tenant.tenant_id, idempotency_key="sms-1", channel="sms",
        to_address="+14155550199", text="Code {{ variables.code }}",
        variables={"code": "0815"}), session.client("sqs"))
    settle(runtimes)
    [raw] = sent_to("reset@example.org")
    assert "Code 4711" in raw.raw_data
    assert ("+14155550199", "Code 0815") in sms_sent().values()


def test_opt_outs_do_not_stop_it_but_bounces_do(marketing: ApiClient, tenant: Tenant,
                                                 session: Any,
                                                 runtimes: dict[str, Any]) -> None:
    for address, reason in (("optout@example.org", "unsubscribe"),
                            ("bounced@example.org", "hard_bounce"),
                            ("angry@example.org", "complaint")):
        assert marketing.post("/suppressions", {"address": address, "reason": reason},
                              token=tenant.admin_token).status == 201
        send_message_command(MessageCommand(
            tenant_id=tenant.tenant_id, idempotency_key=f"notice-{address}", channel="email",
            to_address=address, subject="Notice", text="Your invoice"), session.client("sqs"))
    settle(runtimes)
    assert len(sent_to("optout@example.org")) == 1
    assert not sent_to("bounced@example.org") and not sent_to("angry@example.org")


def test_commands_are_validated(session: Any) -> None:
    with pytest.raises(ValidationError):
        MessageCommand(tenant_id="ten_x", idempotency_key="k", channel="email",
                       to_address="a@b.example", to_contact_id="con_01JZZZZZZZZZZZZZZZZZZZZZZZ",
                       subject="s", text="t")
    with pytest.raises(ValidationError):
        MessageCommand(tenant_id="ten_x", idempotency_key="k", channel="sms",
                       to_address="+14155550100", subject="no", text="t")
    with pytest.raises(ValidationError):
        MessageCommand(tenant_id="ten_x", idempotency_key="k", channel="email",
                       to_address="a@b.example", template_id="tpl_x", text="both")


def test_unknown_contacts_templates_and_addresses_send_nothing(
        marketing: ApiClient, tenant: Tenant, session: Any, runtimes: dict[str, Any]) -> None:
    before = len(sent_to("@"))
    for key, fields in (
            ("u1", {"to_contact_id": "con_01JZZZZZZZZZZZZZZZZZZZZZZZ", "subject": "s",
                    "text": "t"}),
            ("u2", {"to_address": "x@example.org", "template_id": "tpl_01JZZZZZZZZZZZZZZZZZZZZ"
                                                                  "ZZZ"}),
            ("u3", {"to_address": "not-an-address", "subject": "s", "text": "t"}),
            ("u4", {"to_address": "y@example.org", "subject": "{{ ''.__class__ }}",
                    "text": "t"})):
        send_message_command(MessageCommand(tenant_id=tenant.tenant_id, idempotency_key=key,
                                            channel="email", **fields), session.client("sqs"))
    settle(runtimes)
    assert len(sent_to("@")) == before
