"""Routes of the timeline feature: interactions, party timelines, the 360 summary."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.contacts import logic as contacts_logic
from chalicelib.timeline import lifecycle, logic, repository, summary
from chalicelib.timeline.schemas import (
    EntryOut,
    InteractionEdit,
    InteractionIn,
    InteractionOut,
    SummaryOut,
    TimelinePage,
)
from crm_shared.auth.roles import ALL_ROLES, WRITERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "timeline")
__all__ = ["api", "lifecycle"]  # lifecycle registers the merge, erasure and export parts


def shown(item: object) -> Reply:
    body = InteractionOut(**logic.record(item))  # type: ignore[arg-type]
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/interactions", "POST", roles=WRITERS, body=InteractionIn, response=InteractionOut,
           status=201)
def log_interaction(req: ApiRequest) -> Reply:
    """Log a call, email, meeting, chat, note, complaint or visit onto its parties' timelines."""
    reply = shown(logic.create(req.principal, req.tenant_id, req.body))
    reply.headers["Location"] = f"/interactions/{reply.body.interaction_id}"
    return reply


@api.route("/interactions/{interaction_id}", "GET", roles=ALL_ROLES, response=InteractionOut)
def get_interaction(req: ApiRequest, interaction_id: str) -> Reply:
    """Read an interaction: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, interaction_id))


@api.route("/interactions/{interaction_id}", "PATCH", roles=WRITERS, body=InteractionEdit,
           response=InteractionOut)
def update_interaction(req: ApiRequest, interaction_id: str) -> Reply:
    """Change subject, body, occurred_at or duration; `If-Match` makes it conditional."""
    return shown(logic.update(req.principal, req.tenant_id, interaction_id, req.body,
                              req.if_match()))


@api.route("/interactions/{interaction_id}", "DELETE", roles=WRITERS, status=204)
def delete_interaction(req: ApiRequest, interaction_id: str) -> None:
    """Delete an interaction and its timeline entries."""
    logic.delete(req.principal, req.tenant_id, interaction_id)


def _page(req: ApiRequest, party_id: str) -> TimelinePage:
    summary.visible_party(req.principal, req.tenant_id, party_id)
    items, cursor = repository.timeline_page(req.tenant_id, party_id,
                                             parse_limit(req.query.get("limit")),
                                             req.query.get("cursor"))
    return TimelinePage(items=[EntryOut(**repository.entry_of(i).as_dict()) for i in items],
                        next_cursor=cursor)


@api.route("/contacts/{contact_id}/timeline", "GET", roles=ALL_ROLES, response=TimelinePage)
def contact_timeline(req: ApiRequest, contact_id: str) -> TimelinePage:
    """The contact's timeline, newest first: one GetItem and one Query of the page."""
    return _page(req, contact_id)


@api.route("/companies/{company_id}/timeline", "GET", roles=ALL_ROLES, response=TimelinePage)
def company_timeline(req: ApiRequest, company_id: str) -> TimelinePage:
    """The company's timeline, newest first: one GetItem and one Query of the page."""
    return _page(req, company_id)


@api.route("/contacts/{contact_id}/summary", "GET", roles=ALL_ROLES, response=SummaryOut)
def contact_summary(req: ApiRequest, contact_id: str) -> SummaryOut:
    """The 360 card: profile, company, counts and newest entries (two round trips)."""
    found = summary.card(req.principal, req.tenant_id, contact_id)
    state = repository.state_of(found.summary)
    return SummaryOut(
        contact=contacts_logic.record(found.contact), company=found.company,  # type: ignore[arg-type]
        counts=state["counts"], total=sum(state["counts"].values()),
        last_occurred_at=state["last_occurred_at"], latest=state["latest"],
        latest_by_kind=state["latest_by_kind"])
