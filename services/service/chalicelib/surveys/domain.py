"""Survey rules in plain Python: scales, what counts as unhappy, the default settings."""

from __future__ import annotations

from typing import Any

from crm_shared.errors import ValidationFailed

CSAT, NPS = "csat", "nps"
SCALES = {CSAT: range(1, 6), NPS: range(0, 11)}
LOW = {CSAT: 2, NPS: 6}  # at or below: a low CSAT, an NPS detractor
DEFAULTS: dict[str, Any] = {
    "csat_enabled": True,
    "csat_reopen_on_low": True,
    "nps_enabled": True,
    "nps_interval_days": 90,
    "nps_follow_up_on_detractor": True,
    "link_valid_days": 30,
}


def check_score(kind: str, score: int) -> None:
    scale = SCALES[kind]
    if score not in scale:
        raise ValidationFailed.for_field(
            "score", f"a {kind} score is {scale.start}..{scale.stop - 1}")


def is_low(kind: str, score: int) -> bool:
    return score <= LOW[kind]


def settings(config: dict[str, Any]) -> dict[str, Any]:
    """The tenant's survey settings over the defaults."""
    return {**DEFAULTS, **(config.get("surveys") or {})}
