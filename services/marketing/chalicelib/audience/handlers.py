"""Keep the read model from the contacts, sales and marketing events.

Each handler reads the person, keeps the newer of the stored and announced record (events
arrive in any order), writes it with its version inside the event's transaction, then
re-checks the tenant's dynamic segments against what it wrote. Membership writes are
idempotent on their own (segments.membership), so a retried event re-applies them safely.
"""

from __future__ import annotations

from typing import Any

from chalicelib.audience import domain, repository
from chalicelib.audience.models import PersonItem
from chalicelib.consumers import consumer
from chalicelib.delivery import repository as sends
from chalicelib.segments import membership
from chalicelib.suppressions import domain as suppression_rules
from chalicelib.suppressions.logic import suppress_item
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import (
    CompanyCreated,
    CompanyDeleted,
    CompanyMerged,
    CompanyUpdated,
    ConsentChanged,
    ContactCreated,
    ContactDeleted,
    ContactErased,
    ContactMerged,
    ContactUpdated,
)
from crm_shared.events.marketing_events import LinkClicked, MessageOpened
from crm_shared.events.sales_events import OpportunityWon
from crm_shared.unit_of_work import UnitOfWork

CONSENT_CHANNELS = ("email", "sms")


def _person(tenant_id: str, contact_id: str) -> PersonItem:
    return repository.get_person(tenant_id, contact_id) or repository.new_person(tenant_id,
                                                                                 contact_id)


def _save(uow: UnitOfWork, person: PersonItem) -> None:
    repository.index_person(person)
    uow.put(person, label=f"version_person_{person.contact_id}")


def _upsert(uow: UnitOfWork, tenant_id: str, contact_id: str,
            record: dict[str, Any]) -> PersonItem:
    person = _person(tenant_id, contact_id)
    if domain.newer(record.get("updated_at"), person.contact_updated_at):
        person.doc, person.email, person.phone = domain.project(record)
        person.contact_updated_at = record.get("updated_at") or ""
    _save(uow, person)
    return person


def _forget(uow: UnitOfWork, tenant_id: str, contact_id: str) -> PersonItem | None:
    """Drop a person from the read model and every segment (delete, merge, erasure)."""
    membership.drop_person(tenant_id, contact_id)
    person = repository.get_person(tenant_id, contact_id)
    if person is not None:
        uow.delete(person, label=f"version_person_{contact_id}")
    return person


@consumer.on(ContactCreated)
def contact_created(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    person = _upsert(uow, ctx.tenant_id, event.contact_id, event.contact)
    membership.refresh(ctx.tenant_id, person)


@consumer.on(ContactUpdated)
def contact_updated(event: ContactUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    person = _upsert(uow, ctx.tenant_id, event.contact_id, event.contact)
    membership.refresh(ctx.tenant_id, person)


@consumer.on(ContactDeleted)
def contact_deleted(event: ContactDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    _forget(uow, ctx.tenant_id, event.contact_id)


@consumer.on(ContactMerged)
def contact_merged(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The survivor takes the merged people's behaviour (opens, clicks, won deals)."""
    survivor = _person(ctx.tenant_id, event.contact_id)
    for merged_id in event.merged_ids:
        if merged_id == event.contact_id:
            continue
        gone = _forget(uow, ctx.tenant_id, merged_id)
        if gone is not None:
            survivor.opened = set(survivor.opened or ()) | set(gone.opened or ()) or None
            survivor.clicked = set(survivor.clicked or ()) | set(gone.clicked or ()) or None
            survivor.won = bool(survivor.won or gone.won)
    if domain.newer(event.contact.get("updated_at"), survivor.contact_updated_at):
        survivor.doc, survivor.email, survivor.phone = domain.project(event.contact)
        survivor.contact_updated_at = event.contact.get("updated_at") or ""
    _save(uow, survivor)
    membership.refresh(ctx.tenant_id, survivor)


@consumer.on(ContactErased)
def contact_erased(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """Purge the person (projection, memberships, send records); keep only hashed
    suppressions of their addresses, so an erased person is never messaged again."""
    person = _forget(uow, ctx.tenant_id, event.contact_id)
    sends.forget_sends(ctx.tenant_id, event.contact_id)
    if person is None:
        return
    for channel, address in (("email", person.email), ("sms", person.phone)):
        if address:
            digest = suppression_rules.address_hash(
                ctx.tenant_id, suppression_rules.lenient(channel, address))
            # a plain put: a redelivery writes the same hash and reason again
            uow.put(suppress_item(ctx.tenant_id, channel, None, "erased", digest=digest),
                    label=f"erased_{channel}")


@consumer.on(ConsentChanged)
def consent_changed(event: ConsentChanged, ctx: EventContext, uow: UnitOfWork) -> None:
    if event.channel not in CONSENT_CHANNELS:
        return
    person = _person(ctx.tenant_id, event.contact_id)
    if not domain.newer(event.changed_at, getattr(person, f"consent_{event.channel}_at")):
        return
    setattr(person, f"consent_{event.channel}", event.status)
    setattr(person, f"consent_{event.channel}_at", event.changed_at)
    _save(uow, person)
    membership.refresh(ctx.tenant_id, person)


@consumer.on(OpportunityWon)
def opportunity_won(event: OpportunityWon, ctx: EventContext, uow: UnitOfWork) -> None:
    for contact_id in dict.fromkeys(event.opportunity.get("contact_ids") or []):
        person = _person(ctx.tenant_id, str(contact_id))
        if not person.won:
            person.won = True
            _save(uow, person)
            membership.refresh(ctx.tenant_id, person)


def _engaged(uow: UnitOfWork, tenant_id: str, contact_id: str | None,
             campaign_id: str | None, attribute: str) -> None:
    if not contact_id or not campaign_id:
        return
    person = _person(tenant_id, contact_id)
    seen = set(getattr(person, attribute) or ())
    if campaign_id not in seen:
        setattr(person, attribute, seen | {campaign_id})
        _save(uow, person)
        membership.refresh(tenant_id, person)


@consumer.on(MessageOpened)
def message_opened(event: MessageOpened, ctx: EventContext, uow: UnitOfWork) -> None:
    _engaged(uow, ctx.tenant_id, event.contact_id, event.campaign_id, "opened")


@consumer.on(LinkClicked)
def link_clicked(event: LinkClicked, ctx: EventContext, uow: UnitOfWork) -> None:
    _engaged(uow, ctx.tenant_id, event.contact_id, event.campaign_id, "clicked")


def _company(uow: UnitOfWork, tenant_id: str, company_id: str,
             record: dict[str, Any]) -> None:
    stored = repository.get_company(tenant_id, company_id)
    if stored is None or domain.newer(record.get("updated_at"), stored.updated_at):
        uow.put(repository.new_company(tenant_id, company_id, domain.project_company(record),
                                       record.get("updated_at")), label="company")


@consumer.on(CompanyCreated)
def company_created(event: CompanyCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    _company(uow, ctx.tenant_id, event.company_id, event.company)


@consumer.on(CompanyUpdated)
def company_updated(event: CompanyUpdated, ctx: EventContext, uow: UnitOfWork) -> None:
    _company(uow, ctx.tenant_id, event.company_id, event.company)


@consumer.on(CompanyMerged)
def company_merged(event: CompanyMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    for merged_id in event.merged_ids:
        if merged_id != event.company_id:
            uow.delete(repository.new_company(ctx.tenant_id, merged_id, {}, None))
    _company(uow, ctx.tenant_id, event.company_id, event.company)


@consumer.on(CompanyDeleted)
def company_deleted(event: CompanyDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    uow.delete(repository.new_company(ctx.tenant_id, event.company_id, {}, None))
