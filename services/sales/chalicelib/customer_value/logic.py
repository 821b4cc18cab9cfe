"""Customer value use cases: fold an order event into the aggregates (exactly once per order
version, late events ignored), read a customer's value with RFM scores, order stats and
co-purchase recommendations, all from maintained aggregates."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from chalicelib.customer_value import domain, repository
from crm_shared.errors import NotFound
from crm_shared.ids import is_id
from crm_shared.unit_of_work import UnitOfWork

NEIGHBOURS = 10  # top-K co-purchased products read per product
PAIR_PRODUCTS = 4  # products of one order paired with each other (12 pair writes at most)
RECOMMEND_FROM = 5  # the customer's most recent products asked for neighbours


def touch_in(uow: UnitOfWork, tenant_id: str, customer_id: str) -> None:
    """Called by an order write: the customer now has a value record (zeros until folded)."""
    repository.touch(uow, tenant_id, customer_id)


def apply_order(uow: UnitOfWork, tenant_id: str, order: dict[str, Any]) -> bool:
    """Replace the order's old contribution with the one of this order version.

    The contribution item remembers the version it reflects: a redelivered or late event
    (same or lower version) changes nothing, so the aggregates stay right in any order.
    """
    contrib = repository.contribution(tenant_id, order["order_id"])
    if int(order["version"]) <= int(contrib.applied_version or 0):
        return False
    old = contrib.doc or None
    new = domain.contribution_of(order)
    _stats(uow, tenant_id, old, new)
    _customers(uow, tenant_id, old, new)
    contrib.applied_version = int(order["version"])
    contrib.doc = new
    uow.put(contrib, label="version")
    return True


def _stats(uow: UnitOfWork, tenant_id: str, old: dict[str, Any] | None,
           new: dict[str, Any]) -> None:
    totals: dict[tuple[str, str, str, str], list[Any]] = {}

    def add(part: dict[str, Any], sign: int) -> None:
        if not part.get("counted"):
            return
        month, currency = part["month"], part["currency"]
        for dim, key, amount, name in [("month", "-", part["amount"], None),
                                       ("source", part["source"], part["amount"], None)] + [
                ("product", k, p["amount"], p.get("name")) for k, p in part["products"].items()]:
            entry = totals.setdefault((dim, month, key, currency), [0, 0, None])
            entry[0] += sign * amount
            entry[1] += sign
            entry[2] = name or entry[2]

    if old:
        add(old, -1)
    add(new, 1)
    for (dim, month, key, currency), (revenue, orders, name) in sorted(totals.items()):
        if revenue or orders:
            repository.add_stats(uow, tenant_id, dim, month, key, currency, revenue, orders,
                                 name)


def _customers(uow: UnitOfWork, tenant_id: str, old: dict[str, Any] | None,
               new: dict[str, Any]) -> None:
    ids = [c for part in (old or {}, new) for c in (part.get("contact_id"),
                                                    part.get("company_id")) if c]
    if not ids:
        return
    found = repository.values(tenant_id, ids)
    histogram_moves: list[tuple[str, int]] = []
    for customer_id in dict.fromkeys(ids):
        item = found.get(customer_id) or repository.new_value(tenant_id, customer_id)
        before = dict(item.doc or {})
        after = domain.fold(before, old, new, customer_id)
        if after == before:
            continue
        item.customer_id, item.tenant_id, item.doc = customer_id, tenant_id, after
        uow.put(item, label="version")
        if is_id(customer_id, "con"):
            histogram_moves += _moves(domain.buckets(before), domain.buckets(after))
    if histogram_moves:
        _rfm(uow, tenant_id, histogram_moves)


def _moves(before: dict[str, str] | None, after: dict[str, str] | None) -> list[tuple[str, int]]:
    moves = []
    for dim in ("R", "F", "M"):
        was, now = (before or {}).get(dim), (after or {}).get(dim)
        if was != now:
            moves += [(f"H#{dim}#{was}", -1)] if was else []
            moves += [(f"H#{dim}#{now}", 1)] if now else []
    return moves


def _rfm(uow: UnitOfWork, tenant_id: str, moves: list[tuple[str, int]]) -> None:
    """Add the customers' bucket moves and recompute the tenant's quintile bands from the
    histogram (a bounded Query); concurrent writers may leave bands one event behind, which
    the next event corrects."""
    histogram = repository.histogram(tenant_id)
    for bucket, delta in moves:
        histogram[bucket] = histogram.get(bucket, 0) + delta
        repository.add_histogram(uow, tenant_id, bucket, delta)
    bands, customers = {}, 0
    for dim in ("R", "F", "M"):
        prefix = f"H#{dim}#"
        part = {k[len(prefix):]: n for k, n in histogram.items() if k.startswith(prefix)}
        bands[dim] = domain.quintile_cuts(part)
        customers = max(customers, sum(n for n in part.values() if n > 0))
    repository.put_bands(uow, tenant_id, bands, customers)


def count_pairs(uow: UnitOfWork, tenant_id: str, order: dict[str, Any]) -> int:
    """OrderPaid: each pair of the order's products gains this customer (once per customer;
    a guest order counts as its own customer). The largest lines pair first."""
    lines = sorted(order.get("lines") or [], key=lambda line: -int(line["total"]["amount"]))
    names: dict[str, str | None] = {}
    for line in lines:
        names.setdefault(str(line.get("product_id") or f"sku:{line.get('sku')}"),
                         line.get("name"))
    keys = sorted(list(names)[:PAIR_PRODUCTS])
    wanted = list(combinations(keys, 2))
    customer = order.get("contact_id") or order["order_id"]
    fresh = [p for p in wanted if p not in repository.seen(tenant_id, customer, wanted)]
    if not fresh:
        return 0
    found = repository.pairs(tenant_id, [d for a, b in fresh for d in ((a, b), (b, a))])
    for a, b in fresh:
        repository.mark_seen(uow, tenant_id, customer, a, b)
        repository.bump_pair(uow, tenant_id, found.get((a, b)), a, b, names[a], names[b])
        repository.bump_pair(uow, tenant_id, found.get((b, a)), b, a, names[b], names[a])
    return len(fresh)


# -- reads ------------------------------------------------------------------------------

def value_of(tenant_id: str, customer_id: str) -> dict[str, Any]:
    """The customer's value and RFM scores: one BatchGetItem (value and the tenant's bands)."""
    if not (is_id(customer_id, "con") or is_id(customer_id, "cmp")):
        raise NotFound("no orders for this customer")
    item, bands = repository.value_and_bands(tenant_id, customer_id)
    if item is None or not item.customer_id:
        raise NotFound("no orders for this customer")
    doc = item.doc or {}
    count, revenue = int(doc.get("order_count") or 0), int(doc.get("revenue") or 0)
    currency = doc.get("currency")
    return {
        "customer_id": customer_id,
        "lifetime_value": {"amount": revenue, "currency": currency} if currency else None,
        "other_currencies": doc.get("other_currencies") or {},
        "order_count": count,
        "average_order_value": {"amount": revenue // count, "currency": currency}
        if count and currency else None,
        "first_order_at": doc.get("first_order_at"),
        "last_order_at": doc.get("last_order_at"),
        "rfm": domain.rfm(doc, bands) if is_id(customer_id, "con") else None,
        "items_read": 2,
    }


def stats(tenant_id: str, group_by: str, first_month: str, last_month: str) -> dict[str, Any]:
    """Revenue, orders and average order value per group, summed from monthly buckets."""
    items = repository.stats(tenant_id, group_by, first_month, last_month)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        key = item.month if group_by == "month" else item.key
        group = groups.setdefault((str(key), str(item.currency)), {
            "key": key, "name": item.name, "currency": item.currency, "revenue": 0,
            "orders": 0})
        group["revenue"] += int(item.revenue or 0)
        group["orders"] += int(item.orders or 0)
    out = []
    for group in sorted(groups.values(), key=lambda g: (g["key"], g["currency"])):
        orders = group["orders"]
        out.append({**group, "average_order_value": group["revenue"] // orders if orders else 0})
    return {"group_by": group_by, "from_month": first_month, "to_month": last_month, "groups": out,
            "items_read": len(items)}


def recommendations(tenant_id: str, contact_id: str | None,
                    product_id: str | None) -> dict[str, Any]:
    """Products bought with what the contact (or `product_id`) bought, each with its reason.

    Reads the contact's value item, then the top-K neighbours of its most recent products:
    the cost never grows with the tenant's orders. Without either, the tenant's top pairs.
    """
    read, owned, sources = 0, set(), []
    if contact_id:
        if not is_id(contact_id, "con"):
            raise NotFound("no orders for this contact")
        item = repository.values(tenant_id, [contact_id]).get(contact_id)
        read += 1
        if item is None:
            raise NotFound("no orders for this contact")
        owned = set((item.doc or {}).get("products") or [])
        sources = list((item.doc or {}).get("products") or [])[:RECOMMEND_FROM]
    elif product_id:
        sources = [product_id]
    else:
        top = repository.top_pairs(tenant_id, NEIGHBOURS)
        return {"items": [{
            "product_key": p.product_key, "name": p.product_name, "with_key": p.other_key,
            "with_name": p.other_name, "customers": int(p.customers),
            "reason": f"bought with {p.other_name or p.other_key} by {int(p.customers)} "
                      "customers"} for p in top], "items_read": len(top)}
    best: dict[str, dict[str, Any]] = {}
    for source in sources:
        found = repository.neighbours(tenant_id, source, NEIGHBOURS)
        read += len(found)
        for pair in found:
            other = pair.other_key
            if other in owned or other == product_id:
                continue
            count = int(pair.customers or 0)
            if other not in best or best[other]["customers"] < count:
                best[other] = {
                    "product_key": other, "name": pair.other_name,
                    "product_id": other if other.startswith("prd_") else None,
                    "customers": count, "because_of": source,
                    "reason": f"bought with {pair.product_name or source} by {count} "
                              "customers"}
    items = sorted(best.values(), key=lambda r: (-r["customers"], r["product_key"]))
    return {"items": items[:NEIGHBOURS], "items_read": read}


def merge_values(uow: UnitOfWork, tenant_id: str, survivor: str, gone: list[str]) -> None:
    """ContactMerged: the merged contacts' value folds into the survivor's (once: in the
    event's transaction). The RFM histogram keeps the merged customers' buckets until
    their next order event."""
    found = repository.values(tenant_id, [survivor, *gone])
    if not any(c in found for c in gone):
        return
    item = found.get(survivor) or repository.new_value(tenant_id, survivor)
    doc = dict(item.doc or {})
    for contact_id in gone:
        other = found.get(contact_id)
        if other is None:
            continue
        doc = domain.combine(doc, dict(other.doc or {}))
        uow.delete(other)
    item.customer_id, item.tenant_id, item.doc = survivor, tenant_id, doc
    uow.put(item, label="version")


def repoint_contributions(uow: UnitOfWork, tenant_id: str, survivor: str, gone: list[str],
                          order_ids: list[str]) -> None:
    """The moved orders' contributions name the survivor, in the moved orders' transaction
    (so a later refund comes off the right customer): one BatchGetItem."""
    for contrib in repository.contributions(tenant_id, order_ids):
        if contrib.doc and contrib.doc.get("contact_id") in gone:
            contrib.doc = {**contrib.doc, "contact_id": survivor}
            uow.put(contrib, label="version")
