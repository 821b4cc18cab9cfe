"""Report aggregates of a tenant with N opportunities, loaded fast, for `make bench`.

Importing 100,000 deals through the API takes hours on moto (every transaction copies the
table), so the aggregates are written directly: each deal's contribution is computed by the
reports feature's own `domain.contribution` (what its event handler ADDs), summed per
aggregate item, and the sums are written with BatchWriteItem. The deals are Maven's 8,800
rows, repeated: the tenant keeps Maven's 30 agents, 7 products and months, as a tenant
with more deals over the same people and periods does. Import with the sales app loaded.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from tests.bench.sales_import import pipeline_rows

PROBABILITY = {"Prospecting": 10, "Engaging": 40, "Won": 100, "Lost": 0}
CATEGORY = {"Prospecting": "pipeline", "Engaging": "best_case", "Won": "closed",
            "Lost": "omitted"}
KIND = {"Won": "won", "Lost": "lost"}
PRICES = {"GTX Basic": 550, "GTX Pro": 4821, "GTXPro": 4821, "MG Special": 55,
          "MG Advanced": 3393, "GTX Plus Pro": 5482, "GTX Plus Basic": 1096, "GTK 500": 26768}


def _id(prefix: str, text: str) -> str:
    return f"{prefix}_{hashlib.sha256(text.encode()).hexdigest()[:26].upper()}"


def record(row: dict[str, str], n: int) -> dict[str, Any]:
    """A Maven row as the opportunity record its events would carry."""
    stage = row["deal_stage"]
    value = int(row["close_value"]) if row["close_value"] else PRICES[row["product"]]
    product = row["product"].replace("GTXPro", "GTX Pro")
    return {
        "opportunity_id": _id("opp", str(n)), "owner_id": _id("usr", row["sales_agent"]),
        "team_id": None, "pipeline_id": "pip_BENCH", "stage": stage,
        "stage_kind": KIND.get(stage, "open"), "probability": PROBABILITY[stage],
        "forecast_category": CATEGORY[stage], "source": None,
        "amount": {"amount": value * 100, "currency": "USD"},
        "product_lines": [{"product_id": _id("prd", product), "name": product, "quantity": 1,
                           "unit_price": {"amount": PRICES[row["product"]] * 100,
                                          "currency": "USD"}, "discount_percent": 0.0}],
        "created_at": (row["engage_date"] or "2017-10-01") + "T00:00:00.000Z",
        "engaged_at": row["engage_date"] or None, "closed_at": row["close_date"] or None,
        "expected_close_date": None if stage in KIND else "2017-12-15",
        "version": 1,
    }


def load(tenant_id: str, deals: int) -> int:
    """Write the aggregates of `deals` deals for the tenant; returns the items written."""
    from chalicelib.reports import domain, repository
    from chalicelib.reports.models import AggregateItem

    rows = pipeline_rows()
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for n in range(deals):
        for key, counts in domain.contribution(record(rows[n % len(rows)], n)).items():
            for name, value in counts.items():
                totals[key][name] += value
    with AggregateItem.batch_write() as batch:
        for key, counts in totals.items():
            month, sort_key = key.split("|", 1)
            batch.save(AggregateItem(PK=repository.month_partition(tenant_id, month),
                                     SK=sort_key, **counts))
    return len(totals)


REPORTS = (
    ("GET /opportunities/stats?group_by=owner",
     "/opportunities/stats?group_by=owner&from=2016-10-01&to=2017-12-31"),
    ("GET /opportunities/forecast?period=quarter&group_by=owner",
     "/opportunities/forecast?period=quarter&group_by=owner&from=2016-10-01&to=2017-12-31"),
)


def report_costs(sales: Any, tenants: Any, counter: Any,
                 sizes: tuple[int, ...] = (8_800, 100_000),
                 runs: int = 5) -> list[tuple[str, str, str, str]]:
    """DynamoDB calls, items read and median latency of the stats and forecast reports at
    each size, and the ratio of the largest size's items read and latency to the smallest's
    (the target is flat: reports read aggregates, never deals)."""
    import statistics
    import time

    from tests.support.services import load_app

    measured: dict[str, list[tuple[int, int, float]]] = defaultdict(list)
    rows: list[tuple[str, str, str, str]] = []
    for size in sizes:
        tenant = tenants.create()
        load_app("sales")
        written = load(tenant.tenant_id, size)
        for label, path in REPORTS:
            times = []
            for _ in range(runs):
                with counter.counting():
                    started = time.perf_counter()
                    reply = sales.get(path, token=tenant.admin_token)
                    times.append(time.perf_counter() - started)
                assert reply.status == 200, (label, reply.json)
            latency = statistics.median(times)
            measured[label].append((counter.by_service("dynamodb:"), counter.items_read,
                                    latency))
            rows.append((f"{label} with {size:,} deals ({written:,} aggregates)",
                         str(counter.by_service("dynamodb:")), str(counter.items_read),
                         f"{latency * 1000:.0f} ms median; {counter.summary()}"))
    for label, found in measured.items():
        (_, items_small, time_small), (_, items_large, time_large) = found[0], found[-1]
        rows.append((f"{label}: {sizes[-1]:,} vs {sizes[0]:,} deals", "",
                     f"x{items_large / max(items_small, 1):.2f} items",
                     f"x{time_large / time_small:.2f} latency (target: flat)"))
    return rows


def sales_rows(counter: Any) -> list[tuple[str, str, str, str]]:
    """The sales rows of `make bench`, in a fresh moto: the import's thousands of deals
    would otherwise sit in every later bench's tables."""
    from tests.bench.aws import fresh_aws
    from tests.bench.sales_import import import_row

    with fresh_aws() as aws:
        sales = aws.clients["sales"]
        rows = [import_row(aws.clients["platform"], sales, aws.tenants, aws.settle)]
        return rows + report_costs(sales, aws.tenants, counter)
