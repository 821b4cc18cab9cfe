"""One clock for the whole code base, so tests and the local runtime can move time forward."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

_offset = timedelta(seconds=float(os.environ.get("CRM_CLOCK_OFFSET_SECONDS", "0") or 0))


def now() -> datetime:
    """The current UTC time, shifted by any offset a test or the local runtime set."""
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> None:
    """Move this process's clock forward (tests and the local runtime's time travel)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def iso(moment: datetime | None = None) -> str:
    """ISO 8601 UTC with a Z and millisecond precision, as the API shows timestamps."""
    value = (moment or now()).astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
