"""The companies feature's part in merges (see chalicelib/parties.py).

When a company is merged into a survivor, its child companies get the survivor as parent
(each a normal company write: its parent_of edge and CompanyUpdated go with it). A child
that cannot take the survivor without a cycle (the survivor sits below it) takes the merged
company's own parent instead. Companies hold no personal data of contacts: no eraser.
"""

from __future__ import annotations

from chalicelib import parties
from chalicelib.companies import logic, repository
from crm_shared.errors import ValidationFailed
from crm_shared.ids import is_id


@parties.mover("companies")
def move_children(tenant_id: str, from_party: str, to_party: str) -> int:
    if not (is_id(from_party, "cmp") and is_id(to_party, "cmp")):
        return 0
    merged = repository.get(tenant_id, from_party, consistent=True)
    fallback = merged.doc.get("parent_id") if merged is not None else None
    moved = 0
    cursor: str | None = None
    while True:
        page, cursor = repository.list_records(tenant_id, 100, cursor, "parent_id", from_party)
        for listed in page:
            child = repository.get(tenant_id, listed.company_id, consistent=True)
            if child is None or child.deleted or child.doc.get("parent_id") != from_party:
                continue
            for target in (to_party, fallback, None):
                if target == child.company_id:
                    continue
                try:
                    logic.save(child, {"parent_id": target}, None)
                    break
                except ValidationFailed:
                    child = repository.get(tenant_id, listed.company_id, consistent=True) \
                        or child
            moved += 1
        if cursor is None:
            return moved
