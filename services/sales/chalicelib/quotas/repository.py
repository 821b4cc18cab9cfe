"""The only place that knows quota keys.

Quota: `T#<tenant>#QUOTA#<quota_id>` / `QUOTA`, listed by subject (GSI1
`T#<tenant>#QUOTAS#<owner|team>#<id>` / `<period>#<quota_id>`), by period (GSI2
`T#<tenant>#QUOTAS#PERIOD#<period>` / `<owner|team>#<id>`) and all (GSI3 `T#<tenant>#QUOTAS`).
Claim: `T#<tenant>#QUOTACLAIM#<owner|team>#<id>#<period>` / `CLAIM`.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.quotas.models import QuotaClaim, QuotaItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

SK = "QUOTA"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def index(item: QuotaItem, tenant_id: str) -> None:
    """Set the list keys from the item's subject and period."""
    item.GSI1PK = tenant_key(tenant_id, "QUOTAS", item.subject_kind, item.subject_id)
    item.GSI1SK = f"{item.period}#{item.quota_id}"
    item.GSI2PK = tenant_key(tenant_id, "QUOTAS", "PERIOD", item.period)
    item.GSI2SK = f"{item.subject_kind}#{item.subject_id}"
    item.GSI3PK = tenant_key(tenant_id, "QUOTAS")
    item.GSI3SK = f"{item.period}#{item.quota_id}"


def new_item(tenant_id: str, quota_id: str, **fields: Any) -> QuotaItem:
    item = QuotaItem(PK=tenant_key(tenant_id, "QUOTA", quota_id), SK=SK, quota_id=quota_id,
                     **fields)
    index(item, tenant_id)
    return item


def claim(tenant_id: str, kind: str, subject_id: str, period: str,
          quota_id: str) -> QuotaClaim:
    return QuotaClaim(PK=tenant_key(tenant_id, "QUOTACLAIM", kind, subject_id, period),
                      SK="CLAIM", quota_id=quota_id)


def get(tenant_id: str, quota_id: str) -> QuotaItem | None:
    try:
        return QuotaItem.get(tenant_key(tenant_id, "QUOTA", quota_id), SK, consistent_read=True)
    except QuotaItem.DoesNotExist:
        return None


def page(tenant_id: str, kind: str | None, value: str | None, limit: int,
         cursor: str | None) -> tuple[list[QuotaItem], str | None]:
    """One page of the tenant's quotas: of one owner or team, of one period, or all."""
    if kind in ("owner", "team"):
        pk, index_ = tenant_key(tenant_id, "QUOTAS", kind, str(value)), QuotaItem.gsi1
    elif kind == "period":
        pk, index_ = tenant_key(tenant_id, "QUOTAS", "PERIOD", str(value)), QuotaItem.gsi2
    else:
        pk, index_ = tenant_key(tenant_id, "QUOTAS"), QuotaItem.gsi3
    scope = f"{tenant_id}:quotas:{kind}:{value}"
    return query_page(lambda **kw: index_.query(pk, **kw), scope, cursor, limit)


def of_period(tenant_id: str, period: str, kind: str) -> list[QuotaItem]:
    """Every quota of `period` for owners or for teams: one Query, one item per target."""
    return list(QuotaItem.gsi2.query(tenant_key(tenant_id, "QUOTAS", "PERIOD", period),
                                     QuotaItem.GSI2SK.startswith(f"{kind}#")))


def targets(tenant_id: str, kind: str,
            periods: list[str]) -> tuple[dict[tuple[str, str], dict[str, Any]], int]:
    """(period, subject) -> quota Money for the forecast, and how many items that read.

    A quarter without its own quota for a subject takes the sum of its month quotas when
    they share one currency.
    """
    found: dict[tuple[str, str], dict[str, Any]] = {}
    read = 0
    for period in periods:
        for item in of_period(tenant_id, period, kind):
            read += 1
            found[(period, item.subject_id)] = dict(item.amount)
        if "-Q" not in period:
            continue
        year, quarter = period[:4], int(period[-1])
        summed: dict[str, list[dict[str, Any]]] = {}
        for month in range(quarter * 3 - 2, quarter * 3 + 1):
            for item in of_period(tenant_id, f"{year}-{month:02d}", kind):
                read += 1
                summed.setdefault(item.subject_id, []).append(dict(item.amount))
        for subject, amounts in summed.items():
            currencies = {a["currency"] for a in amounts}
            if (period, subject) not in found and len(currencies) == 1:
                found[(period, subject)] = {"amount": sum(a["amount"] for a in amounts),
                                            "currency": currencies.pop()}
    return found, read
