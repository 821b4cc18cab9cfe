"""The only code that knows the contact key shapes.

- the record: `T#<t>#CONTACT#<id>` / `CONTACT`, on five list indexes by `updated_at`:
  all (GSI1, tombstones included, which the change feed reads), owner (GSI2), company
  (GSI3), lifecycle stage (GSI4) and team (GSI5);
- unique claims: `T#<t>#CONTACT_EMAIL#<email>` and `..._PHONE#<e164>` / `CLAIM` (a
  duplicate allowed on purpose sits beside it as `DUP#<id>`);
- shared entries: `T#<t>#CONTACT_TAG#<tag>` / `<id>` and `T#<t>#CONTACT_NAME` /
  `<name>#<id>`.
Claims and entries carry the record, so a lookup by any of them is a single Query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import SERVICE
from chalicelib.contacts.domain import Entries
from chalicelib.contacts.models import ContactEntryItem, ContactItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import change_page, query_page
from crm_shared.unit_of_work import UnitOfWork

CLAIM = "CLAIM"
TOMBSTONE_DAYS = 30
LIST_INDEXES = {  # list filter -> (index attribute prefix, key part)
    "owner_id": ("gsi2", "OWNER"),
    "company_id": ("gsi3", "COMPANY"),
    "lifecycle_stage": ("gsi4", "STAGE"),
    "team_id": ("gsi5", "TEAM"),
}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def contact_keys(tenant_id: str, contact_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CONTACT", contact_id), "CONTACT"


def claim_pk(tenant_id: str, kind: str, value: str) -> str:
    """kind: EMAIL or PHONE."""
    return tenant_key(tenant_id, f"CONTACT_{kind}", value)


def tag_pk(tenant_id: str, tag: str) -> str:
    return tenant_key(tenant_id, "CONTACT_TAG", tag)


def name_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "CONTACT_NAME")


def _list_pk(tenant_id: str, part: str | None = None, value: str | None = None) -> str:
    return tenant_key(tenant_id, "CONTACTS", *((part, value) if part and value else ()))


def index_record(item: ContactItem) -> None:
    """Place the record on its list indexes (a tombstone stays only on the change feed)."""
    doc, tenant_id = item.doc, item.tenant_id
    sort = f"{item.updated_at}#{item.contact_id}"
    item.GSI1PK, item.GSI1SK = _list_pk(tenant_id), sort
    for field, (index, part) in LIST_INDEXES.items():
        value = None if item.deleted else doc.get(field)
        number = index[-1]
        setattr(item, f"GSI{number}PK", _list_pk(tenant_id, part, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def new_record(tenant_id: str, contact_id: str, doc: dict[str, Any], now: str) -> ContactItem:
    pk, sk = contact_keys(tenant_id, contact_id)
    item = ContactItem(PK=pk, SK=sk, contact_id=contact_id, tenant_id=tenant_id, doc=doc,
                       created_at=now, updated_at=now)
    index_record(item)
    return item


def _entry(pk: str, sk: str, contact_id: str, record: dict[str, Any]) -> ContactEntryItem:
    return ContactEntryItem(PK=pk, SK=sk, contact_id=contact_id, record=record)


def write_entries(uow: UnitOfWork, tenant_id: str, contact_id: str, record: dict[str, Any],
                  before: Entries | None, after: Entries | None,
                  duplicates: frozenset[tuple[str, str]] = frozenset()) -> None:
    """Add, refresh and remove the contact's claims and entries inside `uow`.

    A new claim must not exist (its label names the field for a 409); a kept claim must
    still be ours. `duplicates` lists (kind, value) claimed by another contact on purpose.
    """
    empty = Entries(frozenset(), frozenset(), frozenset(), "")
    before, after = before or empty, after or empty
    for kind, old, new in (("EMAIL", before.emails, after.emails),
                           ("PHONE", before.phones, after.phones)):
        for value in sorted(old - new):
            sk = f"DUP#{contact_id}" if (kind, value) in duplicates else CLAIM
            uow.delete(_entry(claim_pk(tenant_id, kind, value), sk, contact_id, {}))
        for value in sorted(new):
            pk = claim_pk(tenant_id, kind, value)
            if (kind, value) in duplicates:
                uow.put(_entry(pk, f"DUP#{contact_id}", contact_id, record))
            elif value in old:
                uow.put(_entry(pk, CLAIM, contact_id, record),
                        condition=ContactEntryItem.contact_id == contact_id,
                        label=f"{kind.lower()}:{value}")
            else:
                uow.put(_entry(pk, CLAIM, contact_id, record),
                        condition=ContactEntryItem.PK.does_not_exist(),
                        label=f"{kind.lower()}:{value}")
    for tag in sorted(before.tags - after.tags):
        uow.delete(_entry(tag_pk(tenant_id, tag), contact_id, contact_id, {}))
    for tag in sorted(after.tags):
        uow.put(_entry(tag_pk(tenant_id, tag), contact_id, contact_id, record))
    if before.name and before.name != after.name:
        uow.delete(_entry(name_pk(tenant_id), f"{before.name}#{contact_id}", contact_id, {}))
    if after.name:
        uow.put(_entry(name_pk(tenant_id), f"{after.name}#{contact_id}", contact_id, record))


def get(tenant_id: str, contact_id: str, consistent: bool = False) -> ContactItem | None:
    pk, sk = contact_keys(tenant_id, contact_id)
    try:
        return ContactItem.get(pk, sk, consistent_read=consistent)
    except ContactItem.DoesNotExist:
        return None


def get_many(tenant_id: str, contact_ids: list[str]) -> dict[str, ContactItem]:
    """The records that exist among `contact_ids`: one consistent BatchGetItem (at most 100)."""
    keys = [contact_keys(tenant_id, contact_id) for contact_id in dict.fromkeys(contact_ids)]
    if not keys:
        return {}
    return {item.contact_id: item for item in ContactItem.batch_get(keys, consistent_read=True)}


Claim = tuple[str, str]  # (EMAIL or PHONE, value)


def claims_of(entries: Entries) -> set[Claim]:
    return {("EMAIL", e) for e in entries.emails} | {("PHONE", p) for p in entries.phones}


def claim_holders(tenant_id: str, claims: Iterable[Claim]) -> dict[Claim, str | None]:
    """Who holds each claim now (None: nobody): consistent BatchGetItems of 100 claims each.

    Merge and erasure must know whether a contact holds a claim or sits beside it as a
    `DUP#`, to move or free exactly the item it owns and never another contact's.
    """
    wanted = {(claim_pk(tenant_id, kind, value), CLAIM): (kind, value) for kind, value in claims}
    found: dict[Claim, str | None] = dict.fromkeys(wanted.values())
    if wanted:
        for item in ContactEntryItem.batch_get(list(wanted), consistent_read=True):
            found[wanted[(item.PK, item.SK)]] = item.contact_id
    return found


def rewrite_entries(uow: UnitOfWork, tenant_id: str, contact_id: str, record: dict[str, Any],
                    before: Entries, after: Entries, holders: dict[Claim, str | None],
                    takes_from: frozenset[str] = frozenset()) -> None:
    """Write every claim and entry of `after` with `record`, taking over claims of `takes_from`.

    A merge survivor takes the claims its merged contacts held (conditioned on the holder,
    so a concurrent change fails the transaction); a claim held by a third contact stays
    theirs and the survivor sits beside it as `DUP#<id>`. Old tag and name entries go.
    """
    for kind, old, new in (("EMAIL", before.emails, after.emails),
                           ("PHONE", before.phones, after.phones)):
        for value in sorted(old | new):
            pk, holder = claim_pk(tenant_id, kind, value), holders.get((kind, value))
            label = f"{kind.lower()}:{value}"
            if value not in new:
                _drop_claim(uow, pk, contact_id, holder, label)
            elif holder == contact_id or (holder is not None and holder in takes_from):
                uow.put(_entry(pk, CLAIM, contact_id, record),
                        condition=ContactEntryItem.contact_id == holder, label=label)
                if value in old and holder != contact_id:
                    uow.delete(_entry(pk, f"DUP#{contact_id}", contact_id, {}))
            elif holder is None:
                uow.put(_entry(pk, CLAIM, contact_id, record),
                        condition=ContactEntryItem.PK.does_not_exist(), label=label)
                if value in old:
                    uow.delete(_entry(pk, f"DUP#{contact_id}", contact_id, {}))
            else:
                uow.put(_entry(pk, f"DUP#{contact_id}", contact_id, record))
    for tag in sorted(before.tags - after.tags):
        uow.delete(_entry(tag_pk(tenant_id, tag), contact_id, contact_id, {}))
    for tag in sorted(after.tags):
        uow.put(_entry(tag_pk(tenant_id, tag), contact_id, contact_id, record))
    if before.name and before.name != after.name:
        uow.delete(_entry(name_pk(tenant_id), f"{before.name}#{contact_id}", contact_id, {}))
    if after.name:
        uow.put(_entry(name_pk(tenant_id), f"{after.name}#{contact_id}", contact_id, record))


def drop_entries(uow: UnitOfWork, tenant_id: str, contact_id: str, entries: Entries,
                 holders: dict[Claim, str | None], claims_taken: bool = False,
                 lookups: bool = True) -> None:
    """Delete what the contact occupies: its claims (or `DUP#`s), tag and name entries.

    `claims_taken`: a merge survivor rewrites the claims this contact held in the same
    transaction, so only its `DUP#` items go. `lookups=False` leaves tags and name alone.
    """
    for kind, values in (("EMAIL", entries.emails), ("PHONE", entries.phones)):
        for value in sorted(values):
            holder = holders.get((kind, value))
            if claims_taken and holder == contact_id:
                continue
            _drop_claim(uow, claim_pk(tenant_id, kind, value), contact_id, holder,
                        f"{kind.lower()}:{value}")
    if not lookups:
        return
    for tag in sorted(entries.tags):
        uow.delete(_entry(tag_pk(tenant_id, tag), contact_id, contact_id, {}))
    if entries.name:
        uow.delete(_entry(name_pk(tenant_id), f"{entries.name}#{contact_id}", contact_id, {}))


def drop_lookups(uow: UnitOfWork, tenant_id: str, contact_id: str, entries: Entries) -> None:
    """Delete only the contact's tag and name entries (a large merge frees them first)."""
    drop_entries(uow, tenant_id, contact_id, Entries(frozenset(), frozenset(), entries.tags,
                                                     entries.name), {})


def _drop_claim(uow: UnitOfWork, pk: str, contact_id: str, holder: str | None,
                label: str) -> None:
    if holder == contact_id:
        uow.delete(_entry(pk, CLAIM, contact_id, {}),
                   condition=ContactEntryItem.contact_id == contact_id, label=label)
    else:
        uow.delete(_entry(pk, f"DUP#{contact_id}", contact_id, {}))


def claim_owner(tenant_id: str, kind: str, value: str) -> str | None:
    try:
        return str(ContactEntryItem.get(claim_pk(tenant_id, kind, value), CLAIM,
                                        consistent_read=True).contact_id)
    except ContactEntryItem.DoesNotExist:
        return None


def list_records(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
                 value: str | None = None, since: str | None = None,
                 newest_first: bool = True) -> tuple[list[ContactItem], str | None]:
    """A page of records by `updated_at`, on the index for `field` (or all of them)."""
    if field is None:
        index, pk = ContactItem.gsi1, _list_pk(tenant_id)
    else:
        attr, part = LIST_INDEXES[field]
        index, pk = getattr(ContactItem, attr), _list_pk(tenant_id, part, value)
    number = 1 if field is None else int(LIST_INDEXES[field][0][-1])
    sort_attr = getattr(ContactItem, f"GSI{number}SK")
    condition = sort_attr >= since if since else None
    scope = f"{tenant_id}:contacts:{field}:{value}:{since}:{newest_first}"
    return query_page(lambda **kw: index.query(pk, condition, scan_index_forward=not newest_first,
                                          **kw), scope, cursor, limit)


def entries(tenant_id: str, pk: str, limit: int, cursor: str | None,
            prefix: str | None = None) -> tuple[list[ContactEntryItem], str | None]:
    condition = ContactEntryItem.SK.startswith(prefix) if prefix else None
    scope = f"{tenant_id}:entries:{pk}:{prefix}"
    return query_page(lambda **kw: ContactEntryItem.query(pk, condition, **kw), scope, cursor,
                      limit)


def changes(tenant_id: str, limit: int, since: str | None) -> tuple[list[ContactItem],
                                                                    str | None, bool]:
    """Records changed after the `since` position, oldest first, tombstones included."""
    return change_page(ContactItem.gsi1, _list_pk(tenant_id), ContactItem.GSI1SK,
                       f"{tenant_id}:changes", since, limit,
                       lambda item: f"{item.updated_at}#{item.contact_id}")
