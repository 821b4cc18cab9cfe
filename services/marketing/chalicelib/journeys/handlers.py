"""Events that start journeys, run their first steps and wake their waits."""

from __future__ import annotations

from typing import Any

from chalicelib.consumers import consumer
from chalicelib.journeys import domain, logic, repository, runner
from crm_shared.events.automation_events import JourneyStartRequested
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import (
    ConsentChanged,
    ContactCreated,
    ContactDeleted,
    ContactErased,
    ContactMerged,
    ContactUpdated,
)
from crm_shared.events.marketing_events import (
    FormSubmitted,
    JourneyEntered,
    LinkClicked,
    MessageOpened,
)
from crm_shared.events.sales_events import OpportunityWon
from crm_shared.unit_of_work import UnitOfWork

MAX_ENTRIES_PER_EVENT = 20  # each entry is 4 items of the event's one transaction


def start_journeys(event: Any, ctx: EventContext, uow: UnitOfWork) -> None:
    """Enter the event's contacts into every active journey it triggers (filter matched)."""
    if isinstance(event, JourneyStartRequested):
        journey = repository.get(ctx.tenant_id, event.journey_id)
        journeys = [journey] if journey is not None and journey.status == "active" else []
    else:
        data = event.model_dump(mode="json")
        journeys = [j for j in repository.triggered_by(ctx.tenant_id, event.detail_type())
                    if domain.matches(j.trigger.get("filter"), data)]
    entries = 0
    for journey in journeys:
        for contact_id in domain.contact_ids_of(event):
            if entries >= MAX_ENTRIES_PER_EVENT:
                return
            entries += logic.enroll(uow, journey, contact_id) is not None


for _cls in (ContactCreated, ContactUpdated, ConsentChanged, FormSubmitted, OpportunityWon,
             MessageOpened, LinkClicked, JourneyStartRequested):
    assert _cls.detail_type() in domain.TRIGGERS
    consumer.on(_cls)(start_journeys)


@consumer.on(JourneyEntered)
def journey_entered(event: JourneyEntered, ctx: EventContext, uow: UnitOfWork) -> None:
    """Run the first steps (the entry committed: every acknowledged entry starts)."""
    if event.enrollment_id:
        runner.run(ctx.tenant_id, event.enrollment_id)


@consumer.on(MessageOpened)
def wake_on_open(event: MessageOpened, ctx: EventContext, uow: UnitOfWork) -> None:
    if event.campaign_id is None:
        runner.wake(ctx.tenant_id, event.contact_id, event.message_id)


@consumer.on(LinkClicked)
def wake_on_click(event: LinkClicked, ctx: EventContext, uow: UnitOfWork) -> None:
    if event.campaign_id is None:
        runner.wake(ctx.tenant_id, event.contact_id, event.message_id)


@consumer.on(ContactDeleted)
def stop_deleted(event: ContactDeleted, ctx: EventContext, uow: UnitOfWork) -> None:
    runner.stop(ctx.tenant_id, event.contact_id, "contact_deleted")


@consumer.on(ContactErased)
def stop_erased(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """No journey step reaches an erased person (their journey sends are erased with the
    other send records, found by the contact's refs)."""
    runner.stop(ctx.tenant_id, event.contact_id, "contact_erased")


@consumer.on(ContactMerged)
def stop_merged(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    for contact_id in event.merged_ids:
        runner.stop(ctx.tenant_id, contact_id, "contact_merged")
