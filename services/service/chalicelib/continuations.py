"""Continuations of contact events on the service's jobs queue (chalicelib.jobs).

A person's erasure or merge touches every ticket, return and KB vote of theirs, each record
its own transaction. An event delivery does one budget of that work (`Budget`); if records
are left, it queues a continuation job (`begin`) instead of failing the event for
SQS to redeliver (the events queue sends an event to its DLQ after 5 receives, half done).
Each job does the next budget and queues the next round until nothing is left.

Exactly once, per record: a changed record leaves the contact's index, and its write is
version-checked, so a repeated round finds only what is left. Per round: the chain's
progress item (`T#<tenant>#CONTINUATION#<event id>#<kind>`) keeps the last finished round;
a round at or below it (a duplicated message, a redelivered event queuing round 1 again) is
acknowledged without work. A job names its tenant; it reads and writes under that tenant's
keys only, and drops its work if the tenant was offboarded meanwhile.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib import SERVICE
from chalicelib.jobs import queue
from chalicelib.models import ServiceItem
from crm_shared import clock, context, observability
from crm_shared.context import Principal
from crm_shared.dynamo import tenant_key
from crm_shared.events.consumer import EventContext
from crm_shared.jobs import Message
from crm_shared.offboarding import is_offboarded
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

SECONDS = 6.0  # of work a delivery does per feature (three may share a 30 s consumer)
PROGRESS_TTL = timedelta(days=15)  # as long as the events' dedupe markers

#: One budget of a continued operation: `step(tenant_id, params)` changes what one delivery
#: may and says whether records are left.
Step = Callable[[str, dict[str, Any]], bool]


class ContinuationItem(ServiceItem):
    """`T#<tenant>#CONTINUATION#<event id>#<kind>` / `CONTINUATION`: the last finished round."""

    kind = UnicodeAttribute()
    done_round = NumberAttribute(default=0)


class Budget:
    """How much one delivery does: `pages` pages of records, within `seconds`."""

    def __init__(self, pages: int, seconds: float | None = None) -> None:
        self.pages = pages
        self.deadline = time.monotonic() + (SECONDS if seconds is None else seconds)

    def spend(self) -> bool:
        """Take one page from the budget; False once it is used up (nothing taken)."""
        if self.pages <= 0 or time.monotonic() >= self.deadline:
            return False
        self.pages -= 1
        return True


_STEPS: dict[str, Step] = {}


def continued(kind: str) -> Callable[[Step], Step]:
    """Register `step` as the job of `kind`: each message runs one budget of it."""
    def register(step: Step) -> Step:
        def run(message: Message) -> None:
            _run(kind, step, message)

        run.__qualname__ = f"continued[{kind}]"  # one handler per kind, the same on re-import
        queue.handler(kind)(run)
        _STEPS[kind] = step
        return step
    return register


def begin(kind: str, ctx: EventContext, params: dict[str, Any]) -> None:
    """From an event handler: one budget of `kind`'s work now and, if records are left,
    round 1 of the rest queued. A redelivered event queues round 1 again, which the chain's
    progress then refuses."""
    if _STEPS[kind](ctx.tenant_id, params):
        queue.send(_message(kind, ctx.tenant_id, ctx.event_id, 1, params, ctx.correlation_id))


def _message(kind: str, tenant_id: str, event_id: str, round_: int, params: dict[str, Any],
             correlation_id: str | None) -> Message:
    return {"kind": kind, "tenant_id": tenant_id, "job_id": f"{event_id}#{kind}#{round_}",
            "event_id": event_id, "round": round_, "params": params,
            "correlation_id": correlation_id}


def _progress_key(tenant_id: str, event_id: str, kind: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CONTINUATION", event_id, kind), "CONTINUATION"


def _done_round(tenant_id: str, event_id: str, kind: str) -> int:
    pk, sk = _progress_key(tenant_id, event_id, kind)
    try:
        return int(ContinuationItem.get(pk, sk, consistent_read=True).done_round or 0)
    except ContinuationItem.DoesNotExist:
        return 0


def _run(kind: str, step: Step, message: Message) -> None:
    log = observability.logger(SERVICE)
    tenant_id, event_id = str(message.get("tenant_id") or ""), str(message["event_id"])
    round_ = int(message["round"])
    pk, sk = _progress_key(tenant_id, event_id, kind)  # refuses a malformed tenant id
    if _done_round(tenant_id, event_id, kind) >= round_:
        log.info("continuation round done already; acknowledged",
                 extra={"job_id": message.get("job_id")})
        return
    if is_offboarded(SERVICE, tenant_id):
        log.info("tenant offboarded; continuation dropped", extra={"job_id": message.get("job_id")})
        return
    context.current().principal = Principal(kind="system", tenant_id=tenant_id,
                                            subject=f"{SERVICE}-jobs")
    if step(tenant_id, dict(message.get("params") or {})):
        queue.send(_message(kind, tenant_id, event_id, round_ + 1, dict(message["params"]),
                            message.get("correlation_id")))
    uow = UnitOfWork(SERVICE)
    uow.update(ContinuationItem(PK=pk, SK=sk),
               [ContinuationItem.kind.set(kind), ContinuationItem.done_round.set(round_),
                ContinuationItem.expires_at.set(clock.now() + PROGRESS_TTL)],
               condition=ContinuationItem.PK.does_not_exist()
               | (ContinuationItem.done_round < round_), label="progress")
    with contextlib.suppress(TransactionConflict):  # a concurrent duplicate finished it
        uow.commit()

