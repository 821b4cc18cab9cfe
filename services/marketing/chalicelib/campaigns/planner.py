"""The campaign planner: fans a launch's recipients out to the sends queue, in chunks.

Runs on CampaignLaunched (from the outbox, so an acknowledged launch is always planned).
Each chunk reads PLAN_PAGE members of one segment and queues them RECIPIENTS_PER_SEND_MESSAGE
to a message (0.01 send messages per recipient, 0.002 planner messages). A chunk
(1) returns if the campaign's progress shows it done, (2) queues its send batches and the
next chunk, (3) advances the progress conditionally. A crash between (2) and (3) makes a
redelivery queue the same batches again: harmless, since every recipient is claimed once
(delivery.sender) and every batch is counted done once. A contact in two segments is
queued twice and sent once. With `throttle_per_minute`, send batches are delayed so the
campaign keeps to its rate (SQS delays cap at 15 minutes a message).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from chalicelib.campaigns import logic, repository
from chalicelib.campaigns.models import CampaignItem
from chalicelib.config import PLAN_PAGE, RECIPIENTS_PER_SEND_MESSAGE, queue_name
from chalicelib.consumers import consumer
from chalicelib.delivery import providers
from chalicelib.jobs import handler, queue, send
from chalicelib.segments import repository as segments
from crm_shared.events.consumer import EventContext
from crm_shared.events.marketing_events import CampaignLaunched
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

MAX_DELAY = 900


@consumer.on(CampaignLaunched)
def campaign_launched(event: CampaignLaunched, ctx: EventContext, uow: UnitOfWork) -> None:
    send({"kind": "campaign.plan", "tenant_id": ctx.tenant_id,
          "campaign_id": event.campaign_id, "launch_id": event.launch_id, "chunk": 0,
          "segment_index": 0, "position": None})


def _queue_sends(messages: list[dict[str, Any]], delays: list[int]) -> None:
    sqs = providers.sqs()
    url = _send_queue_url()
    for start in range(0, len(messages), 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps(m, separators=(",", ":")),
                    "DelaySeconds": delays[start + i]}
                   for i, m in enumerate(messages[start:start + 10])]
        result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if result.get("Failed"):
            raise RuntimeError(f"SQS refused {len(result['Failed'])} send batches")


def _queue_next(message: dict[str, Any], delay: int) -> None:
    """The next chunk, after this chunk's batches had their window (the throttle)."""
    if not delay:
        send(message)
        return
    queue.sqs.send_message(QueueUrl=queue.url, DelaySeconds=delay,
                           MessageBody=json.dumps(message, separators=(",", ":")))


_urls: dict[str, str] = {}


def _send_queue_url() -> str:
    name = queue_name("sends")
    if name not in _urls:
        _urls[name] = providers.sqs().get_queue_url(QueueName=name)["QueueUrl"]
    return _urls[name]


@handler("campaign.plan")
def plan_chunk(message: dict[str, Any]) -> None:
    tenant_id, campaign_id = message["tenant_id"], message["campaign_id"]
    chunk = int(message["chunk"])
    campaign = repository.get(tenant_id, campaign_id)
    if campaign is None or campaign.launch_id != message["launch_id"]:
        return
    if int(campaign.plan_chunk or 0) > chunk or campaign.planning_done:
        return  # an earlier delivery of this chunk finished it
    if campaign.status == "cancelled":
        _advance(campaign, chunk, 0, 0, done=True)
        return
    segment_ids = list(campaign.segment_ids or [])
    index = int(message["segment_index"])
    members, position = segments.members_page(tenant_id, segment_ids[index], PLAN_PAGE,
                                              message.get("position")) \
        if index < len(segment_ids) else ([], None)
    contact_ids = [m.contact_id for m in members]
    batches = [contact_ids[i:i + RECIPIENTS_PER_SEND_MESSAGE]
               for i in range(0, len(contact_ids), RECIPIENTS_PER_SEND_MESSAGE)]
    rate = int(campaign.throttle_per_minute or 0)
    step = (RECIPIENTS_PER_SEND_MESSAGE * 60 // rate) if rate else 0
    _queue_sends([{"kind": "campaign", "tenant_id": tenant_id, "campaign_id": campaign_id,
                   "launch_id": campaign.launch_id, "batch_id": f"{chunk}.{i}",
                   "contact_ids": batch} for i, batch in enumerate(batches)],
                 [min(MAX_DELAY, i * step) for i in range(len(batches))])
    if position is None:
        index, position = index + 1, None
    done = index >= len(segment_ids)
    if not done:
        _queue_next({**message, "chunk": chunk + 1, "segment_index": index,
                     "position": position}, min(MAX_DELAY, len(batches) * step))
    _advance(campaign, chunk, len(contact_ids), len(batches), done)


def _advance(campaign: CampaignItem, chunk: int, recipients: int, batches: int,
             done: bool) -> None:
    actions = [CampaignItem.plan_chunk.set(chunk + 1), CampaignItem.planned.add(recipients),
               CampaignItem.planned_batches.add(batches)]
    if done:
        actions.append(CampaignItem.planning_done.set(True))
    uow = repository.unit_of_work()
    uow.update(repository.key(campaign.tenant_id, campaign.campaign_id), actions,
               condition=CampaignItem.plan_chunk == chunk, label="progress")
    if recipients:
        from chalicelib.roi import logic as roi

        roi.count_channel(uow, campaign.tenant_id, campaign.channel, planned=recipients)
    with contextlib.suppress(TransactionConflict):  # a concurrent duplicate counted it
        uow.commit()
    if done:
        logic.try_complete(campaign.tenant_id, campaign.campaign_id)
