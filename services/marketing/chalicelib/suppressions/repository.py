"""The only code that knows suppression keys: `T#<t>#SUPPRESSION#<hash>` / `<reason>`,
listed on GSI1 `T#<t>#SUPPRESSIONS` by `<created_at>#<hash>#<reason>`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.suppressions.domain import REASONS
from chalicelib.suppressions.models import SuppressionItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page


def suppression_pk(tenant_id: str, digest: str) -> str:
    return tenant_key(tenant_id, "SUPPRESSION", digest)


def list_pk(tenant_id: str) -> str:
    return tenant_key(tenant_id, "SUPPRESSIONS")


def new_item(tenant_id: str, digest: str, reason: str, **fields: Any) -> SuppressionItem:
    item = SuppressionItem(PK=suppression_pk(tenant_id, digest), SK=reason,
                           suppression_id=digest, tenant_id=tenant_id, reason=reason, **fields)
    item.GSI1PK = list_pk(tenant_id)
    item.GSI1SK = f"{item.created_at}#{digest}#{reason}"
    return item


def reasons_of(tenant_id: str, digest: str) -> list[SuppressionItem]:
    """Every reason this address is suppressed: one Query."""
    return list(SuppressionItem.query(suppression_pk(tenant_id, digest), consistent_read=True))


def reasons_of_many(tenant_id: str, digests: Iterable[str]) -> dict[str, set[str]]:
    """Reasons per hash for a batch of addresses: BatchGetItems of every (hash, reason)."""
    wanted = list(dict.fromkeys(digests))
    found: dict[str, set[str]] = {d: set() for d in wanted}
    keys = [(suppression_pk(tenant_id, d), r) for d in wanted for r in REASONS]
    for start in range(0, len(keys), 100):
        for item in SuppressionItem.batch_get(keys[start:start + 100], consistent_read=True):
            found[item.suppression_id].add(item.reason)
    return found


def page(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[SuppressionItem],
                                                                  str | None]:
    return query_page(
        lambda **kw: SuppressionItem.gsi1.query(list_pk(tenant_id), scan_index_forward=False,
                                                **kw),
        f"{tenant_id}:suppressions", cursor, limit)
