"""Send one message to one recipient exactly once: claim, send, record.

The send record is claimed with a conditional write BEFORE the provider is called and
marked sent AFTER, each a transaction of its own; a recipient whose record is final
(sent, skipped, failed, uncertain) is never sent to again, so redeliveries, duplicate
batches and retries send nothing twice and, resuming where they stopped, skip nobody.

The claim-then-send window (the choice, documented): a provider call that fails with an
answer (SES/SNS refused: throttling, rejection) or before reaching it (no connection)
releases or fails the claim, so the recipient is retried or reported. Only an attempt that
dies after the provider may have accepted the message and before the answer is recorded
(a process kill, a read timeout) leaves a claim nobody resolved. Its redelivery (same SQS
message, same `owner`) or any attempt after CLAIM_LEASE marks it `uncertain` instead of
sending again: at most once, never silently skipped (counted and listed as uncertain),
because SES and SNS take no idempotency key that would let us ask whether it went out.

Each transaction writes only the recipient's own items (its record, the provider's id, its
MessageSent): a campaign's counters and its channel's totals are added once per send batch
(delivery.batches), from the final records the batch made, so concurrent senders never
write the same item per recipient.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from chalicelib.delivery import compose, providers
from chalicelib.delivery import repository as sends
from chalicelib.delivery.models import SendItem
from chalicelib.suppressions import domain as suppression
from chalicelib.templates.models import SenderIdentityItem, TemplateItem
from chalicelib.tracking.tokens import Ref
from crm_shared import clock, observability
from crm_shared.events.marketing_events import MessageSent
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict

CLAIM_LEASE = timedelta(minutes=15)  # > the sends function's timeout (300 s)
FINAL = frozenset({"sent", "skipped", "failed", "uncertain"})
THROTTLED = frozenset({"Throttling", "ThrottlingException", "TooManyRequestsException",
                       "MaxSendingRateExceeded"})
NOT_SENT = (EndpointConnectionError, ConnectTimeoutError)


class Throttled(Exception):
    """The provider asked us to slow down: the batch is retried after its visibility."""


@dataclass
class Job:
    """What to send: the template (or an inline one), from whom, and under which rules."""

    tenant_id: str
    channel: str
    template: TemplateItem | None  # None: deleted since the launch (recipients fail)
    marketing: bool
    sender: SenderIdentityItem | None
    variables: dict[str, Any] = field(default_factory=dict)
    campaign_id: str | None = None
    batch_id: str | None = None  # the campaign send batch; its records carry it


@dataclass
class Recipient:
    pk: str
    sk: str
    contact_id: str | None
    address: str | None  # normalized; from the read model for contacts
    person: Any = None
    company: dict[str, Any] | None = None
    idempotency_key: str | None = None


def _log() -> Any:
    return observability.logger("marketing")


def _record(job: Job, to: Recipient, **fields: Any) -> SendItem:
    return sends.new_send(to.pk, to.sk, job.tenant_id, channel=job.channel,
                          campaign_id=job.campaign_id, batch_id=job.batch_id,
                          contact_id=to.contact_id,
                          idempotency_key=to.idempotency_key, **fields)


def refusal(job: Job, to: Recipient, reasons: set[str]) -> str | None:
    """Why this recipient may not get this message now, or None."""
    if to.contact_id and (to.person is None or to.person.doc is None):
        return "unknown_contact"
    if not to.address:
        return "no_address"
    if job.marketing and to.person is not None:
        status = to.person.consent_email if job.channel == "email" else to.person.consent_sms
        if job.channel == "sms" and status != "granted":
            return "no_consent"
        if status in {"denied", "unsubscribed", "pending"}:
            return "no_consent"
    return suppression.blocks(reasons, transactional=not job.marketing)


def _finish(job: Job, to: Recipient, owner: str, state: str, reason: str) -> bool:
    """claimed -> failed or uncertain; False when someone else resolved it meanwhile."""
    uow = sends.unit_of_work()
    uow.update(_record(job, to, message_id="", state=state),
               [SendItem.state.set(state), SendItem.reason.set(reason)],
               condition=(SendItem.state == "claimed") & (SendItem.claimed_by == owner),
               label="send")
    try:
        uow.commit()
    except TransactionConflict:
        return False
    return True


def _release(job: Job, to: Recipient, owner: str) -> None:
    """Give a claim back: the provider refused before sending, so a retry may send."""
    uow = sends.unit_of_work()
    uow.delete(_record(job, to, message_id="", state="claimed"),
               condition=(SendItem.state == "claimed") & (SendItem.claimed_by == owner),
               label="send")
    with contextlib.suppress(TransactionConflict):
        uow.commit()


def deliver(job: Job, to: Recipient, owner: str, existing: SendItem | None,
            reasons: set[str]) -> str:
    """Send to one recipient at most once; returns what happened (for logs and tests).

    `owner` is the SQS message id: stable across redeliveries of one message, different
    for a duplicate message, so a claim can tell "my dead attempt" from "a live other".
    Outcomes: `sent`, `skipped`, `failed` (a record this call made), `uncertain` (it resolved
    `existing`), `done` (`existing` was final) and `taken` (another attempt made or resolved
    the record meanwhile: read it to learn its state).
    """
    if existing is not None:
        if existing.state in FINAL:
            return "done"
        stale = (existing.claimed_at or "") < clock.iso(clock.now() - CLAIM_LEASE)
        if existing.claimed_by != owner and not stale:
            return "taken"
        if not _finish(job, Recipient(existing.PK, existing.SK, to.contact_id, to.address),
                       str(existing.claimed_by), "uncertain", "attempt_died_in_send"):
            return "taken"
        _log().warning("a send attempt died between the provider and its record; "
                       "not sent again", extra={"pk": existing.PK, "sk": existing.SK})
        return "uncertain"
    reason = refusal(job, to, reasons)
    if reason is not None:
        uow = sends.unit_of_work()
        uow.put(_record(job, to, message_id=new_id("msg"), state="skipped", reason=reason,
                        address=to.address), condition=SendItem.PK.does_not_exist(),
                label="send")
        try:
            uow.commit()
        except TransactionConflict:
            return "taken"
        return "skipped"
    return _claim_and_send(job, to, owner)


def _claim_and_send(job: Job, to: Recipient, owner: str) -> str:
    assert to.address is not None
    claim = _record(job, to, message_id=new_id("msg"), state="claimed", claimed_by=owner,
                    claimed_at=clock.iso(), address=to.address)
    uow = sends.unit_of_work()
    uow.put(claim, condition=SendItem.PK.does_not_exist(), label="send")
    try:
        uow.commit()
    except TransactionConflict:
        return "taken"
    ref = Ref(job.tenant_id, to.pk.split("#", 2)[2], to.sk) if job.marketing else None
    try:
        if job.template is None:
            raise ValueError("no such template (deleted?)")
        context = {**_context(to), "variables": job.variables}
        composed = compose.compose(job.template, context, ref, job.marketing)
        if job.channel == "email" and job.sender is None:
            raise ValueError("the tenant has no sender identity")
    except ValueError as exc:
        return "failed" if _finish(job, to, owner, "failed", str(exc)[:500]) else "taken"
    try:
        provider_id = _send(job, to, composed)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
        if code in THROTTLED:
            _release(job, to, owner)
            raise Throttled(code) from exc
        return "failed" if _finish(job, to, owner, "failed", code) else "taken"
    except NOT_SENT:
        _release(job, to, owner)
        raise
    _sent(job, to, owner, claim, provider_id, composed.links)
    return "sent"


def _context(to: Recipient) -> dict[str, Any]:
    from chalicelib.audience.domain import render_context

    context = render_context(to.person, to.company)
    if to.person is None:
        context["contact"]["email" if "@" in (to.address or "") else "phone"] = to.address
    return context


def _send(job: Job, to: Recipient, composed: compose.Composed) -> str:
    assert to.address is not None
    if job.channel == "sms":
        answer = providers.sns().publish(PhoneNumber=to.address, Message=composed.text or "")
        return str(answer["MessageId"])
    assert job.sender is not None
    raw = compose.mime(composed, job.sender.email, job.sender.name, to.address)
    answer = providers.ses().send_raw_email(Source=job.sender.email, Destinations=[to.address],
                                            RawMessage={"Data": raw})
    return str(answer["MessageId"])


def _sent(job: Job, to: Recipient, owner: str, claim: SendItem, provider_id: str,
          links: list[str]) -> None:
    now = clock.iso()
    uow = sends.unit_of_work()
    uow.update(claim, [SendItem.state.set("sent"), SendItem.sent_at.set(now),
                       SendItem.provider_message_id.set(provider_id),
                       SendItem.links.set(links)],
               condition=(SendItem.state == "claimed") & (SendItem.claimed_by == owner),
               label="send")
    claim.provider_message_id = provider_id
    uow.put(sends.provider_ref(provider_id, claim), label="provider_ref")
    uow.emit(MessageSent(message_id=claim.message_id, channel=job.channel,
                         contact_id=to.contact_id, campaign_id=job.campaign_id,
                         idempotency_key=to.idempotency_key, provider_message_id=provider_id,
                         sent_at=now), job.tenant_id)
    uow.commit()
