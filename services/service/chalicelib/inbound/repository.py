"""The only code that knows inbound keys.

- a message `T#<t>#INBOUND#<sha(Message-ID)>` / `MESSAGE`; GSI1 `T#<t>#INBOUND#FROM#<sha(from)>`
  by time (erasure finds a person's messages by address);
- the quarantine `T#<t>#QUARANTINE` / `<received at>#<sha(object key)>` (newest first),
  GSI1 `T#<t>#QUARANTINE#FROM#<sha(from)>`; mail of no tenant goes under `_system`;
- an address `T#<t>#SENDER#<sha(email)>` / `SENDER`; a contact's addresses
  `T#<t>#CONTACTREF#<con>` / `EMAILS`.

S3 keys of a tenant's mail all start with its id: `<t>/raw/...`, `<t>/attachments/...`,
`<t>/quarantine/...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib import SERVICE
from chalicelib.inbound.mime import digest
from chalicelib.inbound.models import ContactEmailsItem, InboundItem, QuarantineItem, SenderItem
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

MESSAGE, SENDER, EMAILS = "MESSAGE", "SENDER", "EMAILS"
CLAIM = "inbound_claim"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


# -- S3 keys ---------------------------------------------------------------------------

def raw_key(tenant_id: str, message_id: str) -> str:
    return f"{tenant_id}/raw/{digest(message_id)}.eml"


def attachment_key(tenant_id: str, message_id: str, number: int, filename: str) -> str:
    return f"{tenant_id}/attachments/{digest(message_id)}/{number}-{filename}"


def quarantine_key(tenant_id: str | None, object_key: str) -> str:
    return f"{tenant_id or SYSTEM_TENANT}/quarantine/{digest(object_key)}.eml"


# -- messages --------------------------------------------------------------------------

def message(tenant_id: str, message_id: str) -> InboundItem | None:
    try:
        return InboundItem.get(tenant_key(tenant_id, "INBOUND", digest(message_id)), MESSAGE)
    except InboundItem.DoesNotExist:
        return None


def stage_claim(uow: UnitOfWork, tenant_id: str, message_id: str, **fields: Any) -> InboundItem:
    """The message's record, written once: a redelivery's transaction fails on it."""
    item = InboundItem(PK=tenant_key(tenant_id, "INBOUND", digest(message_id)), SK=MESSAGE,
                       tenant_id=tenant_id, message_id=message_id, **fields)
    if item.sender:
        item.GSI1PK = tenant_key(tenant_id, "INBOUND", "FROM", digest(item.sender))
        item.GSI1SK = f"{item.received_at}#{digest(message_id)}"
    uow.put(item, InboundItem.PK.does_not_exist(), label=CLAIM)
    return item


def messages_from(tenant_id: str, email: str) -> Iterator[InboundItem]:
    return InboundItem.gsi1.query(tenant_key(tenant_id, "INBOUND", "FROM", digest(email)))


def forget_sender(item: InboundItem) -> None:
    """Keep the claim (exactly once), drop who sent it and where its bytes were."""
    item.update(actions=[InboundItem.sender.remove(), InboundItem.raw_key.remove(),
                         InboundItem.attachment_keys.set([]), InboundItem.GSI1PK.remove(),
                         InboundItem.GSI1SK.remove()])


# -- quarantine ------------------------------------------------------------------------

def new_quarantine(tenant_id: str | None, object_key: str, received_at: str,
                   **fields: Any) -> QuarantineItem:
    owner = tenant_id or SYSTEM_TENANT
    item = QuarantineItem(PK=tenant_key(owner, "QUARANTINE"),
                          SK=f"{received_at}#{digest(object_key)}",
                          quarantine_id="qua_" + digest(object_key)[:26].upper(),
                          tenant_id=owner, received_at=received_at, **fields)
    if item.sender:
        item.GSI1PK = tenant_key(owner, "QUARANTINE", "FROM", digest(item.sender))
        item.GSI1SK = item.SK
    return item


def stage_quarantine(uow: UnitOfWork, item: QuarantineItem) -> None:
    uow.put(item, QuarantineItem.PK.does_not_exist(), label=CLAIM)


def quarantine_page(tenant_id: str, limit: int,
                    cursor: str | None) -> tuple[list[QuarantineItem], str | None]:
    pk = tenant_key(tenant_id, "QUARANTINE")
    return query_page(lambda **kw: QuarantineItem.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:quarantine", cursor, limit)


def quarantined_from(tenant_id: str, email: str) -> Iterator[QuarantineItem]:
    return QuarantineItem.gsi1.query(tenant_key(tenant_id, "QUARANTINE", "FROM", digest(email)))


# -- the contacts' addresses -----------------------------------------------------------

def sender_pk(tenant_id: str, email: str) -> str:
    return tenant_key(tenant_id, "SENDER", digest(email.lower()))


def sender(tenant_id: str, email: str, consistent: bool = False) -> SenderItem | None:
    try:
        return SenderItem.get(sender_pk(tenant_id, email), SENDER, consistent_read=consistent)
    except SenderItem.DoesNotExist:
        return None


def new_sender(tenant_id: str, email: str) -> SenderItem:
    return SenderItem(PK=sender_pk(tenant_id, email), SK=SENDER, tenant_id=tenant_id,
                      email=email.lower())


def stage_sender(uow: UnitOfWork, item: SenderItem) -> None:
    uow.put(item, label="version_sender")


def contact_emails(tenant_id: str, contact_id: str) -> ContactEmailsItem:
    pk = tenant_key(tenant_id, "CONTACTREF", contact_id)
    try:
        return ContactEmailsItem.get(pk, EMAILS, consistent_read=True)
    except ContactEmailsItem.DoesNotExist:
        return ContactEmailsItem(PK=pk, SK=EMAILS, tenant_id=tenant_id, contact_id=contact_id,
                                 emails=[])
