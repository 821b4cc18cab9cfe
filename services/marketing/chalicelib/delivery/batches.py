"""The sends queue: one message is up to 100 recipients of one campaign launch.

Pauses re-queue the batch for later; cancellations finish it without sending; throttling
fails it so SQS redelivers it after a back-off (its visibility grows with each receive).

Counting: a recipient's transactions write only its own items; the campaign's counters
and its channel's totals are added once per batch, in one transaction with the batch's
done marker (conditional: a redelivered or duplicated batch finds it and adds nothing),
after every recipient of the batch has a final record. What it adds is read from those
records, not from what this attempt did: every record carries the batch that made it, and
a batch counts the final records it made (a contact in two batches counts in the one that
made its record). So a batch that died midway and is redelivered counts the recipients
its first attempt finished and the ones its redelivery finishes, each once. A recipient
held by another live attempt (a duplicate message) or given back by one fails the batch
with a back-off, since its count is not known yet. The last batch done completes the
campaign.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from typing import Any

from chalicelib.audience import repository as people
from chalicelib.campaigns import logic as campaigns
from chalicelib.campaigns import repository as campaign_store
from chalicelib.campaigns.models import BatchDoneItem, CampaignItem
from chalicelib.config import queue_name
from chalicelib.delivery import providers, sender
from chalicelib.delivery import repository as sends
from chalicelib.queues import process
from chalicelib.retries import retrying
from chalicelib.suppressions import domain as suppression
from chalicelib.suppressions import repository as suppressions
from chalicelib.templates import logic as templates
from crm_shared import clock, context, observability
from crm_shared.unit_of_work import TransactionConflict

PAUSE_RECHECK_SECONDS = 300
MAX_BACKOFF = 900


class Unsettled(Exception):
    """A recipient of the batch is held by another attempt, or was given back by one: the
    batch cannot be counted yet, so it is retried after a back-off (as throttling is)."""


def process_sends(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return process(lambda_event, _handle_record)


def _handle_record(record: Any) -> None:
    message = json.loads(record.body)
    context.begin(None)
    observability.bind("marketing", tenant_id=message.get("tenant_id"), correlation_id=None)
    try:
        send_batch(message, owner=str(record.message_id))
    except (sender.Throttled, Unsettled):
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
    batch_id = str(message["batch_id"])
    contact_ids = list(dict.fromkeys(message["contact_ids"]))
    outcomes: dict[str, int] = {}
    if campaign.status == "cancelled":
        tally = _made_by(campaign, contact_ids, batch_id)
    else:
        outcomes, tally = _deliver_all(campaign, contact_ids, owner, batch_id)
    _batch_done(campaign, batch_id, tally)
    return outcomes


def _made_by(campaign: CampaignItem, contact_ids: list[str], batch_id: str) -> Counter[str]:
    """A cancelled batch sends nothing more: it counts the final records it made before."""
    keys = [sends.campaign_keys(campaign.tenant_id, campaign.campaign_id, c)
            for c in contact_ids]
    return Counter(str(r.state) for r in sends.get_many(keys).values()
                   if r.batch_id == batch_id and r.state in sender.FINAL)


def _deliver_all(campaign: CampaignItem, contact_ids: list[str], owner: str, batch_id: str
                 ) -> tuple[dict[str, int], Counter[str]]:
    """Deliver to each recipient; returns the outcomes and the final states of the records
    this batch made (in this attempt or an earlier one), once every record is final."""
    tenant_id = campaign.tenant_id
    template = templates.repository.get_template(tenant_id, campaign.template_id)
    identity = templates.sender_for(tenant_id, campaign.sender_identity_id) \
        if campaign.channel == "email" else None
    job = sender.Job(tenant_id, campaign.channel, template, marketing=True, sender=identity,
                     campaign_id=campaign.campaign_id, batch_id=batch_id)
    found = people.get_people(tenant_id, contact_ids)
    keys = {c: sends.campaign_keys(tenant_id, campaign.campaign_id, c) for c in contact_ids}
    existing = sends.get_many(keys.values())
    addresses = {c: _address(campaign.channel, found.get(c)) for c in contact_ids}
    digests = {c: suppression.address_hash(tenant_id, a) for c, a in addresses.items() if a}
    reasons = suppressions.reasons_of_many(tenant_id, digests.values())
    companies: dict[str, Any] = {}
    outcomes: dict[str, int] = {}
    tally: Counter[str] = Counter()
    unknown: list[tuple[str, str]] = []
    for contact_id in contact_ids:
        person = found.get(contact_id)
        company_id = (person.doc or {}).get("company_id") if person is not None else None
        if company_id and company_id not in companies:
            company = people.get_company(tenant_id, company_id)
            companies[company_id] = company.doc if company else None
        pk, sk = keys[contact_id]
        to = sender.Recipient(pk, sk, contact_id, addresses[contact_id], person,
                              companies.get(company_id) if company_id else None)
        before = existing.get((pk, sk))
        outcome = sender.deliver(job, to, owner, before,
                                 reasons.get(digests.get(contact_id, ""), set()))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome in sender.FINAL:  # made now (before is None) or `before` resolved now
            made_by = batch_id if before is None else before.batch_id
            tally[outcome] += made_by == batch_id
        elif outcome == "done" and before is not None:
            tally[str(before.state)] += before.batch_id == batch_id
        else:  # taken: another attempt made or resolved it meanwhile
            unknown.append((pk, sk))
    if unknown:
        now = sends.get_many(unknown)
        for key in unknown:
            record = now.get(key)
            if record is None or record.state not in sender.FINAL:
                raise Unsettled(f"{len(unknown)} recipients held by another attempt")
            tally[str(record.state)] += record.batch_id == batch_id
    return outcomes, +tally


def _address(channel: str, person: Any) -> str | None:
    if person is None:
        return None
    raw = person.email if channel == "email" else person.phone
    return suppression.lenient(channel, raw) if raw else None


def _batch_done(campaign: CampaignItem, batch_id: str, tally: Counter[str]) -> None:
    """The batch's marker, its outcomes on the campaign's counters and its channel's totals,
    and one more done batch: one transaction, once per batch id. Then complete the campaign
    if it was the last (again on a redelivery: an attempt may have died in between)."""
    tenant_id, campaign_id = campaign.tenant_id, campaign.campaign_id

    def commit() -> None:
        uow = campaign_store.unit_of_work()
        uow.put(campaign_store.batch_done(tenant_id, campaign_id, batch_id, clock.iso()),
                condition=BatchDoneItem.PK.does_not_exist(), label="batch")
        campaigns.count(tenant_id, campaign_id, uow, channel=campaign.channel,
                        done_batches=1, **tally)
        # a failed condition: counted by an earlier delivery of this batch (or no campaign)
        with contextlib.suppress(TransactionConflict):
            uow.commit()

    retrying(commit)
    retrying(lambda: campaigns.try_complete(tenant_id, campaign_id))
