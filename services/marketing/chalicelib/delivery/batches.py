"""The sends queue: one message is up to 100 recipients of one campaign launch.

Pauses re-queue the batch for later; cancellations finish it without sending; throttling
fails it so SQS redelivers it after a back-off (its visibility grows with each receive).
A batch is counted done once (a marker in the same transaction as the counter), and the
last one done completes the campaign.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.audience import repository as people
from chalicelib.campaigns import logic as campaigns
from chalicelib.campaigns import repository as campaign_store
from chalicelib.campaigns.models import BatchDoneItem, CampaignItem
from chalicelib.config import queue_name
from chalicelib.delivery import providers, sender
from chalicelib.delivery import repository as sends
from chalicelib.queues import process
from chalicelib.suppressions import domain as suppression
from chalicelib.suppressions import repository as suppressions
from chalicelib.templates import logic as templates
from crm_shared import clock, context, observability
from crm_shared.unit_of_work import TransactionConflict

PAUSE_RECHECK_SECONDS = 300
MAX_BACKOFF = 900


def process_sends(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return process(lambda_event, _handle_record)


def _handle_record(record: Any) -> None:
    message = json.loads(record.body)
    context.begin(None)
    observability.bind("marketing", tenant_id=message.get("tenant_id"), correlation_id=None)
    try:
        send_batch(message, owner=str(record.message_id))
    except sender.Throttled:
        receives = int(record.attributes.approximate_receive_count or 1)
        _back_off(record, min(MAX_BACKOFF, 30 * 2 ** receives))
        raise


def _back_off(record: Any, seconds: int) -> None:
    """Stretch the failed message's visibility: SES throttling waits, then retries."""
    try:
        url = providers.sqs().get_queue_url(QueueName=queue_name("sends"))["QueueUrl"]
        providers.sqs().change_message_visibility(QueueUrl=url,
                                                  ReceiptHandle=record.receipt_handle,
                                                  VisibilityTimeout=seconds)
    except Exception:  # noqa: BLE001 - the default visibility still retries it
        observability.logger("marketing").warning("could not extend the visibility")


def send_batch(message: dict[str, Any], owner: str) -> dict[str, int]:
    """Deliver one batch; returns the outcomes by kind (for logs and tests)."""
    tenant_id, campaign_id = message["tenant_id"], message["campaign_id"]
    campaign = campaign_store.get(tenant_id, campaign_id)
    if campaign is None or campaign.launch_id != message["launch_id"]:
        return {}
    if campaign.status == "paused":
        providers.sqs().send_message(
            QueueUrl=providers.sqs().get_queue_url(QueueName=queue_name("sends"))["QueueUrl"],
            MessageBody=json.dumps(message, separators=(",", ":")),
            DelaySeconds=PAUSE_RECHECK_SECONDS)
        return {"paused": len(message["contact_ids"])}
    outcomes: dict[str, int] = {}
    if campaign.status != "cancelled":
        outcomes = _deliver_all(campaign, message["contact_ids"], owner)
    _batch_done(campaign, str(message["batch_id"]))
    return outcomes


def _deliver_all(campaign: CampaignItem, contact_ids: list[str], owner: str
                 ) -> dict[str, int]:
    tenant_id = campaign.tenant_id
    template = templates.repository.get_template(tenant_id, campaign.template_id)
    identity = templates.sender_for(tenant_id, campaign.sender_identity_id) \
        if campaign.channel == "email" else None
    job = sender.Job(tenant_id, campaign.channel, template, marketing=True, sender=identity,
                     campaign_id=campaign.campaign_id)
    found = people.get_people(tenant_id, contact_ids)
    keys = {c: sends.campaign_keys(tenant_id, campaign.campaign_id, c) for c in contact_ids}
    existing = sends.get_many(keys.values())
    addresses = {c: _address(campaign.channel, found.get(c)) for c in contact_ids}
    digests = {c: suppression.address_hash(tenant_id, a) for c, a in addresses.items() if a}
    reasons = suppressions.reasons_of_many(tenant_id, digests.values())
    companies: dict[str, Any] = {}
    outcomes: dict[str, int] = {}
    for contact_id in dict.fromkeys(contact_ids):
        person = found.get(contact_id)
        company_id = (person.doc or {}).get("company_id") if person is not None else None
        if company_id and company_id not in companies:
            company = people.get_company(tenant_id, company_id)
            companies[company_id] = company.doc if company else None
        pk, sk = keys[contact_id]
        to = sender.Recipient(pk, sk, contact_id, addresses[contact_id], person,
                              companies.get(company_id) if company_id else None)
        outcome = sender.deliver(job, to, owner, existing.get((pk, sk)),
                                 reasons.get(digests.get(contact_id, ""), set()))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _address(channel: str, person: Any) -> str | None:
    if person is None:
        return None
    raw = person.email if channel == "email" else person.phone
    return suppression.lenient(channel, raw) if raw else None


def _batch_done(campaign: CampaignItem, batch_id: str) -> None:
    uow = campaign_store.unit_of_work()
    uow.put(campaign_store.batch_done(campaign.tenant_id, campaign.campaign_id, batch_id,
                                      clock.iso()),
            condition=BatchDoneItem.PK.does_not_exist(), label="batch")
    uow.update(campaign_store.key(campaign.tenant_id, campaign.campaign_id),
               [CampaignItem.done_batches.add(1)], label="campaign")
    try:
        uow.commit()
    except TransactionConflict:
        return  # counted by an earlier delivery of this batch
    campaigns.try_complete(campaign.tenant_id, campaign.campaign_id)
