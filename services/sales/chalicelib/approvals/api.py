"""Approval routes: thin; the rules live in logic.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.approvals import logic, repository
from chalicelib.approvals.models import ApprovalItem
from chalicelib.approvals.schemas import (
    ApprovalCreate,
    ApprovalOut,
    ApprovalPage,
    ApprovalSettings,
    ApprovalSettingsOut,
    Decision,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, MANAGERS, WRITERS, has_any_role
from crm_shared.errors import BadRequest, Forbidden
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.ids import is_id
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "approvals")
STATUSES = ("pending", "approved", "rejected")


def shown(item: ApprovalItem) -> Reply:
    body = ApprovalOut(**logic.record(item))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/approvals", "POST", roles=MANAGERS, body=ApprovalCreate, response=ApprovalOut,
           status=201)
def request_approval(req: ApiRequest) -> Reply:
    """Ask for a decision on any record; without approver_id any admin decides."""
    body = ApprovalOut(**logic.create(req.principal, req.tenant_id, req.body))
    return Reply(body, headers={"ETag": etag(body.version),
                                "Location": f"/approvals/{body.approval_id}"})


@api.route("/approvals", "GET", roles=ALL_ROLES, response=ApprovalPage)
def list_approvals(req: ApiRequest) -> ApprovalPage:
    """A page of approvals, newest first, by `status` (default pending) and `approver`:
    `me` (default), `admins` (those any admin decides), a user id, or `any`; or by
    `subject_id` with `subject_type`."""
    status = req.query.get("status") or "pending"
    if status not in STATUSES:
        raise BadRequest.for_field("status", "must be pending, approved or rejected")
    approver = req.query.get("approver") or "me"
    manager = has_any_role(req.principal, MANAGERS) or req.principal.kind != "user"
    if approver not in ("me", "admins", "any") and not is_id(approver, "usr"):
        raise BadRequest.for_field("approver", "must be me, admins, any or a user id")
    if approver not in ("me", req.principal.subject) and not manager:
        raise Forbidden.for_field("approver", "you may list only your own approvals")
    if approver == "admins" and not has_any_role(req.principal, ADMINS) and not manager:
        raise Forbidden.for_field("approver", "only admins decide these")
    subject = None
    if req.query.get("subject_id"):
        subject = (req.query.get("subject_type") or "opportunity", req.query["subject_id"])
    items, cursor = repository.list_for(
        req.tenant_id, status, parse_limit(req.query.get("limit")), req.query.get("cursor"),
        approver=None if approver == "admins" else
        req.principal.subject if approver == "me" else approver,
        everyone=approver == "any", subject=subject)
    visible = [i for i in items if logic.may_see(req.principal, i)
               and (subject is None or i.status == status)]
    return ApprovalPage(items=[ApprovalOut(**logic.record(i)) for i in visible],
                        next_cursor=cursor)


@api.route("/approvals/settings", "GET", roles=ALL_ROLES, response=ApprovalSettingsOut)
def get_approval_settings(req: ApiRequest) -> Reply:
    """The tenant's discount threshold and approval rules."""
    body = ApprovalSettingsOut(**logic.settings(req.tenant_id, fresh=True))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/approvals/settings", "PUT", roles=ADMINS, body=ApprovalSettings,
           response=ApprovalSettingsOut)
def put_approval_settings(req: ApiRequest) -> Reply:
    """Set the discount threshold (percent) and rules in the filter grammar."""
    body = ApprovalSettingsOut(**logic.put_settings(req.tenant_id, req.body, req.if_match()))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/approvals/{approval_id}", "GET", roles=ALL_ROLES, response=ApprovalOut)
def get_approval(req: ApiRequest, approval_id: str) -> Reply:
    """Read an approval: one GetItem."""
    return shown(logic.get(req.principal, req.tenant_id, approval_id))


@api.route("/approvals/{approval_id}/approve", "POST", roles=WRITERS, body=Decision,
           response=ApprovalOut)
def approve(req: ApiRequest, approval_id: str) -> ApprovalOut:
    """Approve (the approver or an admin, once)."""
    return ApprovalOut(**logic.decide(req.principal, req.tenant_id, approval_id, "approved",
                                      req.body.comment))


@api.route("/approvals/{approval_id}/reject", "POST", roles=WRITERS, body=Decision,
           response=ApprovalOut)
def reject(req: ApiRequest, approval_id: str) -> ApprovalOut:
    """Reject (the approver or an admin, once)."""
    return ApprovalOut(**logic.decide(req.principal, req.tenant_id, approval_id, "rejected",
                                      req.body.comment))
