"""The only code that knows segment keys.

- the segment `T#<t>#SEGMENT#<id>` / `SEGMENT` (with its member count), listed on GSI1
  `T#<t>#SEGMENTS` by `<created_at>#<id>`;
- members `T#<t>#MEMBERS#<segment_id>` / `<contact_id>`, each on GSI2 `T#<t>#REFS#<contact>`
  so a person's memberships are one Query (erasure, merge).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib import SERVICE
from chalicelib.audience.repository import refs_pk
from chalicelib.config import MAX_SEGMENTS
from chalicelib.segments.models import MemberItem, SegmentItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

SEGMENT = "SEGMENT"
REEVALUATE_JOB = "segment_reevaluate"  # time-relative dynamic segments, daily, on DUE


def schedule_reevaluation(item: SegmentItem, due_at: Any) -> None:
    """Put a time-relative dynamic segment on the DUE index at `due_at` (None: take it off)."""
    from crm_shared import schedules

    if due_at is None or item.kind != "dynamic":
        item.DUEPK = item.DUESK = None
        return
    fields = schedules.due_fields(REEVALUATE_JOB, due_at, item.tenant_id, item.segment_id)
    item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]


def due_reevaluations(limit: int) -> list[SegmentItem]:
    from crm_shared import schedules

    return schedules.due_items(SegmentItem, REEVALUATE_JOB, limit)


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def segment_pk(tenant_id: str, segment_id: str) -> str:
    return tenant_key(tenant_id, "SEGMENT", segment_id)


def members_pk(tenant_id: str, segment_id: str) -> str:
    return tenant_key(tenant_id, "MEMBERS", segment_id)


def list_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "SEGMENTS")


def new_segment(tenant_id: str, segment_id: str, **fields: Any) -> SegmentItem:
    item = SegmentItem(PK=segment_pk(tenant_id, segment_id), SK=SEGMENT, segment_id=segment_id,
                       tenant_id=tenant_id, **fields)
    item.GSI1PK, item.GSI1SK = list_pk(tenant_id), f"{item.created_at}#{segment_id}"
    return item


def key(tenant_id: str, segment_id: str) -> SegmentItem:
    """A key-only item, for updates (member counts, evaluation progress)."""
    return SegmentItem(PK=segment_pk(tenant_id, segment_id), SK=SEGMENT)


def get(tenant_id: str, segment_id: str) -> SegmentItem | None:
    try:
        return SegmentItem.get(segment_pk(tenant_id, segment_id), SEGMENT, consistent_read=True)
    except SegmentItem.DoesNotExist:
        return None


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[SegmentItem], str | None]:
    return query_page(lambda **kw: SegmentItem.gsi1.query(list_pk(tenant_id),
                                                          scan_index_forward=False, **kw),
                      f"{tenant_id}:segments", cursor, limit)


def all_of(tenant_id: str) -> list[SegmentItem]:
    """Every segment of the tenant (at most MAX_SEGMENTS): one Query. Not cached: the
    consumer that re-checks segments on each contact change runs in other containers than
    the API that creates them, and a stale list would miss a new segment's updates."""
    return list(SegmentItem.gsi1.query(list_pk(tenant_id), limit=MAX_SEGMENTS,
                                       page_size=MAX_SEGMENTS))


def new_member(tenant_id: str, segment_id: str, contact_id: str, added_at: str) -> MemberItem:
    item = MemberItem(PK=members_pk(tenant_id, segment_id), SK=contact_id,
                      segment_id=segment_id, contact_id=contact_id, added_at=added_at)
    item.GSI2PK, item.GSI2SK = refs_pk(tenant_id, contact_id), f"SEGMENT#{segment_id}"
    return item


def members_page(tenant_id: str, segment_id: str, limit: int,
                 position: dict[str, Any] | None) -> tuple[list[MemberItem],
                                                           dict[str, Any] | None]:
    result = MemberItem.query(members_pk(tenant_id, segment_id), limit=limit, page_size=limit,
                              last_evaluated_key=position)
    items = list(result)
    return items, result.last_evaluated_key


def memberships_of(tenant_id: str, contact_id: str) -> list[MemberItem]:
    """Every segment membership of a person (GSI2 refs, SK SEGMENT#...)."""
    return list(MemberItem.gsi2.query(refs_pk(tenant_id, contact_id),
                                      MemberItem.GSI2SK.startswith("SEGMENT#")))


def member_set(tenant_id: str, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (segment_id, contact_id) pairs are members now (BatchGetItem)."""
    keys = [(members_pk(tenant_id, s), c) for s, c in dict.fromkeys(pairs)]
    found: set[tuple[str, str]] = set()
    for start in range(0, len(keys), 100):
        for item in MemberItem.batch_get(keys[start:start + 100], consistent_read=True):
            found.add((item.segment_id, item.contact_id))
    return found
