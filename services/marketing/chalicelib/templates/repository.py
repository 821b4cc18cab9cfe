"""The only code that knows template and sender keys.

- a template `T#<t>#TEMPLATE#<id>` / `TEMPLATE`, listed on GSI1 `T#<t>#TEMPLATES`;
- a sender identity `T#<t>#SENDER#<id>` / `SENDER`, listed on GSI1 `T#<t>#SENDERS`, its
  address claimed by `T#<t>#SENDER_EMAIL#<email>` / `CLAIM`.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.templates.models import SenderClaimItem, SenderIdentityItem, TemplateItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

MAX_SENDERS = 50


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def template_pk(tenant_id: str, template_id: str) -> str:
    return tenant_key(tenant_id, "TEMPLATE", template_id)


def new_template(tenant_id: str, template_id: str, **fields: Any) -> TemplateItem:
    item = TemplateItem(PK=template_pk(tenant_id, template_id), SK="TEMPLATE",
                        template_id=template_id, tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "TEMPLATES")
    item.GSI1SK = f"{item.created_at}#{template_id}"
    return item


def get_template(tenant_id: str, template_id: str) -> TemplateItem | None:
    try:
        return TemplateItem.get(template_pk(tenant_id, template_id), "TEMPLATE",
                                consistent_read=True)
    except TemplateItem.DoesNotExist:
        return None


def templates_page(tenant_id: str, limit: int, cursor: str | None
                   ) -> tuple[list[TemplateItem], str | None]:
    return query_page(lambda **kw: TemplateItem.gsi1.query(
        tenant_key(tenant_id, "TEMPLATES"), scan_index_forward=False, **kw),
        f"{tenant_id}:templates", cursor, limit)


def new_sender(tenant_id: str, identity_id: str, **fields: Any) -> SenderIdentityItem:
    item = SenderIdentityItem(PK=tenant_key(tenant_id, "SENDER", identity_id), SK="SENDER",
                              identity_id=identity_id, tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "SENDERS")
    item.GSI1SK = f"{item.created_at}#{identity_id}"
    return item


def sender_claim(tenant_id: str, email: str, identity_id: str) -> SenderClaimItem:
    return SenderClaimItem(PK=tenant_key(tenant_id, "SENDER_EMAIL", email), SK="CLAIM",
                           identity_id=identity_id)


def get_sender(tenant_id: str, identity_id: str) -> SenderIdentityItem | None:
    try:
        return SenderIdentityItem.get(tenant_key(tenant_id, "SENDER", identity_id), "SENDER",
                                      consistent_read=True)
    except SenderIdentityItem.DoesNotExist:
        return None


def senders(tenant_id: str) -> list[SenderIdentityItem]:
    """Every sender identity of the tenant (a handful): one Query."""
    return list(SenderIdentityItem.gsi1.query(tenant_key(tenant_id, "SENDERS"),
                                              limit=MAX_SENDERS, page_size=MAX_SENDERS))
