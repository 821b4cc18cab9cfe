"""The only code that knows return keys.

- the record `T#<t>#RETURN#<ret>` / `RETURN`, listed newest first on GSI1 `T#<t>#RETURNS`,
  GSI2 by status `..#STATUS#<s>`, GSI3 by ticket `..#TICKET#<tkt>`, GSI4 by contact
  `..#CONTACT#<con>` (erasure and merge find a person's returns by it).
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.returns.models import ReturnItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD = "RETURN"
LISTS = {"status": (2, "STATUS"), "ticket_id": (3, "TICKET"), "contact_id": (4, "CONTACT")}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def return_pk(tenant_id: str, return_id: str) -> str:
    return tenant_key(tenant_id, "RETURN", return_id)


def new_record(tenant_id: str, return_id: str, doc: dict[str, object], now: str) -> ReturnItem:
    return ReturnItem(PK=return_pk(tenant_id, return_id), SK=RECORD, return_id=return_id,
                      tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)


def index(item: ReturnItem) -> None:
    """Set the list keys from the document (a cleared value leaves its list)."""
    sort = f"{item.created_at}#{item.return_id}"
    item.GSI1PK, item.GSI1SK = tenant_key(item.tenant_id, "RETURNS"), sort
    for field, (number, part) in LISTS.items():
        value = item.doc.get(field)
        setattr(item, f"GSI{number}PK",
                tenant_key(item.tenant_id, "RETURNS", part, str(value)) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def get(tenant_id: str, return_id: str, consistent: bool = False) -> ReturnItem | None:
    try:
        return ReturnItem.get(return_pk(tenant_id, return_id), RECORD,
                              consistent_read=consistent)
    except ReturnItem.DoesNotExist:
        return None


def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None) -> tuple[list[ReturnItem], str | None]:
    if field is None or value is None:
        number, pk = 1, tenant_key(tenant_id, "RETURNS")
    else:
        number, part = LISTS[field]
        pk = tenant_key(tenant_id, "RETURNS", part, value)
    idx = getattr(ReturnItem, f"gsi{number}")
    return query_page(lambda **kw: idx.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:returns", cursor, limit)


def by_contact(tenant_id: str, contact_id: str, limit: int = 25) -> list[ReturnItem]:
    items, _ = list_records(tenant_id, limit, None, "contact_id", contact_id)
    return items
