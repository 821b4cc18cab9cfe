"""The only place that knows product keys.

- the record: `T#<t>#PRODUCT#<id>` / `PRODUCT`, listed by name on GSI1 (`T#<t>#PRODUCTS`),
  by series on GSI2 (`T#<t>#PRODUCTS#SERIES#<series>`) and, when active, on GSI3
  (`T#<t>#PRODUCTS#ACTIVE`), each sorted by `<name key>#<id>`;
- a claim per name and alias: `T#<t>#PRODUCT_NAME#<name key>` / `CLAIM`, with the record,
  so a name or an alias resolves in one GetItem and two products never share one.
"""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.products.domain import name_key
from chalicelib.products.models import ProductClaimItem, ProductItem
from crm_shared.dynamo import tenant_key
from crm_shared.pagination import query_page
from crm_shared.unit_of_work import UnitOfWork

CLAIM = "CLAIM"
CLAIM_LABEL = "claim:"


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def product_keys(tenant_id: str, product_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "PRODUCT", product_id), "PRODUCT"


def claim_pk(tenant_id: str, key: str) -> str:
    return tenant_key(tenant_id, "PRODUCT_NAME", key)


def _list_pk(tenant_id: str, *parts: str) -> str:
    return tenant_key(tenant_id, "PRODUCTS", *parts)


def index_record(item: ProductItem) -> None:
    """Place the record on its list indexes, sorted by name."""
    doc = item.doc
    sort = f"{name_key(str(doc['name']))}#{item.product_id}"
    item.GSI1PK, item.GSI1SK = _list_pk(item.tenant_id), sort
    series = doc.get("series")
    item.GSI2PK = _list_pk(item.tenant_id, "SERIES", name_key(series)) if series else None
    item.GSI2SK = sort if series else None
    active = bool(doc.get("active", True))
    item.GSI3PK = _list_pk(item.tenant_id, "ACTIVE") if active else None
    item.GSI3SK = sort if active else None


def new_record(tenant_id: str, product_id: str, doc: dict[str, Any], now: str) -> ProductItem:
    pk, sk = product_keys(tenant_id, product_id)
    item = ProductItem(PK=pk, SK=sk, product_id=product_id, tenant_id=tenant_id, doc=doc,
                       created_at=now, updated_at=now)
    index_record(item)
    return item


def write_claims(uow: UnitOfWork, tenant_id: str, product_id: str, record: dict[str, Any],
                 before: set[str], after: set[str]) -> None:
    """Release the keys no longer held; take (label `claim:<key>`) or refresh the others.

    A new key must be free; a kept one must still be this product's.
    """
    for key in sorted(before - after):
        uow.delete(ProductClaimItem(PK=claim_pk(tenant_id, key), SK=CLAIM, product_id=product_id),
                   condition=ProductClaimItem.product_id == product_id, label="claim_release")
    for key in sorted(after):
        claim = ProductClaimItem(PK=claim_pk(tenant_id, key), SK=CLAIM, product_id=product_id,
                                 record=record)
        condition = (ProductClaimItem.product_id == product_id if key in before
                     else ProductClaimItem.PK.does_not_exist())
        uow.put(claim, condition=condition, label=CLAIM_LABEL + key)


def get(tenant_id: str, product_id: str, consistent: bool = False) -> ProductItem | None:
    pk, sk = product_keys(tenant_id, product_id)
    try:
        return ProductItem.get(pk, sk, consistent_read=consistent)
    except ProductItem.DoesNotExist:
        return None


def get_many(tenant_id: str, product_ids: list[str]) -> dict[str, ProductItem]:
    """Records by id in one BatchGetItem (up to 100 keys); missing ids are left out."""
    keys = [product_keys(tenant_id, p) for p in dict.fromkeys(product_ids)]
    return {i.product_id: i for i in ProductItem.batch_get(keys)} if keys else {}


def claim(tenant_id: str, key: str, consistent: bool = False) -> ProductClaimItem | None:
    try:
        return ProductClaimItem.get(claim_pk(tenant_id, key), CLAIM, consistent_read=consistent)
    except ProductClaimItem.DoesNotExist:
        return None


def list_records(tenant_id: str, limit: int, cursor: str | None, series: str | None = None,
                 active_only: bool = False) -> tuple[list[ProductItem], str | None]:
    """A page of products by name: all, one series, or the active ones."""
    if series:
        index, pk = ProductItem.gsi2, _list_pk(tenant_id, "SERIES", name_key(series))
    elif active_only:
        index, pk = ProductItem.gsi3, _list_pk(tenant_id, "ACTIVE")
    else:
        index, pk = ProductItem.gsi1, _list_pk(tenant_id)
    scope = f"{tenant_id}:products:{series}:{active_only}"
    return query_page(lambda **kw: index.query(pk, **kw), scope, cursor, limit)
