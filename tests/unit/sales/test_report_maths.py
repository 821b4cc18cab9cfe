"""The report maths on its own: exact splits, convergence in any order, bounded writes."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support.makers.sales_reports import deal

ROOT = Path(__file__).resolve().parents[3]


def _load() -> ModuleType:
    """The pure module straight from its file: it imports nothing of the service."""
    path = ROOT / "services" / "sales" / "chalicelib" / "reports" / "domain.py"
    spec = importlib.util.spec_from_file_location("sales_report_domain", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


domain = _load()


@pytest.mark.parametrize("total, weights", [
    (100, {"a": 1, "b": 1, "c": 1}), (7, {"a": 0, "b": 0}), (1_000_003, {"a": 3, "b": 7}),
    (0, {"a": 5}), (10, {"a": 1, "b": 2, "c": 3, "d": 4}),
])
def test_split_always_adds_up(total: int, weights: dict[str, int]) -> None:
    parts = domain.split(total, weights)
    assert sum(parts.values()) == total
    assert set(parts) == set(weights)


def test_many_products_fold_into_other() -> None:
    price = {"amount": 100, "currency": "EUR"}
    lines = [{"product_id": f"prd_{i}", "quantity": i + 1, "unit_price": price,
              "discount_percent": 0} for i in range(9)]
    weights = domain.product_weights({"product_lines": lines})
    assert len(weights) == domain.MAX_PRODUCT_GROUPS
    assert weights["other"] == sum(100 * (i + 1) for i in range(5))
    assert domain.product_weights({"product_lines": []}) == {"none": 1}


def add(into: dict[str, dict[str, int]], change: dict[str, dict[str, int]]) -> None:
    for key, counts in change.items():
        bucket = into.setdefault(key, {})
        for name, value in counts.items():
            bucket[name] = bucket.get(name, 0) + value


def test_applying_differences_lands_on_the_latest_contribution() -> None:
    versions = [deal(version=1), deal(version=2, owner_id="usr_B", probability=40),
                deal(version=3, stage="Won", stage_kind="won", closed_at="2026-02-03",
                     engaged_at="2026-01-01", owner_id="usr_C")]
    totals: dict[str, dict[str, int]] = {}
    applied: dict[str, dict[str, int]] = {}
    for record in versions:
        new = domain.contribution(record)
        add(totals, domain.difference(applied, new))
        applied = new
    nonzero = {k: {n: v for n, v in c.items() if v} for k, c in totals.items()}
    assert {k: c for k, c in nonzero.items() if c} == domain.contribution(versions[-1])
    assert totals["2026-02|owner#-#usr_C"]["cycle_days"] == 33


def test_the_funnel_is_the_same_in_every_event_order() -> None:
    stages = [("Prospecting", "open"), ("Qualification", "open"), ("Proposal", "open"),
              ("Won", "won")]
    records = [{"pipeline_id": "pip_1", "stage": name, "stage_kind": kind, "version": i + 1,
                "updated_at": f"2026-0{i + 1}-01T00:00:00Z"}
               for i, (name, kind) in enumerate(stages)]
    positions = {"pip_1": {"prospecting": 0, "qualification": 1, "proposal": 3, "won": 5}}
    results = []
    for order in itertools.permutations(records):
        entries: dict[str, Any] = {}
        for record in order:
            entries = domain.enter(entries, record)
        results.append(domain.funnel_contribution(entries, positions))
    assert all(result == results[0] for result in results)
    assert results[0]["2026-01|funnel#pip_1#Prospecting"] == {"entered": 1, "advanced": 1,
                                                               "won": 1}


def test_one_change_stays_within_one_transaction() -> None:
    """Worst case: every dimension and five products change along with the stage; the
    ADDs plus the applied state and the consumer's marker must fit in 100 items."""
    price = {"amount": 100, "currency": "EUR"}

    def lines(prefix: str) -> list[dict[str, Any]]:
        return [{"product_id": f"{prefix}{i}", "quantity": 1, "unit_price": price,
                 "discount_percent": 0} for i in range(8)]

    before = deal(product_lines=lines("a"), owner_id="usr_1", team_id="tea_1", source="x",
                  created_at="2026-01-01T00:00:00Z", expected_close_date="2026-02-01")
    after = deal(product_lines=lines("b"), owner_id="usr_2", team_id="tea_2", source="y",
                 pipeline_id="pip_2", stage="Won", stage_kind="won", closed_at="2026-03-01",
                 created_at="2026-01-01T00:00:00Z", amount={"amount": 5, "currency": "USD"})
    change = domain.difference(domain.contribution(before), domain.contribution(after))
    funnel_worst = 8  # a won stage after several entered ones: one won ADD per stage
    assert len(change) + funnel_worst + 2 <= 100
