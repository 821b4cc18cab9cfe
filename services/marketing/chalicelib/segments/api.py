"""Segment routes: thin; the rules live in logic.py and domain.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.roles import MARKETERS, READERS
from chalicelib.segments import logic, repository
from chalicelib.segments.models import SegmentItem
from chalicelib.segments.schemas import (
    MemberPage,
    MembersAdded,
    MembersIn,
    PreviewIn,
    PreviewOut,
    SegmentCreate,
    SegmentFields,
    SegmentOut,
    SegmentPage,
)
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "segments")


def shown(item: SegmentItem, status: int | None = None) -> Reply:
    body = SegmentOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


# literal paths first: /segments/preview is not a segment id
@api.route("/segments/preview", "POST", roles=READERS, body=PreviewIn, response=PreviewOut)
def preview_segment(req: ApiRequest) -> PreviewOut:
    """How many contacts a filter matches now, with a sample (nothing is stored)."""
    return PreviewOut(**logic.preview(req.tenant_id, req.body))


@api.route("/segments", "POST", roles=MARKETERS, body=SegmentCreate, response=SegmentOut,
           status=201)
def create_segment(req: ApiRequest) -> Reply:
    """A dynamic segment (a filter, evaluated in the background) or a static list."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/segments/{item.segment_id}"
    return reply


@api.route("/segments", "GET", roles=READERS, response=SegmentPage)
def list_segments(req: ApiRequest) -> SegmentPage:
    """The tenant's segments, newest first."""
    items, cursor = repository.page(req.tenant_id, parse_limit(req.query.get("limit")),
                                    req.query.get("cursor"))
    return SegmentPage(items=[SegmentOut(**logic.record(i)) for i in items], next_cursor=cursor)


@api.route("/segments/{segment_id}", "GET", roles=READERS, response=SegmentOut)
def get_segment(req: ApiRequest, segment_id: str) -> Reply:
    """A segment with its member count and evaluation progress: one GetItem."""
    return shown(logic.get(req.tenant_id, segment_id))


@api.route("/segments/{segment_id}", "PATCH", roles=MARKETERS, body=SegmentFields,
           response=SegmentOut)
def update_segment(req: ApiRequest, segment_id: str) -> Reply:
    """Rename, describe or re-filter (re-evaluates); `If-Match` makes it conditional."""
    return shown(logic.update(req.tenant_id, segment_id, req.body, req.if_match()))


@api.route("/segments/{segment_id}", "DELETE", roles=MARKETERS, status=204)
def delete_segment(req: ApiRequest, segment_id: str) -> None:
    """Delete a segment; its members are removed in the background."""
    logic.delete(req.tenant_id, segment_id)


@api.route("/segments/{segment_id}/evaluate", "POST", roles=MARKETERS, response=SegmentOut,
           status=202)
def evaluate_segment(req: ApiRequest, segment_id: str) -> Reply:
    """Re-evaluate a dynamic segment from scratch, in the background."""
    return shown(logic.evaluate(req.tenant_id, segment_id), status=202)


@api.route("/segments/{segment_id}/members", "GET", roles=READERS, response=MemberPage)
def list_members(req: ApiRequest, segment_id: str) -> MemberPage:
    """A page of the segment's members."""
    rows, cursor = logic.members(req.tenant_id, segment_id,
                                 parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return MemberPage(items=rows, next_cursor=cursor)  # type: ignore[arg-type]


@api.route("/segments/{segment_id}/members", "POST", roles=MARKETERS, body=MembersIn,
           response=MembersAdded)
def add_members(req: ApiRequest, segment_id: str) -> MembersAdded:
    """Add contacts to a static list (up to 100 a call; a member already there stays)."""
    added, item = logic.add_members(req.tenant_id, segment_id, req.body)
    return MembersAdded(added=added, member_count=int(item.member_count or 0))


@api.route("/segments/{segment_id}/members/{contact_id}", "DELETE", roles=MARKETERS,
           status=204)
def remove_member(req: ApiRequest, segment_id: str, contact_id: str) -> None:
    """Take a contact off a static list."""
    logic.remove_member(req.tenant_id, segment_id, contact_id)
