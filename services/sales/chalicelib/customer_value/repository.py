"""The only code that knows the value, stats and co-purchase keys.

- customer value `T#<t>#CUSTOMER#<con|cmp>` / `VALUE`;
- an order's contribution `T#<t>#ORDER_CONTRIB#<ord>` / `CONTRIB`;
- stats `T#<t>#ORDER_STATS#<MONTH|SOURCE|PRODUCT>` / `<YYYY-MM>#<key>#<currency>`: a range
  of months is one Query whose size is months x keys, never the order count;
- RFM histogram `T#<t>#RFM` / `H#<R|F|M>#<bucket>`, and its bands `T#<t>#RFM` / `BANDS`;
- pairs `T#<t>#COBUY#<product>` / `<other>`, ranked on GSI1 (`T#<t>#COBUY#<product>` /
  `<customers:010d>#<other>`), tenant-wide on GSI2 (`T#<t>#COBUY_TOP`, one direction);
  a customer counted for a pair: `T#<t>#COBUY_SEEN#<customer>` / `<a>#<b>`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.customer_value.models import (
    BandsItem,
    ContributionItem,
    HistogramItem,
    PairItem,
    PairSeenItem,
    StatsItem,
    ValueItem,
    ValueStubItem,
)
from crm_shared.dynamo import tenant_key
from crm_shared.unit_of_work import UnitOfWork

VALUE = "VALUE"
BANDS = "BANDS"
DIMENSIONS = {"month": "MONTH", "source": "SOURCE", "product": "PRODUCT"}


def value_keys(tenant_id: str, customer_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "CUSTOMER", customer_id), VALUE


def bands_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "RFM"), BANDS


def touch(uow: UnitOfWork, tenant_id: str, customer_id: str) -> None:
    """Make the customer's value item exist (zeros until the consumer folds orders in),
    leaving any folded value alone."""
    pk, sk = value_keys(tenant_id, customer_id)
    item = ValueStubItem(PK=pk, SK=sk)
    uow.update(item, [ValueStubItem.customer_id.set(ValueStubItem.customer_id | customer_id),
                      ValueStubItem.tenant_id.set(ValueStubItem.tenant_id | tenant_id)])


def value_and_bands(tenant_id: str, customer_id: str,
                    consistent: bool = False) -> tuple[ValueItem | None, dict[str, Any]]:
    """The customer's value and the tenant's RFM bands: one BatchGetItem."""
    keys = [value_keys(tenant_id, customer_id), bands_keys(tenant_id)]
    value, bands = None, {}
    for item in ValueItem.batch_get(keys, consistent_read=consistent):
        if item.SK == VALUE:
            value = item
        else:
            bands = dict((item.doc or {}).get("bands") or {})
    return value, bands


def values(tenant_id: str, customer_ids: list[str]) -> dict[str, ValueItem]:
    keys = [value_keys(tenant_id, c) for c in dict.fromkeys(customer_ids)]
    return {i.customer_id: i for i in ValueItem.batch_get(keys, consistent_read=True)
            if i.customer_id} if keys else {}


def new_value(tenant_id: str, customer_id: str) -> ValueItem:
    pk, sk = value_keys(tenant_id, customer_id)
    return ValueItem(PK=pk, SK=sk, customer_id=customer_id, tenant_id=tenant_id, doc={})


def contribution(tenant_id: str, order_id: str) -> ContributionItem:
    pk = tenant_key(tenant_id, "ORDER_CONTRIB", order_id)
    try:
        return ContributionItem.get(pk, "CONTRIB", consistent_read=True)
    except ContributionItem.DoesNotExist:
        return ContributionItem(PK=pk, SK="CONTRIB", order_id=order_id, applied_version=0,
                                doc={})


def contributions(tenant_id: str, order_ids: list[str]) -> list[ContributionItem]:
    """The stored contributions of these orders (an order not folded yet has none)."""
    keys = [(tenant_key(tenant_id, "ORDER_CONTRIB", o), "CONTRIB")
            for o in dict.fromkeys(order_ids)]
    return list(ContributionItem.batch_get(keys, consistent_read=True)) if keys else []


def add_stats(uow: UnitOfWork, tenant_id: str, dimension: str, month: str, key: str,
              currency: str, revenue: int, orders: int, name: str | None = None) -> None:
    item = StatsItem(PK=tenant_key(tenant_id, "ORDER_STATS", DIMENSIONS[dimension]),
                     SK=f"{month}#{key}#{currency}")
    actions = [StatsItem.revenue.add(revenue), StatsItem.orders.add(orders),
               StatsItem.key.set(key), StatsItem.month.set(month),
               StatsItem.currency.set(currency)]
    if name:
        actions.append(StatsItem.name.set(name))
    uow.update(item, actions)


def stats(tenant_id: str, dimension: str, first_month: str,
          last_month: str) -> list[StatsItem]:
    """Every bucket of the dimension between two months (inclusive): one Query (paged)."""
    pk = tenant_key(tenant_id, "ORDER_STATS", DIMENSIONS[dimension])
    return list(StatsItem.query(pk, StatsItem.SK.between(first_month, f"{last_month}~")))


def histogram(tenant_id: str) -> dict[str, int]:
    """The tenant's RFM histogram: one Query over at most a few hundred small buckets."""
    pk = tenant_key(tenant_id, "RFM")
    return {item.SK: int(item.customers or 0)
            for item in HistogramItem.query(pk, HistogramItem.SK.startswith("H#"),
                                            consistent_read=True)}


def add_histogram(uow: UnitOfWork, tenant_id: str, bucket: str, delta: int) -> None:
    item = HistogramItem(PK=tenant_key(tenant_id, "RFM"), SK=bucket)
    uow.update(item, [HistogramItem.customers.add(delta)])


def put_bands(uow: UnitOfWork, tenant_id: str, bands: dict[str, list[str]],
              customers: int) -> None:
    """The bands sit in a value-shaped item so a value read fetches them in the same call."""
    pk, sk = bands_keys(tenant_id)
    uow.put(BandsItem(PK=pk, SK=sk, customer_id="_bands", tenant_id=tenant_id,
                      doc={"bands": bands, "customers": customers}))


# -- co-purchases -----------------------------------------------------------------------

def _pair_pk(tenant_id: str, product_key: str) -> str:
    return tenant_key(tenant_id, "COBUY", product_key)


def seen_keys(tenant_id: str, customer_id: str, a: str, b: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "COBUY_SEEN", customer_id), f"{a}#{b}"


def seen(tenant_id: str, customer_id: str, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    keys = [seen_keys(tenant_id, customer_id, a, b) for a, b in pairs]
    found = PairSeenItem.batch_get(keys, consistent_read=True) if keys else []
    return {tuple(item.SK.split("#", 1)) for item in found}  # type: ignore[misc]


def mark_seen(uow: UnitOfWork, tenant_id: str, customer_id: str, a: str, b: str) -> None:
    pk, sk = seen_keys(tenant_id, customer_id, a, b)
    uow.put(PairSeenItem(PK=pk, SK=sk, customer_id=customer_id),
            condition=PairSeenItem.PK.does_not_exist(), label="cobuy_seen")


def pairs(tenant_id: str, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], PairItem]:
    keys = [(_pair_pk(tenant_id, a), b) for a, b in wanted]
    found = PairItem.batch_get(keys, consistent_read=True) if keys else []
    return {(i.product_key, i.other_key): i for i in found}


def bump_pair(uow: UnitOfWork, tenant_id: str, found: PairItem | None, a: str, b: str,
              a_name: str | None, b_name: str | None) -> None:
    """One more customer bought a with b; re-ranked on the indexes (version-guarded)."""
    item = found or PairItem(PK=_pair_pk(tenant_id, a), SK=b, product_key=a, other_key=b,
                             customers=0)
    item.customers = int(item.customers or 0) + 1
    item.product_name = a_name or item.product_name
    item.other_name = b_name or item.other_name
    rank = f"{item.customers:010d}#{b}"
    item.GSI1PK, item.GSI1SK = _pair_pk(tenant_id, a), rank
    if a < b:
        item.GSI2PK, item.GSI2SK = tenant_key(tenant_id, "COBUY_TOP"), f"{rank}#{a}"
    uow.put(item, label="version")


def neighbours(tenant_id: str, product_key: str, limit: int) -> list[PairItem]:
    """The `limit` products most bought with this one: reads `limit` items at most."""
    return list(PairItem.gsi1.query(_pair_pk(tenant_id, product_key), scan_index_forward=False,
                                    limit=limit, page_size=limit))


def top_pairs(tenant_id: str, limit: int) -> list[PairItem]:
    return list(PairItem.gsi2.query(tenant_key(tenant_id, "COBUY_TOP"),
                                    scan_index_forward=False, limit=limit, page_size=limit))
