"""ContactRequested: the service got an email from an address no contact has.

The contact is made by the contacts feature's own create (normalized address, the display
name as first and last name) and staged in the consumer's one transaction with its
idempotency marker, so a redelivery creates nothing twice. The email claim is the guard
against a duplicate: an address some contact holds already creates nothing (the service's
projection of that contact links the waiting tickets), and a create racing this one fails
the claim, so the retry finds the holder and does nothing. Everything is read and written
in the event's own tenant.
"""

from __future__ import annotations

from pydantic import ValidationError

from chalicelib import SERVICE
from chalicelib.consumers import consumer
from chalicelib.contacts import logic, repository
from chalicelib.contacts.schemas import ContactCreate, EmailIn
from chalicelib.conversion.domain import split_name
from crm_shared import observability
from crm_shared.errors import ValidationFailed
from crm_shared.events.consumer import EventContext
from crm_shared.events.service_events import ContactRequested
from crm_shared.unit_of_work import UnitOfWork

NAME_LIMIT = 200  # ContactFields' first_name and last_name


@consumer.on(ContactRequested)
def create_requested(event: ContactRequested, ctx: EventContext, uow: UnitOfWork) -> None:
    names = {k: v[:NAME_LIMIT] for k, v in split_name(event.name).items()}
    try:
        item = logic.new_contact(ctx.tenant_id, ContactCreate(
            **names, emails=[EmailIn(address=event.email)], source=event.channel[:100] or None))
    except (ValidationError, ValidationFailed) as problem:
        observability.logger(SERVICE).info(
            "contact requested for an address that is no email; acknowledged",
            extra={"event_id": ctx.event_id, "problem": type(problem).__name__})
        return
    address = item.doc["emails"][0]["address"]
    if repository.claim_owner(ctx.tenant_id, "EMAIL", address):
        return  # someone has it: their ContactCreated linked it in the service already
    logic.stage_new(uow, item)
