"""Quota use cases: one quota per (owner or team, period), held by a claim item."""

from __future__ import annotations

from typing import Any

from chalicelib.quotas import repository
from chalicelib.quotas.models import QuotaClaim, QuotaItem
from chalicelib.quotas.schemas import QuotaCreate, QuotaFields
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.ids import new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def record(item: QuotaItem) -> dict[str, Any]:
    return {"quota_id": item.quota_id,
            "owner_id": item.subject_id if item.subject_kind == "owner" else None,
            "team_id": item.subject_id if item.subject_kind == "team" else None,
            "period": item.period, "amount": item.amount, "version": item.version or 1,
            "created_at": item.created_at, "updated_at": item.updated_at}


def get(tenant_id: str, quota_id: str) -> QuotaItem:
    item = repository.get(tenant_id, quota_id)
    if item is None:
        raise NotFound.for_field("quota_id", f"no quota {quota_id}")
    return item


def _commit(uow: UnitOfWork, period: str) -> None:
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "period" in conflict.labels:
            raise Conflict.for_field("period", f"a quota for this target and {period} "
                                     "exists already", code="quota_exists") from None
        raise


def create(tenant_id: str, cmd: QuotaCreate) -> QuotaItem:
    if (cmd.owner_id is None) == (cmd.team_id is None):
        field = "team_id" if cmd.owner_id else "owner_id"
        raise ValidationFailed.for_field(field, "give exactly one of owner_id or team_id")
    kind, subject = ("owner", cmd.owner_id) if cmd.owner_id else ("team", cmd.team_id)
    now = clock.iso()
    item = repository.new_item(tenant_id, new_id("quo"), subject_kind=kind,
                               subject_id=str(subject), period=cmd.period,
                               amount=cmd.amount.model_dump(), created_at=now, updated_at=now)
    uow = repository.unit_of_work()
    uow.put(repository.claim(tenant_id, kind, item.subject_id, item.period, item.quota_id),
            QuotaClaim.PK.does_not_exist(), label="period")
    uow.put(item, QuotaItem.PK.does_not_exist(), label="quota")
    _commit(uow, cmd.period)
    return item


def update(tenant_id: str, quota_id: str, cmd: QuotaFields, if_match: int | None) -> QuotaItem:
    """Change the amount or move the quota to another period (its claim moves with it)."""
    item = get(tenant_id, quota_id)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the quota changed since you read it", code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    for name in ("period", "amount"):
        if name in sent and sent[name] is None:
            raise ValidationFailed.for_field(name, "may be changed, not removed")
    uow = repository.unit_of_work()
    period = sent.get("period", item.period)
    if period != item.period:
        uow.delete(repository.claim(tenant_id, item.subject_kind, item.subject_id,
                                    item.period, quota_id), label="claim")
        uow.put(repository.claim(tenant_id, item.subject_kind, item.subject_id, period,
                                 quota_id), QuotaClaim.PK.does_not_exist(), label="period")
        item.period = period
    if "amount" in sent:
        item.amount = sent["amount"]
    item.updated_at = clock.iso()
    repository.index(item, tenant_id)
    uow.put(item, label="version")
    _commit(uow, period)
    return item


def delete(tenant_id: str, quota_id: str) -> None:
    item = get(tenant_id, quota_id)
    uow = repository.unit_of_work()
    uow.delete(repository.claim(tenant_id, item.subject_kind, item.subject_id, item.period,
                                quota_id), label="claim")
    uow.delete(item, label="version")
    uow.commit()
