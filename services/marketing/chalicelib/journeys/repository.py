"""The only code that knows journey keys.

- a journey `T#<t>#JOURNEY#<id>` / `#JOURNEY`, listed on GSI1 `T#<t>#JOURNEYS` by
  `<created_at>#<id>`; while active, on GSI2 `T#<t>#JOURNEY_TRIGGER#<event type>`, so an
  event finds the journeys it starts with one Query;
- its step stats `T#<t>#JOURNEY#<id>` / `#STATS#<step_id>` (one Query with the journey);
- a contact's presence `T#<t>#JOURNEY#<id>` / `CONTACT#<contact_id>`;
- an enrollment `T#<t>#ENROLLMENT#<id>` / `ENROLLMENT`, listed on GSI1
  `T#<t>#JOURNEY_ENROLLMENTS#<journey_id>`, on GSI2 `T#<t>#REFS#<contact>` while active
  (opens and clicks wake it; erasure finds it), on DUE while a wait runs;
- a journey message's send record `T#<t>#JOURNEY_SENDS#<enrollment_id>` / `<step>#<seq>`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib import SERVICE
from chalicelib.audience.repository import refs_pk
from chalicelib.journeys.models import EnrollmentItem, JourneyItem, PresenceItem, StepStatsItem
from crm_shared import schedules
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

JOURNEY = "#JOURNEY"
ENROLLMENT = "ENROLLMENT"
DUE_JOB = "journey_step"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def journey_pk(tenant_id: str, journey_id: str) -> str:
    return tenant_key(tenant_id, "JOURNEY", journey_id)


def trigger_pk(tenant_id: str, event_type: str) -> str:
    return tenant_key(tenant_id, "JOURNEY_TRIGGER", event_type)


def new_journey(tenant_id: str, journey_id: str, **fields: Any) -> JourneyItem:
    item = JourneyItem(PK=journey_pk(tenant_id, journey_id), SK=JOURNEY, journey_id=journey_id,
                       tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "JOURNEYS")
    item.GSI1SK = f"{item.created_at}#{journey_id}"
    index_trigger(item)
    return item


def index_trigger(item: JourneyItem) -> None:
    """Only an active journey is found by its trigger."""
    if item.status == "active":
        item.GSI2PK = trigger_pk(item.tenant_id, str(item.trigger["event_type"]))
        item.GSI2SK = item.journey_id
    else:
        item.GSI2PK = item.GSI2SK = None


def key(tenant_id: str, journey_id: str) -> JourneyItem:
    return JourneyItem(PK=journey_pk(tenant_id, journey_id), SK=JOURNEY)


def get(tenant_id: str, journey_id: str) -> JourneyItem | None:
    try:
        return JourneyItem.get(journey_pk(tenant_id, journey_id), JOURNEY, consistent_read=True)
    except JourneyItem.DoesNotExist:
        return None


def step_stats(tenant_id: str, journey_id: str) -> list[StepStatsItem]:
    """Every step's stats: one Query (a journey has at most 50 steps)."""
    return list(StepStatsItem.query(journey_pk(tenant_id, journey_id),
                                    StepStatsItem.SK.startswith("#STATS#"), page_size=100))


def stats_key(tenant_id: str, journey_id: str, step_id: str) -> StepStatsItem:
    return StepStatsItem(PK=journey_pk(tenant_id, journey_id), SK=f"#STATS#{step_id}")


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[JourneyItem],
                                                                  str | None]:
    return query_page(lambda **kw: JourneyItem.gsi1.query(
        tenant_key(tenant_id, "JOURNEYS"), scan_index_forward=False, **kw),
        f"{tenant_id}:journeys", cursor, limit)


def triggered_by(tenant_id: str, event_type: str) -> list[JourneyItem]:
    return list(JourneyItem.gsi2.query(trigger_pk(tenant_id, event_type), page_size=100))


def presence(tenant_id: str, journey_id: str, contact_id: str) -> PresenceItem | None:
    try:
        return PresenceItem.get(journey_pk(tenant_id, journey_id), f"CONTACT#{contact_id}",
                                consistent_read=True)
    except PresenceItem.DoesNotExist:
        return None


def new_presence(tenant_id: str, journey_id: str, contact_id: str, enrollment_id: str,
                 entered_at: str) -> PresenceItem:
    return PresenceItem(PK=journey_pk(tenant_id, journey_id), SK=f"CONTACT#{contact_id}",
                        contact_id=contact_id, enrollment_id=enrollment_id,
                        entered_at=entered_at, active=True)


def enrollment_pk(tenant_id: str, enrollment_id: str) -> str:
    return tenant_key(tenant_id, "ENROLLMENT", enrollment_id)


def new_enrollment(tenant_id: str, enrollment_id: str, **fields: Any) -> EnrollmentItem:
    item = EnrollmentItem(PK=enrollment_pk(tenant_id, enrollment_id), SK=ENROLLMENT,
                          enrollment_id=enrollment_id, tenant_id=tenant_id, **fields)
    item.GSI1PK = tenant_key(tenant_id, "JOURNEY_ENROLLMENTS", item.journey_id)
    item.GSI1SK = f"{item.entered_at}#{enrollment_id}"
    item.GSI2PK = refs_pk(tenant_id, item.contact_id)
    item.GSI2SK = f"JOURNEY#{enrollment_id}"
    return item


def finished(item: EnrollmentItem) -> None:
    """A finished enrollment leaves the contact's refs and the due index."""
    item.GSI2PK = item.GSI2SK = item.DUEPK = item.DUESK = None


def set_due(item: EnrollmentItem, due_at: datetime | None) -> None:
    if due_at is None:
        item.DUEPK = item.DUESK = None
        return
    fields = schedules.due_fields(DUE_JOB, due_at, item.tenant_id, item.enrollment_id)
    item.DUEPK, item.DUESK = fields["DUEPK"], fields["DUESK"]


def get_enrollment(tenant_id: str, enrollment_id: str) -> EnrollmentItem | None:
    try:
        return EnrollmentItem.get(enrollment_pk(tenant_id, enrollment_id), ENROLLMENT,
                                  consistent_read=True)
    except EnrollmentItem.DoesNotExist:
        return None


def enrollments_page(tenant_id: str, journey_id: str, limit: int, cursor: str | None
                     ) -> tuple[list[EnrollmentItem], str | None]:
    return query_page(lambda **kw: EnrollmentItem.gsi1.query(
        tenant_key(tenant_id, "JOURNEY_ENROLLMENTS", journey_id), scan_index_forward=False,
        **kw), f"{tenant_id}:journey-enrollments:{journey_id}", cursor, limit)


def active_of(tenant_id: str, contact_id: str) -> list[EnrollmentItem]:
    """A contact's active enrollments (GSI2 refs, SK JOURNEY#...)."""
    return list(EnrollmentItem.gsi2.query(refs_pk(tenant_id, contact_id),
                                          EnrollmentItem.GSI2SK.startswith("JOURNEY#")))


def due(limit: int = 100) -> list[EnrollmentItem]:
    return schedules.due_items(EnrollmentItem, DUE_JOB, limit)


def send_keys(tenant_id: str, enrollment_id: str, step_id: str, seq: int) -> tuple[str, str]:
    return tenant_key(tenant_id, "JOURNEY_SENDS", enrollment_id), f"{step_id}#{seq}"
