"""What each feature does when a party (contact or company) is merged, erased or exported.

Merge, GDPR erasure and data export must reach every place a person's data lives. Each
feature registers its part here when it is imported, so adding a feature cannot forget them:
- a mover re-points the feature's records from a merged party to the survivor;
- an eraser removes the person's personal data from the feature's records;
- an exporter returns everything the feature holds about the person.
Each returns how many records it touched (movers, erasers) or the records (exporters).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mover = Callable[[str, str, str], int]  # (tenant_id, from_party_id, to_party_id)
Eraser = Callable[[str, str], int]  # (tenant_id, party_id)
Exporter = Callable[[str, str], list[dict[str, Any]]]  # (tenant_id, party_id)

MOVERS: dict[str, Mover] = {}
ERASERS: dict[str, Eraser] = {}
EXPORTERS: dict[str, Exporter] = {}

#: Every module that registers here. Features load lazily (on their first request), so a
#: merge, an erasure or an export loads them all first: none may be skipped because its
#: routes were not called yet in this container.
REGISTRANTS = (
    "chalicelib.contacts.lifecycle", "chalicelib.companies.lifecycle",
    "chalicelib.relationships.lifecycle", "chalicelib.timeline.lifecycle",
    "chalicelib.files.lifecycle", "chalicelib.privacy.consent", "chalicelib.privacy.erasure",
)


def _loaded() -> None:
    import importlib

    for module in REGISTRANTS:
        importlib.import_module(module)


def movers() -> dict[str, Mover]:
    _loaded()
    return MOVERS


def erasers() -> dict[str, Eraser]:
    _loaded()
    return ERASERS


def exporters() -> dict[str, Exporter]:
    _loaded()
    return EXPORTERS


def mover(name: str) -> Callable[[Mover], Mover]:
    def register(fn: Mover) -> Mover:
        MOVERS[name] = fn
        return fn
    return register


def eraser(name: str) -> Callable[[Eraser], Eraser]:
    def register(fn: Eraser) -> Eraser:
        ERASERS[name] = fn
        return fn
    return register


def exporter(name: str) -> Callable[[Exporter], Exporter]:
    def register(fn: Exporter) -> Exporter:
        EXPORTERS[name] = fn
        return fn
    return register


def merge_ids(ids: list[str] | None, survivor_id: str, field: str, noun: str) -> list[str]:
    """The ids a merge request names, refused (422 naming `field[i]`) when empty, the
    survivor itself, or listed twice: the same rule for contacts and companies."""
    from crm_shared.errors import ValidationFailed  # the registry itself needs no errors

    if not ids:
        raise ValidationFailed.for_field(field, f"list 1 to 10 {noun} ids to merge")
    seen: set[str] = set()
    for index, merged_id in enumerate(ids):
        if merged_id == survivor_id:
            raise ValidationFailed.for_field(f"{field}[{index}]",
                                             f"is the {noun} they merge into")
        if merged_id in seen:
            raise ValidationFailed.for_field(f"{field}[{index}]", "is listed twice")
        seen.add(merged_id)
    return list(ids)
