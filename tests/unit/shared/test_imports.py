"""crm_shared.imports: the rules every chunked CSV import shares (contacts, sales)."""

from __future__ import annotations

from crm_shared.ids import is_id
from crm_shared.imports import RowError, created_ms, row_id


def test_row_ids_are_the_same_on_every_attempt() -> None:
    first = row_id("opp", "imp_X", 1_700_000_000_000, 7)
    assert first == row_id("opp", "imp_X", 1_700_000_000_000, 7)
    assert first != row_id("opp", "imp_X", 1_700_000_000_000, 8)
    assert is_id(first, "opp")
    # one row of one import: the same id whatever the record kind, but for the prefix
    assert row_id("cmp", "imp_X", 1_700_000_000_000, 7)[4:] == \
        row_id("con", "imp_X", 1_700_000_000_000, 7)[4:] == first[4:]


def test_row_ids_sort_by_the_import_s_creation() -> None:
    assert created_ms("2023-11-14T22:13:20Z") == 1_700_000_000_000
    assert row_id("con", "imp_A", created_ms("2023-11-14T22:13:20Z"), 2) < \
        row_id("con", "imp_A", created_ms("2023-11-14T22:13:21Z"), 2)


def test_a_row_error_as_the_job_reports_it() -> None:
    assert RowError(4, "close_value", "amount", "is not a number").as_dict() == {
        "row": 4, "column": "close_value", "field": "amount", "message": "is not a number"}
