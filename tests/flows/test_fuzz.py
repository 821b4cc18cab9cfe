"""The bounded fuzz run CI does: every service, a few cases per operation, no 5xx and no
response off its documented schema (`make fuzz` runs the long version)."""

from __future__ import annotations

import pytest

from tests.fuzz import run

pytestmark = pytest.mark.slow


def test_schemathesis_finds_no_server_error_and_no_schema_break() -> None:
    assert run.main(["--examples", "3"]) == 0, "see the schemathesis output above"
