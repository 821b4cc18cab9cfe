"""The only code that knows send record keys.

- a campaign's recipient: `T#<t>#CAMPAIGN_SENDS#<campaign_id>` / `<contact_id>`;
- a transactional message: `T#<t>#MESSAGE#<sha256(idempotency key)>` / `MESSAGE`;
- both on GSI2 `T#<t>#REFS#<contact_id>` / `SEND#...` when they name a contact;
- the provider's id: `T#_system#PROVIDER_MESSAGE#<id>` / `REF`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from chalicelib import SERVICE
from chalicelib.audience.repository import refs_pk
from chalicelib.delivery.models import ProviderRefItem, SendItem
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.unit_of_work import UnitOfWork

MESSAGE = "MESSAGE"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def campaign_keys(tenant_id: str, campaign_id: str, contact_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CAMPAIGN_SENDS", campaign_id), contact_id


def message_keys(tenant_id: str, idempotency_key: str) -> tuple[str, str]:
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return tenant_key(tenant_id, "MESSAGE", digest), MESSAGE


def new_send(pk: str, sk: str, tenant_id: str, **fields: Any) -> SendItem:
    item = SendItem(PK=pk, SK=sk, tenant_id=tenant_id, **fields)
    if item.contact_id:
        item.GSI2PK = refs_pk(tenant_id, item.contact_id)
        item.GSI2SK = f"SEND#{pk.split('#', 2)[2]}#{sk}"
    return item


def get(pk: str, sk: str) -> SendItem | None:
    try:
        return SendItem.get(pk, sk, consistent_read=True)
    except SendItem.DoesNotExist:
        return None


def get_many(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], SendItem]:
    wanted = list(dict.fromkeys(keys))
    found: dict[tuple[str, str], SendItem] = {}
    for start in range(0, len(wanted), 100):
        for item in SendItem.batch_get(wanted[start:start + 100], consistent_read=True):
            found[(item.PK, item.SK)] = item
    return found


def sends_of(tenant_id: str, contact_id: str) -> list[SendItem]:
    return list(SendItem.gsi2.query(refs_pk(tenant_id, contact_id),
                                    SendItem.GSI2SK.startswith("SEND#")))


def provider_ref(provider_message_id: str, send: SendItem) -> ProviderRefItem:
    return ProviderRefItem(PK=tenant_key(SYSTEM_TENANT, "PROVIDER_MESSAGE", provider_message_id),
                           SK="REF", tenant_id=send.tenant_id, send_pk=send.PK,
                           send_sk=send.SK)


def find_by_provider_id(provider_message_id: str) -> SendItem | None:
    try:
        ref = ProviderRefItem.get(tenant_key(SYSTEM_TENANT, "PROVIDER_MESSAGE",
                                             provider_message_id), "REF")
    except ProviderRefItem.DoesNotExist:
        return None
    return get(ref.send_pk, ref.send_sk)


def forget_sends(tenant_id: str, contact_id: str) -> int:
    """Delete a person's send records (erasure): idempotent BatchWriteItem."""
    items = sends_of(tenant_id, contact_id)
    with SendItem.batch_write() as batch:
        for item in items:
            batch.delete(item)
    with ProviderRefItem.batch_write() as batch:
        for item in items:
            if item.provider_message_id:
                batch.delete(ProviderRefItem(PK=tenant_key(
                    SYSTEM_TENANT, "PROVIDER_MESSAGE", item.provider_message_id), SK="REF"))
    return len(items)
