"""The transactional messages queue: other services' `MessageCommand`s, each sent once.

The send record is keyed on the command's idempotency key (per tenant), so a repeated
command, a redelivery or a retry finds it and sends nothing twice (delivery.sender). A
command that cannot be read fails to the DLQ after its retries, where an operator sees it;
one that can be read but not sent (unknown template or contact, suppressed address) is
recorded as skipped or failed with its reason.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from chalicelib.audience import repository as people
from chalicelib.delivery import repository as sends
from chalicelib.delivery import sender
from chalicelib.queues import process
from chalicelib.suppressions import domain as suppression
from chalicelib.suppressions import repository as suppressions
from chalicelib.templates import logic as templates
from chalicelib.templates import rendering
from chalicelib.templates.models import TemplateItem
from crm_shared import context, observability
from crm_shared.errors import ValidationFailed
from crm_shared.messaging import MessageCommand


def process_messages(lambda_event: dict[str, Any]) -> dict[str, Any]:
    return process(lambda_event, _handle_record)


def _handle_record(record: Any) -> None:
    try:
        command = MessageCommand.model_validate_json(record.body)
    except ValidationError as exc:
        observability.logger("marketing").error(
            "unreadable message command; it will reach the DLQ",
            extra={"message_id": record.message_id, "errors": exc.errors(include_url=False)})
        raise
    context.begin(None)
    observability.bind("marketing", tenant_id=command.tenant_id, correlation_id=None)
    send_command(command, owner=str(record.message_id))


def _template(command: MessageCommand) -> TemplateItem | None:
    """The named template (None if unknown), or the inline one, checked like any other."""
    if command.template_id is not None:
        found = templates.repository.get_template(command.tenant_id, command.template_id)
        return found if found is not None and found.channel == command.channel else None
    for name, value in (("subject", command.subject), ("text", command.text)):
        if value:
            rendering.check(name, value)
    if command.html:
        rendering.check("html", command.html, html=True)
    return templates.repository.new_template(
        command.tenant_id, "inline", name="inline", channel=command.channel,
        purpose="transactional", subject=command.subject, html=command.html,
        text=command.text, created_at="", updated_at="")


def send_command(command: MessageCommand, owner: str) -> str:
    tenant_id = command.tenant_id
    pk, sk = sends.message_keys(tenant_id, command.idempotency_key)
    existing = sends.get(pk, sk)
    if existing is not None and existing.state in sender.FINAL:
        return "done"
    try:
        template = _template(command)
    except ValidationFailed:
        template = None
    identity = templates.sender_for(tenant_id, command.sender_identity_id) \
        if command.channel == "email" else None
    job = sender.Job(tenant_id, command.channel, template, marketing=False, sender=identity,
                     variables=dict(command.variables))
    person, company, address = None, None, None
    if command.to_contact_id is not None:
        person = people.get_person(tenant_id, command.to_contact_id)
        raw = None if person is None else (person.email if command.channel == "email"
                                           else person.phone)
        address = suppression.lenient(command.channel, raw) if raw else None
        found = people.get_company(tenant_id, (person.doc or {}).get("company_id")) \
            if person is not None and person.doc else None
        company = found.doc if found is not None else None
    else:
        try:
            address = suppression.normalized(command.channel, str(command.to_address),
                                             "to_address")
        except ValidationFailed:
            address = None
    reasons = suppressions.reasons_of_many(
        tenant_id, [suppression.address_hash(tenant_id, address)] if address else [])
    to = sender.Recipient(pk, sk, command.to_contact_id, address, person, company,
                          idempotency_key=command.idempotency_key)
    return sender.deliver(job, to, owner, existing,
                          next(iter(reasons.values()), set()))
