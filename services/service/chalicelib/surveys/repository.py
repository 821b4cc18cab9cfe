"""The only code that knows survey keys.

- a survey `T#<t>#SURVEY#<srv>` / `SURVEY`, its response `...` / `RESPONSE` (one per
  survey: the token's claim); responses list newest first on GSI1 `T#<t>#SURVEYRESPONSES`,
  by ticket on GSI2 (`..#TICKET#<tkt>`) and by contact on GSI3 (`..#CONTACT#<con>`);
- a contact's NPS schedule `T#<t>#CONTACTREF#<con>` / `NPS`, on the DUE index (job `nps`)
  while a survey is due.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.surveys.models import NpsScheduleItem, ResponseItem, SurveyItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.schedules import due_fields
from crm_shared.unit_of_work import UnitOfWork

SURVEY, RESPONSE, NPS = "SURVEY", "RESPONSE", "NPS"
NPS_JOB = "nps"
CLAIM = "survey_response"
LISTS = {None: 1, "ticket_id": 2, "contact_id": 3}
PARTS = {"ticket_id": "TICKET", "contact_id": "CONTACT"}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def survey_pk(tenant_id: str, survey_id: str) -> str:
    return tenant_key(tenant_id, "SURVEY", survey_id)


def new_survey(tenant_id: str, survey_id: str, **fields: Any) -> SurveyItem:
    return SurveyItem(PK=survey_pk(tenant_id, survey_id), SK=SURVEY, survey_id=survey_id,
                      tenant_id=tenant_id, **fields)


def survey(tenant_id: str, survey_id: str) -> SurveyItem | None:
    try:
        return SurveyItem.get(survey_pk(tenant_id, survey_id), SURVEY)
    except SurveyItem.DoesNotExist:
        return None


def list_pk(tenant_id: str, field: str | None = None, value: str | None = None) -> str:
    if field is None or value is None:
        return tenant_key(tenant_id, "SURVEYRESPONSES")
    return tenant_key(tenant_id, "SURVEYRESPONSES", PARTS[field], value)


def index(item: ResponseItem) -> None:
    sort = f"{item.responded_at}#{item.response_id}"
    item.GSI1PK, item.GSI1SK = list_pk(item.tenant_id), sort
    for field, number in (("ticket_id", 2), ("contact_id", 3)):
        value = getattr(item, field)
        setattr(item, f"GSI{number}PK", list_pk(item.tenant_id, field, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)


def stage_response(uow: UnitOfWork, item: ResponseItem) -> None:
    """The response, once per survey: a second one fails the transaction on `CLAIM`."""
    item.PK, item.SK = survey_pk(item.tenant_id, item.survey_id), RESPONSE
    index(item)
    uow.put(item, ResponseItem.PK.does_not_exist(), label=CLAIM)


def responses(tenant_id: str, limit: int, cursor: str | None, field: str | None = None,
              value: str | None = None) -> tuple[list[ResponseItem], str | None]:
    pk = list_pk(tenant_id, field, value)
    idx = getattr(ResponseItem, f"gsi{LISTS[field]}")
    return query_page(lambda **kw: idx.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:responses", cursor, limit)


def responses_of(tenant_id: str, contact_id: str) -> Iterator[ResponseItem]:
    return ResponseItem.gsi3.query(list_pk(tenant_id, "contact_id", contact_id))


def save_response(item: ResponseItem) -> None:
    """An erasure or merge rewrites one response (idempotent: a retry writes the same)."""
    index(item)
    item.save()


def nps_pk(tenant_id: str, contact_id: str) -> str:
    return tenant_key(tenant_id, "CONTACTREF", contact_id)


def nps_schedule(tenant_id: str, contact_id: str) -> NpsScheduleItem | None:
    try:
        return NpsScheduleItem.get(nps_pk(tenant_id, contact_id), NPS, consistent_read=True)
    except NpsScheduleItem.DoesNotExist:
        return None


def new_nps_schedule(tenant_id: str, contact_id: str) -> NpsScheduleItem:
    return NpsScheduleItem(PK=nps_pk(tenant_id, contact_id), SK=NPS, tenant_id=tenant_id,
                           contact_id=contact_id)


def stage_nps_due(uow: UnitOfWork, item: NpsScheduleItem, due_at: datetime,
                  seen: str | None) -> None:
    """Due at `due_at`; conditional on the due time read (`seen`), so two sweeps never
    both send."""
    fields = due_fields(NPS_JOB, due_at, item.tenant_id, item.contact_id)
    item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]
    condition = NpsScheduleItem.PK.does_not_exist() if seen is None else \
        NpsScheduleItem.DUESK == seen  # noqa: SIM300 - a PynamoDB condition, not a constant
    uow.put(item, condition, label="nps_schedule")
