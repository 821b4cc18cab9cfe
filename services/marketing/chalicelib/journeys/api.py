"""Journey routes: thin; the rules live in domain.py, logic.py and the runner."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.journeys import logic, repository
from chalicelib.journeys.schemas import (
    Enrolled,
    EnrollIn,
    EnrollmentOut,
    EnrollmentPage,
    JourneyCreate,
    JourneyFields,
    JourneyOut,
    JourneyPage,
)
from chalicelib.roles import MARKETERS, READERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "journeys")


def _shown(body: JourneyOut, status: int | None = None) -> Reply:
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route("/journeys", "POST", roles=MARKETERS, body=JourneyCreate, response=JourneyOut,
           status=201)
def create_journey(req: ApiRequest) -> Reply:
    """A trigger (an event and a filter over its data), re-entry rules and steps."""
    item = logic.create(req.tenant_id, req.body)
    reply = _shown(JourneyOut(**logic.record(item)))
    reply.headers["Location"] = f"/journeys/{item.journey_id}"
    return reply


@api.route("/journeys", "GET", roles=READERS, response=JourneyPage)
def list_journeys(req: ApiRequest) -> JourneyPage:
    items, cursor = repository.page(req.tenant_id, parse_limit(req.query.get("limit")),
                                    req.query.get("cursor"))
    return JourneyPage(items=[JourneyOut(**logic.record(i)) for i in items],
                       next_cursor=cursor)


@api.route("/journeys/{journey_id}", "GET", roles=READERS, response=JourneyOut)
def get_journey(req: ApiRequest, journey_id: str) -> Reply:
    """The journey with its counters and per-step stats (entered, completed, exited)."""
    return _shown(JourneyOut(**logic.shown(req.tenant_id, journey_id)))


@api.route("/journeys/{journey_id}", "PATCH", roles=MARKETERS, body=JourneyFields,
           response=JourneyOut)
def update_journey(req: ApiRequest, journey_id: str) -> Reply:
    """Rename, pause (no new entries; people in it go on) or activate; If-Match honoured."""
    logic.update(req.tenant_id, journey_id, req.body, req.if_match())
    return _shown(JourneyOut(**logic.shown(req.tenant_id, journey_id)))


@api.route("/journeys/{journey_id}/enrollments", "POST", roles=MARKETERS, body=EnrollIn,
           response=Enrolled)
def enroll_contact(req: ApiRequest, journey_id: str) -> Enrolled:
    """Enter a contact by hand; `enrolled: false` when the re-entry rules keep it out."""
    item = logic.enroll_now(req.tenant_id, journey_id, req.body.contact_id)
    if item is None:
        return Enrolled(enrolled=False)
    return Enrolled(enrolled=True, enrollment=EnrollmentOut(**logic.enrollment_record(item)))


@api.route("/journeys/{journey_id}/enrollments", "GET", roles=READERS, response=EnrollmentPage)
def list_enrollments(req: ApiRequest, journey_id: str) -> EnrollmentPage:
    """Who is or was in the journey, newest first, with the steps each went through."""
    logic.get(req.tenant_id, journey_id)
    items, cursor = repository.enrollments_page(
        req.tenant_id, journey_id, parse_limit(req.query.get("limit")),
        req.query.get("cursor"))
    return EnrollmentPage(items=[EnrollmentOut(**logic.enrollment_record(i)) for i in items],
                          next_cursor=cursor)
