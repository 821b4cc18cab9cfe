"""The only code that knows lead keys.

- the record: `T#<t>#LEAD#<lea>` / `LEAD`, listed newest first on GSI1 (`T#<t>#LEADS`),
  GSI2 by owner (`..#OWNER#<usr>`), GSI3 by status, GSI4 by source (lowercase) and GSI5 by
  the contact it became (`..#CONTACT#<con>`, so erasure and merge find it by a Query);
- the email claim of an open lead: `T#<t>#LEAD_EMAIL#<email>` / `CLAIM`.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.chunks import every_page
from chalicelib.leads.models import LeadClaimItem, LeadItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD, CLAIM = "LEAD", "CLAIM"
CONTACT_PAGE = 100  # leads read per Query of the by-contact index (merges, erasure)
LIST_INDEXES = {  # list filter -> (index number, key part)
    "owner_id": (2, "OWNER"),
    "status": (3, "STATUS"),
    "source": (4, "SOURCE"),
    "contact_id": (5, "CONTACT"),
}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def lead_pk(tenant_id: str, lead_id: str) -> str:
    return tenant_key(tenant_id, "LEAD", lead_id)


def claim_pk(tenant_id: str, email: str) -> str:
    return tenant_key(tenant_id, "LEAD_EMAIL", email)


def _list_pk(tenant_id: str, field: str | None = None, value: str | None = None) -> str:
    if field is None or value is None:
        return tenant_key(tenant_id, "LEADS")
    key = value.lower() if field == "source" else value
    return tenant_key(tenant_id, "LEADS", LIST_INDEXES[field][1], key)


def index_record(item: LeadItem) -> None:
    sort = f"{item.created_at}#{item.lead_id}"
    item.GSI1PK, item.GSI1SK = _list_pk(item.tenant_id), sort
    for field, (number, _) in LIST_INDEXES.items():
        value = item.doc.get(field)
        setattr(item, f"GSI{number}PK", _list_pk(item.tenant_id, field, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def new_record(tenant_id: str, lead_id: str, doc: dict[str, Any], now: str) -> LeadItem:
    item = LeadItem(PK=lead_pk(tenant_id, lead_id), SK=RECORD, lead_id=lead_id,
                    tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)
    index_record(item)
    return item


def get(tenant_id: str, lead_id: str, consistent: bool = False) -> LeadItem | None:
    try:
        return LeadItem.get(lead_pk(tenant_id, lead_id), RECORD, consistent_read=consistent)
    except LeadItem.DoesNotExist:
        return None


def claimant(tenant_id: str, email: str) -> str | None:
    """The open lead holding this email, if any: one GetItem."""
    try:
        return str(LeadClaimItem.get(claim_pk(tenant_id, email), CLAIM,
                                     consistent_read=True).lead_id)
    except LeadClaimItem.DoesNotExist:
        return None


def claim(uow: UnitOfWork, tenant_id: str, email: str, lead_id: str) -> None:
    uow.put(LeadClaimItem(PK=claim_pk(tenant_id, email), SK=CLAIM, lead_id=lead_id),
            condition=LeadClaimItem.PK.does_not_exist(), label="email")


def release(uow: UnitOfWork, tenant_id: str, email: str, lead_id: str) -> None:
    """Free the email if this lead holds it (a flagged duplicate never does)."""
    uow.delete(LeadClaimItem(PK=claim_pk(tenant_id, email), SK=CLAIM),
               condition=LeadClaimItem.lead_id == lead_id, label="email_release")


def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None) -> tuple[list[LeadItem], str | None]:
    """A page of leads, newest first, on the index for `field` (or all of them)."""
    number = 1 if field is None else LIST_INDEXES[field][0]
    index = getattr(LeadItem, f"gsi{number}")
    pk = _list_pk(tenant_id, field, value)
    scope = f"{pk}:leads"
    return query_page(lambda **kw: index.query(pk, scan_index_forward=False, **kw), scope,
                      cursor, limit)


def by_contact(tenant_id: str, contact_id: str) -> list[LeadItem]:
    """Every lead converted into (or linked to) a contact: GSI5, a Query per CONTACT_PAGE."""
    return every_page(lambda cursor: list_records(tenant_id, CONTACT_PAGE, cursor,
                                                  "contact_id", contact_id))
