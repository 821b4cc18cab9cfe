"""Survey use cases: send (staged with its event), answer once, settings, the message.

A survey is written with its SurveySent event in one transaction; the service's own
consumer turns that event into marketing's message command, keyed by the survey, so the
message goes out once however often the event is delivered.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from chalicelib.config import logic as config_logic
from chalicelib.surveys import domain, repository, tokens
from chalicelib.surveys.models import ResponseItem
from chalicelib.surveys.schemas import ResponseIn, ResponseOut
from crm_shared import clock
from crm_shared.errors import BadRequest, Conflict, ValidationFailed
from crm_shared.events.service_events import SurveyResponded, SurveySent
from crm_shared.ids import new_id
from crm_shared.messaging import MessageCommand
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

ACTOR = "system:surveys"
DEFAULT_LINK = "https://app.crm.dev/surveys/respond"
QUESTIONS = {domain.CSAT: "How satisfied are you with how we handled your request?",
             domain.NPS: "How likely are you to recommend us to a friend or colleague?"}


def settings(tenant_id: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return domain.settings(config if config is not None else config_logic.read(tenant_id))


def change_settings(tenant_id: str, sent: dict[str, Any]) -> dict[str, Any]:
    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        doc["surveys"] = {**(doc.get("surveys") or {}), **sent}
        return domain.settings(doc)

    return config_logic.change(tenant_id, edit)


def stage_survey(uow: UnitOfWork, tenant_id: str, kind: str, *, contact_id: str | None,
                 to_address: str | None, ticket_id: str | None,
                 config: dict[str, Any] | None = None) -> str:
    """A survey and its SurveySent event in the caller's transaction; returns its id."""
    valid = int(settings(tenant_id, config)["link_valid_days"])
    now = clock.now()
    expires = clock.iso(now + timedelta(days=valid))
    survey_id = new_id("srv")
    uow.put(repository.new_survey(tenant_id, survey_id, kind=kind, contact_id=contact_id,
                                  to_address=None if contact_id else to_address,
                                  ticket_id=ticket_id, sent_at=clock.iso(now),
                                  expires_at_iso=expires), label="survey")
    uow.emit(SurveySent(survey_id=survey_id, kind=kind, contact_id=contact_id,
                        to_address=None if contact_id else to_address, ticket_id=ticket_id,
                        expires_at=expires), tenant_id, ACTOR)
    return survey_id


def message(tenant_id: str, event: SurveySent) -> MessageCommand:
    """The email with one signed one-click link per score and one without a score."""
    from datetime import datetime

    expires = int(datetime.fromisoformat(event.expires_at.replace("Z", "+00:00")).timestamp())
    base = os.environ.get("CRM_SURVEY_LINK_BASE") or DEFAULT_LINK

    def link(score: int | None) -> str:
        token = tokens.make(tokens.Claims(tenant_id, event.survey_id, expires, score))
        return f"{base}?token={token}"

    scale = domain.SCALES[event.kind]
    links = {str(score): link(score) for score in scale}
    question = QUESTIONS[event.kind]
    about = f" (ticket {event.ticket_id})" if event.ticket_id else ""
    text = "\n".join([question + about, "",
                      *(f"{score}: {url}" for score, url in links.items()), "",
                      f"Or tell us more: {link(None)}"])
    html = (f"<p>{question}{about}</p><p>"
            + " ".join(f'<a href="{url}">{score}</a>' for score, url in links.items())
            + f'</p><p><a href="{link(None)}">Tell us more</a></p>')
    return MessageCommand(
        tenant_id=tenant_id, idempotency_key=f"survey-{event.survey_id}", channel="email",
        to_contact_id=event.contact_id, to_address=None if event.contact_id else
        event.to_address, subject="How did we do?" if event.kind == domain.CSAT else
        "A quick question", text=text, html=html, requested_by="service",
        variables={"survey_id": event.survey_id, "kind": event.kind})


def respond(body: ResponseIn) -> ResponseItem:
    """Record the answer a signed link allows, once; SurveyResponded goes with it."""
    claims = tokens.read(body.token)
    survey = repository.survey(claims.tenant_id, claims.survey_id)
    if survey is None:
        raise BadRequest.for_field("token", "names no survey (it may have been erased)")
    score = body.score if body.score is not None else claims.score
    if claims.score is not None and body.score is not None and body.score != claims.score:
        raise ValidationFailed.for_field("score", f"this link records {claims.score}")
    if score is None:
        raise ValidationFailed.for_field("score", "is required")
    domain.check_score(survey.kind, score)
    item = ResponseItem(response_id=new_id("rsp"), survey_id=survey.survey_id,
                        tenant_id=survey.tenant_id, kind=survey.kind, score=score,
                        comment=body.comment or None, contact_id=survey.contact_id,
                        ticket_id=survey.ticket_id, responded_at=clock.iso())
    uow = repository.unit_of_work()
    repository.stage_response(uow, item)
    uow.emit(SurveyResponded(survey_id=item.survey_id, response_id=item.response_id,
                             kind=item.kind, score=score, comment=item.comment,
                             contact_id=item.contact_id, ticket_id=item.ticket_id,
                             responded_at=item.responded_at), item.tenant_id, "public:survey")
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if repository.CLAIM in conflict.labels:
            raise Conflict.for_field("token", "this survey was answered already",
                                     code="token_used") from None
        raise
    return item


def shown(item: ResponseItem) -> ResponseOut:
    return ResponseOut(response_id=item.response_id, survey_id=item.survey_id, kind=item.kind,
                       score=int(item.score), comment=item.comment, contact_id=item.contact_id,
                       ticket_id=item.ticket_id, responded_at=item.responded_at)
