"""Suppression use cases: add (idempotent per reason), lift, and the send-time check."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.suppressions import domain, repository
from chalicelib.suppressions.models import SuppressionItem
from crm_shared import clock
from crm_shared.errors import NotFound
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def suppress_item(tenant_id: str, channel: str, address: str | None, reason: str,
                  digest: str | None = None, note: str | None = None) -> SuppressionItem:
    """The item that suppresses `address` (or a known hash) for `reason`."""
    if digest is None:
        assert address is not None
        digest = domain.address_hash(tenant_id, address)
    return repository.new_item(tenant_id, digest, reason, channel=channel,
                               address=None if reason == "erased" else address, note=note,
                               created_at=clock.iso())


def add(tenant_id: str, channel: str, address: str, reason: str,
        note: str | None = None) -> SuppressionItem:
    """Suppress a normalized address; a reason already recorded stays as it was."""
    item = suppress_item(tenant_id, channel, address, reason, note=note)
    try:
        with UnitOfWork(SERVICE) as uow:
            uow.put(item, condition=SuppressionItem.PK.does_not_exist(), label="suppression")
    except TransactionConflict:
        existing = [i for i in repository.reasons_of(tenant_id, item.suppression_id)
                    if i.reason == reason]
        return existing[0] if existing else item
    return item


def lift(tenant_id: str, digest: str) -> int:
    """Remove every liftable reason of this hash; 404 when there is none."""
    items = [i for i in repository.reasons_of(tenant_id, digest) if i.reason in domain.LIFTABLE]
    if not items:
        raise NotFound.for_field("suppression_id", "no such suppression")
    with UnitOfWork(SERVICE) as uow:
        for item in items:
            uow.delete(item)
    return len(items)


def blocked(tenant_id: str, address: str, transactional: bool) -> str | None:
    """The reason `address` may not be messaged, or None (one Query)."""
    reasons = {i.reason for i in repository.reasons_of(tenant_id,
                                                        domain.address_hash(tenant_id, address))}
    return domain.blocks(reasons, transactional)
