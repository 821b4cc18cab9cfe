"""Segment evaluation and purge, chunked over the jobs queue.

A chunk reads one page of the read model, syncs those people's memberships (idempotent
writes) and advances the segment's progress only if it is still the chunk the segment
expects, so a redelivered chunk neither counts twice nor stalls: it queues the next
chunk again, which is just as idempotent. A newer evaluation makes older chunks stop.
"""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.audience import repository as people
from chalicelib.config import EVALUATION_PAGE
from chalicelib.jobs import handler, send
from chalicelib.segments import membership, repository
from chalicelib.segments.models import MemberItem, SegmentItem
from crm_shared import clock
from crm_shared.unit_of_work import TransactionConflict


@handler("segment.evaluate")
def evaluate_chunk(message: dict[str, Any]) -> None:
    tenant_id, segment_id = message["tenant_id"], message["segment_id"]
    evaluation_id, chunk = message["evaluation_id"], int(message["chunk"])
    segment = repository.get(tenant_id, segment_id)
    if segment is None or segment.evaluation_id != evaluation_id:
        return  # deleted, or a newer evaluation took over
    page, position = people.list_people(tenant_id, EVALUATION_PAGE, message.get("position"))
    membership.sync(tenant_id, [segment], page)
    actions = [SegmentItem.chunk.set(chunk + 1), SegmentItem.scanned.add(len(page))]
    if position is None:
        actions += [SegmentItem.evaluation_status.set("complete"),
                    SegmentItem.evaluated_at.set(clock.iso())]
    uow = repository.unit_of_work()
    uow.update(repository.key(tenant_id, segment_id), actions,
               condition=(SegmentItem.evaluation_id == evaluation_id)
               & (SegmentItem.chunk == chunk), label="progress")
    with contextlib.suppress(TransactionConflict):  # counted by an earlier delivery
        uow.commit()
    if position is not None:
        send({**message, "chunk": chunk + 1, "position": position})


@handler("segment.purge")
def purge_members(message: dict[str, Any]) -> None:
    """Delete a deleted segment's members, a page at a time."""
    tenant_id, segment_id = message["tenant_id"], message["segment_id"]
    if repository.get(tenant_id, segment_id) is not None:
        return
    page, position = repository.members_page(tenant_id, segment_id, 100, None)
    with MemberItem.batch_write() as batch:
        for member in page:
            batch.delete(member)
    if position is not None:
        send(message)
