"""Files' part in merging, erasing and exporting a party (see chalicelib/parties.py).

Their timeline entries are the timeline's to move or delete; these handle the file items
and the objects.
"""

from __future__ import annotations

from typing import Any

from chalicelib import parties
from chalicelib.files import logic, repository, storage


@parties.mover("files")
def move(tenant_id: str, from_id: str, to_id: str) -> int:
    touched = 0
    for item in list(repository.attached_to(tenant_id, from_id)):
        item.related_id = to_id
        repository.index(item)
        item.save()
        touched += 1
    return touched


@parties.eraser("files")
def erase(tenant_id: str, party_id: str) -> int:
    """Delete the party's files: objects first, so no item ever outlives a known object."""
    touched = 0
    for item in list(repository.attached_to(tenant_id, party_id)):
        storage.delete(item.object_key)
        item.delete()
        touched += 1
    return touched


@parties.exporter("files")
def export(tenant_id: str, party_id: str) -> list[dict[str, Any]]:
    return [logic.record(i) for i in repository.attached_to(tenant_id, party_id)]
