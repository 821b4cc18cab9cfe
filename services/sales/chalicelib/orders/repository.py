"""The only code that knows order keys.

- the record `T#<t>#ORDER#<ord>` / `ORDER`, listed newest first (by `placed_at`) on GSI1 by
  contact (`T#<t>#ORDERS#CONTACT#<con>`), GSI2 by company, GSI3 by status and GSI4 for all;
- its status history in the same partition, `HISTORY#<at>#<n>`: one Query;
- the claim `T#<t>#ORDER_EXT#<source>#<external_id>` / `CLAIM`, written with the order.
  A claim never changes hands (only offboarding deletes it, with its order), so each
  container keeps the claims it read or wrote: a repeated (source, external_id) finds its
  order without reading the claim again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from chalicelib import SERVICE
from chalicelib.orders.models import OrderClaimItem, OrderHistoryItem, OrderItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

RECORD = "ORDER"
CLAIM = "CLAIM"
CACHED_CLAIMS = 10_000  # per container, least recently used out first
_claims: OrderedDict[tuple[str, str, str], str] = OrderedDict()
LIST_INDEXES = {"contact_id": (1, "CONTACT"), "company_id": (2, "COMPANY"),
                "status": (3, "STATUS")}


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def order_pk(tenant_id: str, order_id: str) -> str:
    return tenant_key(tenant_id, "ORDER", order_id)


def _list_pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "ORDERS", *parts)


def claim_keys(tenant_id: str, source: str, external_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "ORDER_EXT", source, external_id), CLAIM


def index_record(item: OrderItem) -> None:
    doc, tenant_id = item.doc, item.tenant_id
    sort = f"{doc['placed_at']}#{item.order_id}"
    for field, (number, part) in LIST_INDEXES.items():
        value = doc.get(field)
        setattr(item, f"GSI{number}PK", _list_pk(tenant_id, part, value) if value else None)
        setattr(item, f"GSI{number}SK", sort if value else None)
    item.GSI4PK, item.GSI4SK = _list_pk(tenant_id), sort


def new_record(tenant_id: str, order_id: str, doc: dict[str, Any], now: str) -> OrderItem:
    """An unsaved record; `index_record` places it once its doc is complete."""
    return OrderItem(PK=order_pk(tenant_id, order_id), SK=RECORD, order_id=order_id,
                     tenant_id=tenant_id, doc=doc, created_at=now, updated_at=now)


def new_claim(tenant_id: str, source: str, external_id: str, order_id: str) -> OrderClaimItem:
    pk, sk = claim_keys(tenant_id, source, external_id)
    return OrderClaimItem(PK=pk, SK=sk, order_id=order_id)


def history_entry(tenant_id: str, order_id: str, seq: int, from_status: str | None,
                  to_status: str, at: str, actor: str | None) -> OrderHistoryItem:
    return OrderHistoryItem(PK=order_pk(tenant_id, order_id), SK=f"HISTORY#{at}#{seq:02d}",
                            order_id=order_id, from_status=from_status, to_status=to_status,
                            at=at, actor=actor)


def get(tenant_id: str, order_id: str, consistent: bool = False) -> OrderItem | None:
    try:
        return OrderItem.get(order_pk(tenant_id, order_id), RECORD, consistent_read=consistent)
    except OrderItem.DoesNotExist:
        return None


def claimed(tenant_id: str, source: str, external_id: str) -> str | None:
    """The order holding (source, external_id), from this container's cache or read
    consistently, or None."""
    found = cached_claim(tenant_id, source, external_id)
    if found is not None:
        return found
    try:
        order_id = str(OrderClaimItem.get(*claim_keys(tenant_id, source, external_id),
                                          consistent_read=True).order_id)
    except OrderClaimItem.DoesNotExist:
        return None
    remember_claim(tenant_id, source, external_id, order_id)
    return order_id


def cached_claim(tenant_id: str, source: str, external_id: str) -> str | None:
    key = (tenant_id, source, external_id)
    found = _claims.get(key)
    if found is not None:
        _claims.move_to_end(key)
    return found


def remember_claim(tenant_id: str, source: str, external_id: str, order_id: str) -> None:
    """A claim this container wrote or read (committed: claims never change hands)."""
    _claims[(tenant_id, source, external_id)] = order_id
    _claims.move_to_end((tenant_id, source, external_id))
    while len(_claims) > CACHED_CLAIMS:
        _claims.popitem(last=False)


def forget_claims(tenant_id: str | None = None, source: str | None = None,
                  external_id: str | None = None) -> None:
    """Drop one cached claim (its order is gone: the tenant was offboarded), or all."""
    if tenant_id is None:
        _claims.clear()
    else:
        _claims.pop((tenant_id, str(source), str(external_id)), None)


def list_records(tenant_id: str, field: str | None, value: str | None, limit: int,
                 cursor: str | None) -> tuple[list[OrderItem], str | None]:
    """Newest first on the index for `field` (or all orders)."""
    if field is None:
        pk, index = _list_pk(tenant_id), OrderItem.gsi4
    else:
        number, part = LIST_INDEXES[field]
        pk, index = _list_pk(tenant_id, part, str(value)), getattr(OrderItem, f"gsi{number}")
    return query_page(lambda **kw: index.query(pk, scan_index_forward=False, **kw),
                      f"{pk}:orders", cursor, limit)


def history(tenant_id: str, order_id: str, limit: int,
            cursor: str | None) -> tuple[list[OrderHistoryItem], str | None]:
    pk = order_pk(tenant_id, order_id)
    return query_page(lambda **kw: OrderHistoryItem.query(
        pk, OrderHistoryItem.SK.startswith("HISTORY#"), **kw), f"{pk}:history", cursor, limit)
