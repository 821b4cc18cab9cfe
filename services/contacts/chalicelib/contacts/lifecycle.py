"""The contacts feature's part in company merges (see chalicelib/parties.py).

A merged company's contacts take the survivor as their company_id: each a normal contact
write, its ContactUpdated with it. A contact's own merge folds its record in
privacy/merge.py; nothing here moves for contact ids.
"""

from __future__ import annotations

from chalicelib import parties
from chalicelib.contacts import logic, repository
from crm_shared.ids import is_id


@parties.mover("contacts")
def move_company_contacts(tenant_id: str, from_party: str, to_party: str) -> int:
    if not (is_id(from_party, "cmp") and is_id(to_party, "cmp")):
        return 0
    moved = 0
    cursor: str | None = None
    while True:
        page, cursor = repository.list_records(tenant_id, 100, cursor, "company_id", from_party)
        for listed in page:
            item = repository.get(tenant_id, listed.contact_id, consistent=True)
            if item is None or item.deleted or item.doc.get("company_id") != from_party:
                continue
            with repository.unit_of_work() as uow:
                logic.stage_update(uow, item, {**item.doc, "company_id": to_party},
                                   ["company_id"])
            moved += 1
        if cursor is None:
            return moved
