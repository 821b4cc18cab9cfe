"""The only code that knows the company key shapes.

- the record: `T#<t>#COMPANY#<id>` / `COMPANY`, on five list indexes by `updated_at`:
  all (GSI1 `T#<t>#COMPANIES`, tombstones included, which the change feed reads), owner
  (GSI2 `..#OWNER#<usr>`), parent, i.e. children (GSI3 `..#PARENT#<cmp>`), industry (GSI4
  `..#INDUSTRY#<lowercase>`) and team (GSI5 `..#TEAM#<tea>`);
- the unique domain claim: `T#<t>#COMPANY_DOMAIN#<domain>` / `CLAIM`;
- shared entries: `T#<t>#COMPANY_TAG#<tag>` / `<id>` and `T#<t>#COMPANY_NAME` /
  `<lowercase name>#<id>`.
Claims and entries carry the record, so a lookup by any of them is a single Query.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.companies.domain import Entries
from chalicelib.companies.models import CompanyEntryItem, CompanyItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import change_page, query_page
from crm_shared.unit_of_work import UnitOfWork

CLAIM = "CLAIM"
TOMBSTONE_DAYS = 30
LIST_INDEXES = {  # list filter -> (index number, key part)
    "owner_id": (2, "OWNER"),
    "parent_id": (3, "PARENT"),
    "industry": (4, "INDUSTRY"),
    "team_id": (5, "TEAM"),
}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def company_keys(tenant_id: str, company_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "COMPANY", company_id), "COMPANY"


def domain_pk(tenant_id: str, domain: str) -> str:
    return tenant_key(tenant_id, "COMPANY_DOMAIN", domain)


def tag_pk(tenant_id: str, tag: str) -> str:
    return tenant_key(tenant_id, "COMPANY_TAG", tag)


def name_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "COMPANY_NAME")


def _key_value(field: str, value: str) -> str:
    return value.lower() if field == "industry" else value


def _list_pk(tenant_id: str, field: str | None = None, value: str | None = None) -> str:
    if field is None or value is None:
        return tenant_key(tenant_id, "COMPANIES")
    return tenant_key(tenant_id, "COMPANIES", LIST_INDEXES[field][1], _key_value(field, value))


def index_record(item: CompanyItem) -> None:
    """Place the record on its list indexes (a tombstone stays only on the change feed)."""
    sort = f"{item.updated_at}#{item.company_id}"
    item.GSI1PK, item.GSI1SK = _list_pk(item.tenant_id), sort
    for field, (number, _) in LIST_INDEXES.items():
        value = None if item.deleted else item.doc.get(field)
        setattr(item, f"GSI{number}PK", _list_pk(item.tenant_id, field, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def new_record(tenant_id: str, company_id: str, doc: dict[str, Any], now: str) -> CompanyItem:
    pk, sk = company_keys(tenant_id, company_id)
    item = CompanyItem(PK=pk, SK=sk, company_id=company_id, tenant_id=tenant_id, doc=doc,
                       created_at=now, updated_at=now)
    index_record(item)
    return item


def _entry(pk: str, sk: str, company_id: str, record: dict[str, Any]) -> CompanyEntryItem:
    return CompanyEntryItem(PK=pk, SK=sk, company_id=company_id, record=record)


def write_entries(uow: UnitOfWork, tenant_id: str, company_id: str, record: dict[str, Any],
                  before: Entries | None, after: Entries | None) -> None:
    """Add, refresh and remove the company's claim and entries inside `uow`.

    A new domain claim must not exist (label `domain` -> a 409 naming it); a kept one
    must still be ours.
    """
    before = before or Entries(None, frozenset(), "")
    after = after or Entries(None, frozenset(), "")
    if before.domain and before.domain != after.domain:
        uow.delete(_entry(domain_pk(tenant_id, before.domain), CLAIM, company_id, {}))
    if after.domain:
        owned = CompanyEntryItem.company_id == company_id
        uow.put(_entry(domain_pk(tenant_id, after.domain), CLAIM, company_id, record),
                condition=owned if before.domain == after.domain
                else CompanyEntryItem.PK.does_not_exist(), label="domain")
    for tag in sorted(before.tags - after.tags):
        uow.delete(_entry(tag_pk(tenant_id, tag), company_id, company_id, {}))
    for tag in sorted(after.tags):
        uow.put(_entry(tag_pk(tenant_id, tag), company_id, company_id, record))
    if before.name and before.name != after.name:
        uow.delete(_entry(name_pk(tenant_id), f"{before.name}#{company_id}", company_id, {}))
    if after.name:
        uow.put(_entry(name_pk(tenant_id), f"{after.name}#{company_id}", company_id, record))


def take_domain(uow: UnitOfWork, tenant_id: str, company_id: str, record: dict[str, Any],
                domain: str, from_id: str) -> None:
    """Hand `from_id`'s domain claim to `company_id` (a merge), if `from_id` still holds it."""
    uow.put(_entry(domain_pk(tenant_id, domain), CLAIM, company_id, record),
            condition=CompanyEntryItem.company_id == from_id, label="domain")


def check_unchanged(uow: UnitOfWork, item: CompanyItem) -> None:
    """Commit only if `item` (an ancestor read for the cycle check) is still as read."""
    uow.check(CompanyItem, item.PK, item.SK, CompanyItem.version == item.version,
              label="parent_id")


def get(tenant_id: str, company_id: str, consistent: bool = False) -> CompanyItem | None:
    pk, sk = company_keys(tenant_id, company_id)
    try:
        return CompanyItem.get(pk, sk, consistent_read=consistent)
    except CompanyItem.DoesNotExist:
        return None


def get_many(tenant_id: str, company_ids: list[str]) -> dict[str, CompanyItem]:
    """Records by id in BatchGetItem calls of up to 100 keys (missing ids are left out)."""
    keys = [company_keys(tenant_id, c) for c in dict.fromkeys(company_ids)]
    return {item.company_id: item for item in CompanyItem.batch_get(keys)} if keys else {}


def domain_owner(tenant_id: str, domain: str) -> str | None:
    try:
        return str(CompanyEntryItem.get(domain_pk(tenant_id, domain), CLAIM,
                                        consistent_read=True).company_id)
    except CompanyEntryItem.DoesNotExist:
        return None


def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None, since: str | None = None,
                 newest_first: bool = True) -> tuple[list[CompanyItem], str | None]:
    """A page of records by `updated_at`, on the index for `field` (or all of them)."""
    number = 1 if field is None else LIST_INDEXES[field][0]
    index = getattr(CompanyItem, f"gsi{number}")
    sort_attr = getattr(CompanyItem, f"GSI{number}SK")
    condition = sort_attr >= since if since else None
    pk = _list_pk(tenant_id, field, value)
    scope = f"{tenant_id}:companies:{field}:{value}:{since}:{newest_first}"
    return query_page(lambda **kw: index.query(pk, condition, scan_index_forward=not newest_first,
                                          **kw), scope, cursor, limit)


def has_children(tenant_id: str, company_id: str) -> bool:
    items, _ = list_records(tenant_id, 1, None, "parent_id", company_id)
    return bool(items)


def entries(tenant_id: str, pk: str, limit: int, cursor: str | None,
            prefix: str | None = None) -> tuple[list[CompanyEntryItem], str | None]:
    condition = CompanyEntryItem.SK.startswith(prefix) if prefix else None
    scope = f"{tenant_id}:company_entries:{pk}:{prefix}"
    return query_page(lambda **kw: CompanyEntryItem.query(pk, condition, **kw), scope, cursor,
                      limit)


def changes(tenant_id: str, limit: int, since: str | None) -> tuple[list[CompanyItem],
                                                                    str | None, bool]:
    """Records changed after the `since` position, oldest first, tombstones included."""
    return change_page(CompanyItem.gsi1, _list_pk(tenant_id), CompanyItem.GSI1SK,
                       f"{tenant_id}:company_changes", since, limit,
                       lambda item: f"{item.updated_at}#{item.company_id}")


def domain_owners(tenant_id: str, domains: list[str]) -> dict[str, str]:
    """domain -> the company claiming it, for those claimed: consistent BatchGetItem, 100 a
    request (the CSV import's upsert by domain)."""
    wanted = {domain_pk(tenant_id, d): d for d in set(domains)}
    pks, found = sorted(wanted), {}
    for start in range(0, len(pks), 100):
        for entry in CompanyEntryItem.batch_get([(pk, CLAIM) for pk in pks[start:start + 100]],
                                                consistent_read=True):
            found[wanted[entry.PK]] = str(entry.company_id)
    return found


def named(tenant_id: str, name: str, limit: int = 3) -> list[str]:
    """Ids of live companies with this name (case-insensitive): one Query of name entries."""
    found, _ = entries(tenant_id, name_pk(tenant_id), limit, None, f"{name.strip().lower()}#")
    return [str(e.company_id) for e in found]


def get_consistent(tenant_id: str, company_ids: list[str]) -> dict[str, CompanyItem]:
    """Records by id read consistently, BatchGetItem of up to 100 keys (missing left out)."""
    keys = [company_keys(tenant_id, c) for c in dict.fromkeys(company_ids)]
    found: dict[str, CompanyItem] = {}
    for start in range(0, len(keys), 100):
        for item in CompanyItem.batch_get(keys[start:start + 100], consistent_read=True):
            found[item.company_id] = item
    return found
