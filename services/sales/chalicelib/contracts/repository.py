"""The only code that knows contract keys.

- the record `T#<t>#CONTRACT#<ctr>` / `CONTRACT`, listed by end date on GSI1 by company
  (`T#<t>#CONTRACTS#COMPANY#<cmp>`), GSI2 by owner, GSI3 by status, GSI4 for all; on the
  sparse DUE index at its next notice or its end (job `contract_notices`);
- a link per contact `T#<t>#CONTRACTS#CONTACT#<con>` / `<ctr>`, written with the record;
- settings `T#<t>#CONTRACT_SETTINGS` / `SETTINGS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.contracts.models import ContractItem, ContractLinkItem, ContractSettingsItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork

JOB = "contract_notices"
LIST_INDEXES = {"company_id": (1, "COMPANY"), "owner_id": (2, "OWNER"),
                "status": (3, "STATUS")}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def _pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "CONTRACTS", *parts)


def new_record(tenant_id: str, contract_id: str, now: str) -> ContractItem:
    return ContractItem(PK=tenant_key(tenant_id, "CONTRACT", contract_id), SK="CONTRACT",
                        contract_id=contract_id, tenant_id=tenant_id, doc={}, created_at=now,
                        updated_at=now)


def index_record(item: ContractItem, due_at: datetime | None) -> None:
    doc, tenant_id = item.doc, item.tenant_id
    sort = f"{doc['end_date']}#{item.contract_id}"
    for field, (number, part) in LIST_INDEXES.items():
        value = doc.get(field)
        setattr(item, f"GSI{number}PK", _pk(tenant_id, part, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)
    item.GSI4PK, item.GSI4SK = _pk(tenant_id), sort
    due = due_fields(JOB, due_at, tenant_id, item.contract_id) if due_at else {}
    item.DUEPK, item.DUESK = due.get("DUEPK"), due.get("DUESK")


def link(tenant_id: str, contact_id: str, contract_id: str) -> ContractLinkItem:
    return ContractLinkItem(PK=_pk(tenant_id, "CONTACT", contact_id), SK=contract_id,
                            contract_id=contract_id, contact_id=contact_id)


def stage_links(uow: UnitOfWork, tenant_id: str, contract_id: str, before: list[str],
                after: list[str]) -> None:
    for contact_id in sorted(set(before) - set(after)):
        uow.delete(link(tenant_id, contact_id, contract_id))
    for contact_id in sorted(set(after) - set(before)):
        uow.put(link(tenant_id, contact_id, contract_id))


def get(tenant_id: str, contract_id: str, consistent: bool = False) -> ContractItem | None:
    try:
        return ContractItem.get(tenant_key(tenant_id, "CONTRACT", contract_id), "CONTRACT",
                                consistent_read=consistent)
    except ContractItem.DoesNotExist:
        return None


def list_records(tenant_id: str, field: str | None, value: str | None, limit: int,
                 cursor: str | None) -> tuple[list[ContractItem], str | None]:
    """Soonest end first on the index for `field` (or all contracts)."""
    if field is None:
        pk, index = _pk(tenant_id), ContractItem.gsi4
    else:
        number, part = LIST_INDEXES[field]
        pk, index = _pk(tenant_id, part, str(value)), getattr(ContractItem, f"gsi{number}")
    return query_page(lambda **kw: index.query(pk, **kw), f"{pk}:contracts", cursor, limit)


def contract_ids_of_contact(tenant_id: str, contact_id: str, limit: int,
                            cursor: str | None) -> tuple[list[str], str | None]:
    """A page of the contact's contract ids (its links, read consistently), and the cursor
    to the next."""
    pk = _pk(tenant_id, "CONTACT", contact_id)
    links, cursor = query_page(
        lambda **kw: ContractLinkItem.query(pk, consistent_read=True, **kw),
        f"{pk}:contract_links", cursor, limit)
    return [link.contract_id for link in links], cursor


def due(limit: int = 100) -> list[ContractItem]:
    return due_items(ContractItem, JOB, limit)


def settings(tenant_id: str) -> dict[str, Any]:
    try:
        return dict(ContractSettingsItem.get(tenant_key(tenant_id, "CONTRACT_SETTINGS"),
                                             "SETTINGS").settings)
    except ContractSettingsItem.DoesNotExist:
        return {}


def put_settings(tenant_id: str, values: dict[str, Any]) -> None:
    ContractSettingsItem(PK=tenant_key(tenant_id, "CONTRACT_SETTINGS"), SK="SETTINGS",
                         settings=values).save()
