"""The only place that knows approval keys.

- the request: `T#<t>#APPROVAL#<id>` / `APPROVAL`, listed by `<created_at>#<id>` on
  GSI1 per approver and status (`T#<t>#APPROVALS#APPROVER#<usr or ADMINS>#<status>`),
  GSI2 per status (`..#STATUS#<status>`) and GSI3 per subject (`..#SUBJECT#<type>#<id>`);
- the tenant's policy: `T#<t>#APPROVAL_SETTINGS` / `SETTINGS`.
"""

from __future__ import annotations

import time

from chalicelib import SERVICE
from chalicelib.approvals.models import ApprovalItem, ApprovalSettingsItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

ADMINS = "ADMINS"
SETTINGS_CACHE_SECONDS = 30.0
_settings_cache: dict[str, tuple[float, ApprovalSettingsItem]] = {}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def approval_keys(tenant_id: str, approval_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "APPROVAL", approval_id), "APPROVAL"


def _list_pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "APPROVALS", *parts)


def index_approval(item: ApprovalItem) -> None:
    sort = f"{item.created_at}#{item.approval_id}"
    tenant_id = item.tenant_id
    item.GSI1PK = _list_pk(tenant_id, "APPROVER", item.approver_id or ADMINS, item.status)
    item.GSI2PK = _list_pk(tenant_id, "STATUS", item.status)
    item.GSI3PK = _list_pk(tenant_id, "SUBJECT", item.subject_type, item.subject_id)
    item.GSI1SK = item.GSI2SK = item.GSI3SK = sort


def new_approval(tenant_id: str, approval_id: str, **fields: object) -> ApprovalItem:
    pk, sk = approval_keys(tenant_id, approval_id)
    item = ApprovalItem(PK=pk, SK=sk, approval_id=approval_id, tenant_id=tenant_id, **fields)
    index_approval(item)
    return item


def get(tenant_id: str, approval_id: str) -> ApprovalItem | None:
    pk, sk = approval_keys(tenant_id, approval_id)
    try:
        return ApprovalItem.get(pk, sk)
    except ApprovalItem.DoesNotExist:
        return None


def list_for(tenant_id: str, status: str, limit: int, cursor: str | None,
             approver: str | None = None, everyone: bool = False,
             subject: tuple[str, str] | None = None) -> tuple[list[ApprovalItem], str | None]:
    """A page, newest first: one approver's (None: the admins'), everyone's, or a subject's."""
    if subject is not None:
        index, pk = ApprovalItem.gsi3, _list_pk(tenant_id, "SUBJECT", *subject)
    elif everyone:
        index, pk = ApprovalItem.gsi2, _list_pk(tenant_id, "STATUS", status)
    else:
        index, pk = ApprovalItem.gsi1, _list_pk(tenant_id, "APPROVER", approver or ADMINS,
                                                status)
    scope = f"{tenant_id}:approvals:{pk}"
    return query_page(lambda **kw: index.query(pk, scan_index_forward=False, **kw), scope,
                      cursor, limit)


def settings_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "APPROVAL_SETTINGS"), "SETTINGS"


def settings(tenant_id: str, fresh: bool = False) -> ApprovalSettingsItem:
    """The tenant's approval policy (defaults until an admin sets one), cached briefly:
    every deal write reads it."""
    cached = _settings_cache.get(tenant_id)
    if not fresh and cached and time.monotonic() - cached[0] < SETTINGS_CACHE_SECONDS:
        return cached[1]
    pk, sk = settings_keys(tenant_id)
    try:
        found = ApprovalSettingsItem.get(pk, sk, consistent_read=fresh)
    except ApprovalSettingsItem.DoesNotExist:
        found = ApprovalSettingsItem(PK=pk, SK=sk, tenant_id=tenant_id)
    _settings_cache[tenant_id] = (time.monotonic(), found)
    return found


def forget_settings(tenant_id: str) -> None:
    _settings_cache.pop(tenant_id, None)
