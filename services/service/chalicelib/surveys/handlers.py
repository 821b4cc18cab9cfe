"""Survey reactions: CSAT on resolution, the message to marketing, low scores, the NPS
schedule of each contact, and contacts' erasure and merges."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.config import logic as config_logic
from chalicelib.consumers import consumer
from chalicelib.surveys import domain, logic, repository
from chalicelib.tickets import domain as ticket_rules
from chalicelib.tickets import logic as tickets
from chalicelib.tickets import repository as ticket_store
from crm_shared import clock
from crm_shared.events.consumer import EventContext
from crm_shared.events.contacts_events import ContactCreated, ContactErased, ContactMerged
from crm_shared.events.service_events import SurveyResponded, SurveySent, TicketResolved
from crm_shared.messaging import send_message_command
from crm_shared.unit_of_work import UnitOfWork

ACTOR = logic.ACTOR


@consumer.on(TicketResolved)
def send_csat(event: TicketResolved, ctx: EventContext, uow: UnitOfWork) -> None:
    """A CSAT survey to the ticket's person (its contact, or the address it came from)."""
    config = config_logic.read(ctx.tenant_id)
    if not domain.settings(config)["csat_enabled"]:
        return
    ticket = event.ticket
    contact_id = ticket.get("contact_id")
    address = (ticket.get("properties") or {}).get("requester_email")
    if not contact_id and not address:
        return  # nobody to ask
    logic.stage_survey(uow, ctx.tenant_id, domain.CSAT, contact_id=contact_id,
                       to_address=address, ticket_id=event.ticket_id, config=config)


@consumer.on(SurveySent)
def send_survey_message(event: SurveySent, ctx: EventContext, uow: UnitOfWork) -> None:
    """Marketing sends it once per survey (the idempotency key), however often this runs."""
    send_message_command(logic.message(ctx.tenant_id, event))


@consumer.on(SurveyResponded)
def follow_up(event: SurveyResponded, ctx: EventContext, uow: UnitOfWork) -> None:
    """A low CSAT reopens its ticket (a closed one gets a follow-up ticket); an NPS
    detractor gets a follow-up ticket; each as the tenant's settings say."""
    settings = logic.settings(ctx.tenant_id)
    if not domain.is_low(event.kind, event.score):
        return
    if event.kind == domain.CSAT and settings["csat_reopen_on_low"] and event.ticket_id:
        item = ticket_store.get(ctx.tenant_id, event.ticket_id, consistent=True)
        if item is None or item.doc.get("erased"):
            return
        if item.doc.get("status") == ticket_rules.RESOLVED:
            tickets.stage_change(uow, item, {"status": ticket_rules.OPEN}, ACTOR,
                                 reason="csat")
            return
        if item.doc.get("status") != ticket_rules.CLOSED:
            return  # reopened meanwhile: someone is on it
    elif not (event.kind == domain.NPS and settings["nps_follow_up_on_detractor"]):
        return
    tickets.stage_create(uow, ctx.tenant_id, {
        "subject": f"Follow up: {event.kind.upper()} score {event.score}",
        "description": event.comment, "channel": "email", "type": "complaint",
        "contact_id": event.contact_id, "tags": [f"{event.kind}-low"],
        "properties": {"survey_id": event.survey_id,
                       "follow_up_of": event.ticket_id}}, ACTOR)


@consumer.on(ContactCreated)
def schedule_nps(event: ContactCreated, ctx: EventContext, uow: UnitOfWork) -> None:
    """A new contact's first NPS survey falls due one interval from now."""
    if repository.nps_schedule(ctx.tenant_id, event.contact_id) is not None:
        return
    days = logic.settings(ctx.tenant_id)["nps_interval_days"]
    item = repository.new_nps_schedule(ctx.tenant_id, event.contact_id)
    repository.stage_nps_due(uow, item, clock.now() + timedelta(days=days), None)


@consumer.on(ContactErased)
def erase_responses(event: ContactErased, ctx: EventContext, uow: UnitOfWork) -> None:
    """GDPR: the person's survey comments go (scores stay, anonymous, for the metrics);
    no more surveys. Idempotent: a retry rewrites the same."""
    for item in list(repository.responses_of(ctx.tenant_id, event.contact_id)):
        item.comment, item.contact_id, item.erased = None, None, True
        repository.save_response(item)
    schedule = repository.nps_schedule(ctx.tenant_id, event.contact_id)
    if schedule is not None:
        uow.delete(schedule, label="nps_schedule")


@consumer.on(ContactMerged)
def repoint_responses(event: ContactMerged, ctx: EventContext, uow: UnitOfWork) -> None:
    """The merged people's responses are the survivor's; their NPS schedules go (the
    survivor keeps its own)."""
    for merged_id in event.merged_ids:
        for item in list(repository.responses_of(ctx.tenant_id, merged_id)):
            item.contact_id = event.contact_id
            repository.save_response(item)
        schedule = repository.nps_schedule(ctx.tenant_id, merged_id)
        if schedule is not None:
            uow.delete(schedule, label="nps_schedule")
