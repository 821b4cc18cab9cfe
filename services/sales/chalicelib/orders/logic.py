"""Order use cases: create (idempotent on source + external_id), upsert, change status,
read and list. Every write is one transaction: the order, its claim, its history entries,
the customer-value placeholder and one event per status it passed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.customer_value import logic as customer_value
from chalicelib.orders import domain, repository
from chalicelib.orders.models import OrderClaimItem, OrderItem
from chalicelib.orders.schemas import OrderOut
from chalicelib.products import logic as products
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.events.commerce_events import (
    OrderCancelled,
    OrderDelivered,
    OrderEvent,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderShipped,
)
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

PREFIX = "ord"
EVENTS: dict[str, type[OrderEvent]] = {
    "placed": OrderPlaced, "paid": OrderPaid, "shipped": OrderShipped,
    "delivered": OrderDelivered, "cancelled": OrderCancelled, "refunded": OrderRefunded,
}
Also = Callable[[UnitOfWork], None] | None  # more writes for the order's transaction
EDITABLE = ("contact_id", "company_id", "status", "lines", "totals", "shipping", "customer",
            "placed_at")


def record(item: OrderItem, version: int | None = None) -> dict[str, Any]:
    """The order as the API and its events show it."""
    return OrderOut(**{**item.doc, "order_id": item.order_id, "created_at": item.created_at,
                       "updated_at": item.updated_at,
                       "version": version if version is not None else item.version or 0}
                    ).model_dump(mode="json")


def get(tenant_id: str, order_id: str, consistent: bool = False) -> OrderItem:
    item = repository.get(tenant_id, order_id, consistent) if is_id(order_id, PREFIX) else None
    if item is None:
        raise NotFound("no such order")
    return item


def _iso(value: Any) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(
        str(value).replace("Z", "+00:00"))
    return clock.iso(moment)


def _normalized(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready fields: ISO times, and lines whose products exist (named from the catalog)."""
    out = dict(fields)
    if out.get("placed_at") is not None:
        out["placed_at"] = _iso(out["placed_at"])
    shipping = out.get("shipping")
    if shipping and shipping.get("shipped_at") is not None:
        out["shipping"] = {**shipping, "shipped_at": _iso(shipping["shipped_at"])}
    lines = out.get("lines")
    if lines:
        wanted = [line["product_id"] for line in lines if line.get("product_id")]
        known = products.get_many(tenant_id, wanted) if wanted else {}
        named = []
        for index, line in enumerate(lines):
            product = known.get(line.get("product_id") or "")
            if line.get("product_id") and product is None:
                raise ValidationFailed.for_field(f"lines[{index}].product_id", "no such product")
            if not line.get("name"):
                line = {**line, "name": product["name"] if product else line.get("sku")}
            named.append(line)
        out["lines"] = named
    return out


def _stage(uow: UnitOfWork, principal: Principal, item: OrderItem, before: dict[str, Any],
           after: dict[str, Any], creating: bool) -> dict[str, Any] | None:
    """Stage the write of `after` (history, value placeholders, events); None if unchanged."""
    passed = domain.steps(None if creating else before.get("status"), after["status"])
    if not creating and after.get("lines") != before.get("lines") and \
            before.get("status") != "placed":
        raise Conflict.for_field("lines", f"the lines of a {before.get('status')} order are "
                                 "final", code="order_final")
    now = clock.iso()
    if passed:
        after["status_changed_at"] = now
    if not creating and after == before:
        return None
    item.doc = after
    item.updated_at = now
    repository.index_record(item)
    uow.put(item, condition=OrderItem.PK.does_not_exist() if creating else None,
            label="order" if creating else "version")
    previous = None if creating else before.get("status")
    for seq, status in enumerate(passed):
        uow.put(repository.history_entry(item.tenant_id, item.order_id, seq, previous, status,
                                         now, principal.actor))
        previous = status
    for field in ("contact_id", "company_id"):
        if after.get(field) and after.get(field) != before.get(field):
            customer_value.touch_in(uow, item.tenant_id, after[field])
    shown = record(item, (item.version or 0) + 1)
    for status in passed:
        uow.emit(EVENTS[status](order_id=item.order_id, contact_id=after.get("contact_id"),
                                order=shown), item.tenant_id)
    return shown


def _new_doc(tenant_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    doc = _normalized(tenant_id, {k: v for k, v in fields.items() if v is not None})
    doc["lines"] = domain.priced_lines(doc["lines"], doc["totals"])
    doc.setdefault("placed_at", clock.iso())
    doc.setdefault("shipping", {})
    doc.setdefault("customer", {})
    return doc


def create(principal: Principal, tenant_id: str, fields: dict[str, Any],
           upsert: bool = False, also: Also = None) -> tuple[dict[str, Any], bool]:
    """Create the order; a known (source, external_id) returns that order unchanged, or,
    with `upsert`, applies `fields` to it. Returns (record, created). `also` stages more
    writes (intake closes the shop's cart) in the same transaction.

    A new order is one TransactWriteItems holding its claim: a plain create does not read
    the claim first (a repeat finds it taken by the transaction's condition, then reads
    it); an upsert, which usually finds its order, reads the claim first. A claim this
    container read or wrote before is never read again (claims never change hands).
    """
    source, external_id = fields.get("source", "manual"), fields.get("external_id")
    if external_id:
        known = repository.claimed(tenant_id, source, external_id) if upsert else \
            repository.cached_claim(tenant_id, source, external_id)
        if known is not None:
            return _existing(principal, tenant_id, known, fields, upsert, also), False
    try:
        doc = _new_doc(tenant_id, fields)
    except ValidationFailed:
        # a repeat answers with its order, as it did before the body changed
        taken = repository.claimed(tenant_id, source, external_id) \
            if external_id and not upsert else None
        if taken is None:
            raise
        return _existing(principal, tenant_id, taken, fields, upsert, also), False
    order_id = new_id(PREFIX)
    item = repository.new_record(tenant_id, order_id, {}, clock.iso())
    uow = repository.unit_of_work()
    if external_id:
        uow.put(repository.new_claim(tenant_id, source, external_id, order_id),
                condition=OrderClaimItem.PK.does_not_exist(), label="external_id")
    shown = _stage(uow, principal, item, {}, doc, creating=True)
    assert shown is not None
    if also is not None:
        also(uow)
    try:
        uow.commit()
    except TransactionConflict as conflict:
        if "external_id" not in conflict.labels or not external_id:
            raise
        # a repeat, or another request claimed it between our read and write
        winner = repository.claimed(tenant_id, source, external_id)
        if winner is None:
            raise
        return _existing(principal, tenant_id, winner, fields, upsert, also), False
    if external_id:
        repository.remember_claim(tenant_id, source, external_id, order_id)
    return shown, True


def _existing(principal: Principal, tenant_id: str, order_id: str, fields: dict[str, Any],
              upsert: bool, also: Also) -> dict[str, Any]:
    if not upsert:
        return record(get(tenant_id, order_id, consistent=True))
    changes = {k: v for k, v in fields.items() if k in EDITABLE and v is not None}
    return update(principal, tenant_id, order_id, changes, None, also)


def update(principal: Principal, tenant_id: str, order_id: str, changes: dict[str, Any],
           if_match: int | None, also: Also = None) -> dict[str, Any]:
    """Apply the fields sent; a status may only move forward; unchanged is a no-op."""
    item = get(tenant_id, order_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the order changed since you read it", code="version_mismatch")
    for required in ("status", "lines", "totals", "placed_at"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    before = dict(item.doc)
    sent = _normalized(tenant_id, changes)
    after = {**before, **{k: v for k, v in sent.items() if k in EDITABLE}}
    if "shipping" in sent:
        after["shipping"] = {k: v for k, v in {**before.get("shipping", {}),
                                               **(sent["shipping"] or {})}.items()
                             if v is not None}
    if "lines" in sent or "totals" in sent:
        raw = [{k: v for k, v in line.items() if k != "total"} for line in after["lines"]]
        after["lines"] = domain.priced_lines(raw, after["totals"])
    after = {k: v for k, v in after.items() if v is not None}
    uow = repository.unit_of_work()
    shown = _stage(uow, principal, item, before, after, creating=False)
    if also is not None:
        also(uow)
    uow.commit()
    return shown if shown is not None else record(item)


def stage_doc_change(uow: UnitOfWork, item: OrderItem, doc: dict[str, Any]) -> None:
    """Stage a rewrite of the order's record by a consumer (erasure, merge): no status
    change, so no event; the version guards against a concurrent edit."""
    item.doc = doc
    item.updated_at = clock.iso()
    repository.index_record(item)
    uow.put(item, label="version")
