"""Approvals: any service's record can wait for a decision by a named approver (the
requester's manager) or, when there is none, by any of the tenant's admins.

Generic on purpose: a request names a subject (`subject_type`, `subject_id`), and the
feature owning that subject type registers hooks (`subject`) that run inside the request's
and the decision's transaction, e.g. to set a deal's approval_status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.approvals import repository
from chalicelib.approvals.models import ApprovalItem
from chalicelib.approvals.schemas import ApprovalCreate, ApprovalSettings
from chalicelib.directory import logic as directory
from crm_shared import clock
from crm_shared.auth.roles import ADMINS, MANAGERS, has_any_role
from crm_shared.context import Principal
from crm_shared.errors import Conflict, Forbidden, NotFound, PreconditionFailed
from crm_shared.events.sales_events import ApprovalDecided, ApprovalRequested
from crm_shared.filters import FilterGroup, matches
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

PREFIX = "apr"
SubjectHook = Callable[[UnitOfWork, str, str, str], None]


@dataclass(frozen=True)
class SubjectHooks:
    """`requested(uow, tenant_id, subject_id, approval_id)` when asked through the API;
    `decided(uow, tenant_id, subject_id, decision)` when decided."""

    requested: SubjectHook
    decided: SubjectHook


SUBJECTS: dict[str, SubjectHooks] = {}


def subject(subject_type: str, hooks: SubjectHooks) -> None:
    """Register what a subject type does when an approval of it is asked for or decided."""
    SUBJECTS[subject_type] = hooks


def record(item: ApprovalItem, version: int | None = None) -> dict[str, Any]:
    return {"approval_id": item.approval_id, "subject_type": item.subject_type,
            "subject_id": item.subject_id, "reason": item.reason,
            "requested_by": item.requested_by, "approver_id": item.approver_id,
            "status": item.status, "comment": item.comment, "decided_by": item.decided_by,
            "decided_at": item.decided_at, "created_at": item.created_at,
            "updated_at": item.updated_at, "version": version or item.version or 0}


# -- policy --------------------------------------------------------------------------------

def settings(tenant_id: str, fresh: bool = False) -> dict[str, Any]:
    item = repository.settings(tenant_id, fresh)
    return {"discount_threshold": int(item.discount_threshold), "rules": list(item.rules or []),
            "version": item.version or 0}


def put_settings(tenant_id: str, cmd: ApprovalSettings, if_match: int | None) -> dict[str, Any]:
    item = repository.settings(tenant_id, fresh=True)
    if if_match is not None and if_match != (item.version or 0):
        raise PreconditionFailed("the settings changed since you read them",
                                 code="version_mismatch")
    item.discount_threshold = cmd.discount_threshold
    item.rules = [r.model_dump(mode="json", exclude_none=True) for r in cmd.rules]
    item.updated_at = clock.iso()
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    repository.forget_settings(tenant_id)
    return settings(tenant_id, fresh=True)


def reason_for(tenant_id: str, subject_type: str, record: dict[str, Any],
               discount: float) -> str | None:
    """Why the tenant's policy wants this deal approved, or None if it does not."""
    policy = repository.settings(tenant_id)
    threshold = int(policy.discount_threshold)
    if discount > threshold:
        return f"discount {discount:g}% is above the {threshold}% threshold"
    for rule in policy.rules or []:
        groups = [FilterGroup.model_validate(g) for g in rule.get("filter_groups", [])]
        if groups and matches(groups, record):
            return f"rule {rule.get('name')!r} matches"
    return None


# -- requests ------------------------------------------------------------------------------

def approver_for(tenant_id: str, user_id: str | None) -> str | None:
    """The user's manager (one GetItem in the directory); None: the tenant's admins."""
    if not user_id:
        return None
    manager = directory.manager_of(tenant_id, user_id)
    return manager if manager and manager != user_id else None


def request_in(uow: UnitOfWork, tenant_id: str, *, subject_type: str, subject_id: str,
               reason: str, owner_id: str | None = None, requested_by: str | None = None,
               approver_id: str | None = None) -> dict[str, Any]:
    """Stage a request in `uow` (no commit): decided by `approver_id`, else by `owner_id`'s
    manager, else by any admin. Returns the approval as the API shows it."""
    now = clock.iso()
    item = repository.new_approval(
        tenant_id, new_id(PREFIX), subject_type=subject_type, subject_id=subject_id,
        reason=reason, requested_by=requested_by,
        approver_id=approver_id or approver_for(tenant_id, owner_id), status="pending",
        created_at=now, updated_at=now)
    uow.put(item, ApprovalItem.PK.does_not_exist(), label="approval")
    uow.emit(ApprovalRequested(approval_id=item.approval_id, subject_type=subject_type,
                               subject_id=subject_id, approver_id=item.approver_id,
                               requested_by=requested_by, reason=reason), tenant_id)
    return record(item, 1)


def create(principal: Principal, tenant_id: str, cmd: ApprovalCreate) -> dict[str, Any]:
    """A manager's or admin's request; a subject type sales knows is checked by its hook."""
    uow = repository.unit_of_work()
    shown = request_in(uow, tenant_id, subject_type=cmd.subject_type,
                       subject_id=cmd.subject_id, reason=cmd.reason,
                       requested_by=principal.subject, approver_id=cmd.approver_id)
    hooks = SUBJECTS.get(cmd.subject_type)
    if hooks is not None:
        hooks.requested(uow, tenant_id, cmd.subject_id, shown["approval_id"])
    uow.commit()
    return shown


# -- reading and deciding ------------------------------------------------------------------

def may_see(principal: Principal, item: ApprovalItem) -> bool:
    return (has_any_role(principal, MANAGERS) or principal.kind != "user"
            or principal.subject in {item.approver_id, item.requested_by})


def may_decide(principal: Principal, item: ApprovalItem) -> bool:
    if has_any_role(principal, ADMINS):
        return True
    return item.approver_id is not None and principal.subject == item.approver_id


def get(principal: Principal, tenant_id: str, approval_id: str) -> ApprovalItem:
    """An approval the caller may see (one GetItem), else 404."""
    item = repository.get(tenant_id, approval_id) if is_id(approval_id, PREFIX) else None
    if item is None or not may_see(principal, item):
        raise NotFound("no such approval")
    return item


def decide(principal: Principal, tenant_id: str, approval_id: str, decision: str,
           comment: str | None) -> dict[str, Any]:
    """Approve or reject once; the subject learns it in the same transaction."""
    item = get(principal, tenant_id, approval_id)
    if not may_decide(principal, item):
        who = item.approver_id or "any admin"
        raise Forbidden.for_field("approver_id", f"only {who} may decide this approval",
                                  code="not_the_approver")
    if item.status != "pending":
        raise Conflict.for_field("status", f"was already {item.status}", code="already_decided")
    now = clock.iso()
    item.status, item.comment = decision, comment
    item.decided_by, item.decided_at, item.updated_at = principal.subject, now, now
    repository.index_approval(item)
    uow = repository.unit_of_work()
    uow.put(item, ApprovalItem.status == "pending", label="status")
    hooks = SUBJECTS.get(item.subject_type)
    if hooks is not None:
        hooks.decided(uow, tenant_id, item.subject_id, decision)
    uow.emit(ApprovalDecided(approval_id=item.approval_id, subject_type=item.subject_type,
                             subject_id=item.subject_id, decision=decision,
                             decided_by=principal.subject, comment=comment), tenant_id)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "status" in conflict.labels:
            raise Conflict.for_field("status", "was decided meanwhile",
                                     code="already_decided") from None
        raise
    return record(item)
