"""Orders, loyalty and recommendations budgets (issue 8), measured through the real sales app
in a moto of their own (as tests/bench/sales_reports.py), for `make bench`.

Budgets: an order upsert is 1 TransactWriteItems (plus per-container cached reads); a
loyalty balance read is 1 DynamoDB call; recommendations read top-K neighbours, never the
order history; a contact's page of orders reads the page, not the contact's history.
Run alone with `python -m tests.bench.sales_orders`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.bench.run import CallCounter

Row = tuple[str, str, str, str]
PRODUCTS = [f"SKU-{n:02d}" for n in range(12)]
CUSTOMERS = 20  # other shoppers, each with PAID_EACH paid orders of three products
PAID_EACH = 2
HISTORY = 6  # paid orders of the measured contact, three products each
PAGE_ORDERS = 60  # orders of the contact whose first page is read


def _order(contact_id: str, external_id: str, skus: list[str],
           status: str = "paid") -> dict[str, Any]:
    lines = [{"sku": sku, "name": sku.title(), "quantity": 1,
              "unit_price": {"amount": 1000, "currency": "USD"}} for sku in skus]
    return {"source": "shop", "external_id": external_id, "contact_id": contact_id,
            "status": status, "lines": lines,
            "totals": {"amount": 1000 * len(skus), "currency": "USD"}}


CACHED = ("not counted, read once per container and cached: the tenant's offboarding mark "
          "(GetItem, 10 s) and field rules (GetItem, 60 s)")


def _row(label: str, counter: CallCounter, note: str = "") -> Row:
    return (label, str(counter.by_service("dynamodb:")), str(counter.items_read),
            (note + "; " if note else "") + counter.summary())


def measure(sales: Any, tenants: Any, counter: CallCounter,
            settle: Callable[[], Any]) -> list[Row]:
    from crm_shared.ids import new_id

    tenant = tenants.create()
    settle()
    token = tenant.admin_token

    def warm() -> None:
        """A request before each measured one: the per-container cached reads are fresh."""
        assert sales.get("/orders?limit=1", token=token).status == 200

    def post(path: str, body: Any, status: tuple[int, ...] = (200, 201)) -> Any:
        reply = sales.post(path, body, token=token)
        assert reply.status in status, (path, reply.json)
        return reply.json

    reply = sales.request("PUT", "/loyalty/program", {
        "enabled": True, "points_per_unit": 1}, token=token)
    assert reply.status == 200, reply.json
    rows: list[Row] = []

    # -- upsert: new, the same again, a status change, the same again in a cold container --
    contact = new_id("con")
    body = _order(contact, "bench-upsert-1", PRODUCTS[:2], status="placed")
    warm()
    with counter.counting():
        created = sales.post("/orders", body, token=token)
    assert created.status == 201, created.json
    rows.append(_row("POST /orders (new, 2 lines, with external_id)", counter,
                     "its claim in the transaction, not read first; " + CACHED))
    warm()
    with counter.counting():
        again = sales.post("/orders", body, token=token)
    assert again.status == 200 and again.json == created.json, again.json
    rows.append(_row("POST /orders (the same source + external_id again)", counter,
                     "the claim from this container's cache"))
    warm()
    with counter.counting():
        paid = sales.post("/orders?upsert=true", {**body, "status": "paid"}, token=token)
    assert paid.status == 200 and paid.json["status"] == "paid", paid.json
    rows.append(_row("POST /orders?upsert=true (same order, placed -> paid)", counter,
                     "the claim cached; the order read for its version and status"))
    from chalicelib.orders import repository as orders_repository

    orders_repository.forget_claims()  # another container: nothing cached
    warm()
    with counter.counting():
        cold = sales.post("/orders", body, token=token)
    assert cold.status == 200 and cold.json["order_id"] == created.json["order_id"], cold.json
    rows.append(_row("POST /orders (same again, in a container that never saw the claim)",
                     counter, "the transaction fails on the claim, which is then read "
                     "(an upsert reads the claim first instead)"))

    # -- purchase history: co-purchases of 12 products by 20 shoppers and the contact ------
    for n in range(CUSTOMERS):
        shopper = new_id("con")
        for k in range(PAID_EACH):
            skus = [PRODUCTS[(n + k + i * 3) % len(PRODUCTS)] for i in range(3)]
            post("/orders", _order(shopper, f"bench-shopper-{n}-{k}", skus))
    buyer = new_id("con")
    for k in range(HISTORY):
        post("/orders", _order(buyer, f"bench-buyer-{k}",
                               [PRODUCTS[(2 * k + i) % len(PRODUCTS)] for i in range(3)]))
    settle()
    total = CUSTOMERS * PAID_EACH + HISTORY
    warm()
    with counter.counting():
        reply = sales.get(f"/orders/recommendations?contact_id={buyer}", token=token)
    assert reply.status == 200 and reply.json["items"], reply.json
    rows.append(_row(f"GET /orders/recommendations?contact_id= ({HISTORY} paid orders of the "
                     f"contact, {total} paid orders of {len(PRODUCTS)} products in the tenant)",
                     counter, f"{len(reply.json['items'])} recommended; the value item and the "
                     "top 10 neighbours of the 5 latest products: at most 51 items, whatever "
                     "the history"))

    # -- loyalty balance (earned on OrderPaid) ---------------------------------------------
    warm()
    with counter.counting():
        reply = sales.get(f"/loyalty/members/{buyer}", token=token)
    assert reply.status == 200 and reply.json["balance"] > 0, reply.json
    rows.append(_row(f"GET /loyalty/members/{{id}} (balance, tier, first ledger page of "
                     f"{len(reply.json['history'])})", counter))

    # -- a contact's orders page -----------------------------------------------------------
    regular = new_id("con")
    for k in range(PAGE_ORDERS):
        post("/orders", _order(regular, f"bench-regular-{k}", PRODUCTS[:1], status="placed"))
    warm()
    with counter.counting():
        reply = sales.get(f"/orders?contact_id={regular}&limit=25", token=token)
    assert reply.status == 200 and len(reply.json["items"]) == 25, reply.json
    rows.append(_row(f"GET /orders?contact_id=&limit=25 (the contact has {PAGE_ORDERS} "
                     "orders)", counter))
    return rows


def order_rows(counter: CallCounter) -> list[Row]:
    """The orders, loyalty and recommendations rows, in a fresh moto."""
    from tests.bench.aws import fresh_aws

    with fresh_aws() as aws:
        return measure(aws.clients["sales"], aws.tenants, counter, aws.settle)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from tests.bench.run import CallCounter  # sets the test stage's environment up

    for row in order_rows(CallCounter()):
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
