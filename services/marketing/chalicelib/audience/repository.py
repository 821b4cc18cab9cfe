"""The only code that knows the read model's keys.

- a person: `T#<t>#PERSON#<contact_id>` / `PERSON`, listed on GSI1 `T#<t>#PEOPLE` by
  `<created_at>#<contact_id>` once the contact itself is known;
- a company: `T#<t>#COMPANY#<company_id>` / `COMPANY`.
Items that mention a person elsewhere (memberships, sends) carry GSI2 `T#<t>#REFS#<id>`,
so erasure finds them with one Query (see `refs_pk`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import SERVICE
from chalicelib.audience.models import CompanyItem, PersonItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import decode_cursor, encode_cursor
from crm_shared.unit_of_work import UnitOfWork


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def person_keys(tenant_id: str, contact_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "PERSON", contact_id), "PERSON"


def people_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "PEOPLE")


def refs_pk(tenant_id: str, contact_id: str) -> str:
    """GSI2 partition of every item that names this person (memberships, sends)."""
    return tenant_key(tenant_id, "REFS", contact_id)


def get_person(tenant_id: str, contact_id: str, consistent: bool = True) -> PersonItem | None:
    pk, sk = person_keys(tenant_id, contact_id)
    try:
        return PersonItem.get(pk, sk, consistent_read=consistent)
    except PersonItem.DoesNotExist:
        return None


def new_person(tenant_id: str, contact_id: str) -> PersonItem:
    pk, sk = person_keys(tenant_id, contact_id)
    return PersonItem(PK=pk, SK=sk, contact_id=contact_id, tenant_id=tenant_id)


def get_people(tenant_id: str, contact_ids: Iterable[str]) -> dict[str, PersonItem]:
    """The people among `contact_ids` (BatchGetItem, 100 keys a call)."""
    keys = [person_keys(tenant_id, c) for c in dict.fromkeys(contact_ids)]
    found: dict[str, PersonItem] = {}
    for start in range(0, len(keys), 100):
        for item in PersonItem.batch_get(keys[start:start + 100], consistent_read=True):
            found[item.contact_id] = item
    return found


def list_people(tenant_id: str, limit: int, position: dict[str, Any] | None
                ) -> tuple[list[PersonItem], dict[str, Any] | None]:
    """A page of the tenant's known people (segment evaluation reads them in chunks)."""
    result = PersonItem.gsi1.query(people_pk(tenant_id), limit=limit, page_size=limit,
                                   last_evaluated_key=position)
    items = list(result)
    return items, result.last_evaluated_key


def index_person(item: PersonItem) -> None:
    """On the people list once the contact is known (created_at from its record)."""
    if item.doc is not None:
        item.GSI1PK = people_pk(item.tenant_id)
        item.GSI1SK = f"{item.doc.get('created_at', '')}#{item.contact_id}"
    else:
        item.GSI1PK = item.GSI1SK = None


def company_keys(tenant_id: str, company_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "COMPANY", company_id), "COMPANY"


def get_company(tenant_id: str, company_id: str | None) -> CompanyItem | None:
    if not company_id:
        return None
    pk, sk = company_keys(tenant_id, company_id)
    try:
        return CompanyItem.get(pk, sk)
    except CompanyItem.DoesNotExist:
        return None


def new_company(tenant_id: str, company_id: str, doc: dict[str, Any],
                updated_at: str | None) -> CompanyItem:
    pk, sk = company_keys(tenant_id, company_id)
    return CompanyItem(PK=pk, SK=sk, company_id=company_id, doc=doc, updated_at=updated_at)


def cursor_of(position: dict[str, Any] | None, scope: str) -> str | None:
    return encode_cursor(position, scope)


def position_of(cursor: str | None, scope: str) -> dict[str, Any] | None:
    return decode_cursor(cursor, scope)
