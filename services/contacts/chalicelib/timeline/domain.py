"""Timeline rules in plain Python: what an interaction may say, and how a summary moves.

A summary keeps, per party, the count of entries by kind, the newest entries overall and
the newest few of each kind. Each change of the timeline applies `add` or `remove` to it in
the same transaction, so the 360 card never needs to read the timeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from crm_shared.errors import ValidationFailed

KINDS = ("call", "email", "meeting", "chat", "note", "complaint", "visit")
DIRECTED = frozenset({"call", "email", "chat", "complaint"})  # kinds that have a direction
PARTY_PREFIXES = ("con", "cmp")  # the related ids that get a timeline
MAX_PARTIES = 20  # one transaction: an entry and a summary per party, plus the fact itself
MAX_FUTURE = timedelta(days=1)
LATEST = 5
PER_KIND = 3
MAX_KINDS = 40  # bounds the summary item whatever other services project
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class Source:
    """The fact an entry shows: which service, what type of record, its id."""

    service: str
    type: str
    id: str


@dataclass(frozen=True)
class Entry:
    """One timeline line, the same on every party it concerns."""

    entry_id: str
    kind: str
    summary: str
    occurred_at: str
    source: Source
    link: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def sort_key(self) -> str:
        return f"{self.occurred_at}#{self.entry_id}"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("extra")
        return out

    def with_summary(self, summary: str) -> Entry:
        return replace(self, summary=clip(summary))


def clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS - 1] + "…"


def check_direction(kind: str, direction: str | None) -> None:
    if direction is not None and kind not in DIRECTED:
        raise ValidationFailed.for_field(
            "direction", f"applies only to {', '.join(sorted(DIRECTED))}, not to a {kind}")


def check_occurred_at(moment: datetime, now: datetime, field_name: str = "occurred_at") -> None:
    if moment.utcoffset() is None:
        raise ValidationFailed.for_field(field_name, "must carry a time zone (e.g. Z)")
    if moment > now + MAX_FUTURE:
        raise ValidationFailed.for_field(field_name, "may be at most a day in the future")


def interaction_summary(kind: str, direction: str | None, subject: str | None) -> str:
    """How the timeline shows an interaction: its subject, else what it was."""
    label = f"{direction.capitalize()} {kind}" if direction else kind.capitalize()
    return clip(f"{label}: {subject}" if subject else label)


# -- the summary projection ------------------------------------------------------


def empty_summary() -> dict[str, Any]:
    return {"counts": {}, "last_occurred_at": None, "latest": [], "latest_by_kind": {}}


def _newest(entries: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    unique: dict[str, dict[str, Any]] = {}
    for entry in entries:  # the first copy wins: callers put the newest version first
        unique.setdefault(entry["entry_id"], entry)
    ordered = sorted(unique.values(), key=lambda e: (e["occurred_at"], e["entry_id"]),
                     reverse=True)
    return ordered[:limit]


def add(summary: dict[str, Any], entry: Entry, counted: bool = True) -> dict[str, Any]:
    """The summary with `entry` in it; `counted=False` when it replaces itself (an edit)."""
    shown = entry.as_dict()
    counts = dict(summary["counts"])
    if counted:
        counts[entry.kind] = counts.get(entry.kind, 0) + 1
    by_kind = dict(summary["latest_by_kind"])
    by_kind[entry.kind] = _newest([shown, *by_kind.get(entry.kind, [])], PER_KIND)
    if len(by_kind) > MAX_KINDS:  # keep the kinds seen most recently
        keep = sorted(by_kind, key=lambda k: by_kind[k][0]["occurred_at"], reverse=True)
        by_kind = {k: by_kind[k] for k in keep[:MAX_KINDS]}
    last = max(filter(None, [summary["last_occurred_at"], entry.occurred_at]))
    return {"counts": counts, "last_occurred_at": last,
            "latest": _newest([shown, *summary["latest"]], LATEST), "latest_by_kind": by_kind}


def remove(summary: dict[str, Any], entry: Entry, newest: list[dict[str, Any]] | None = None,
           counted: bool = True) -> dict[str, Any]:
    """The summary without `entry`; `newest` (the timeline's head, read once) refills it."""
    counts = dict(summary["counts"])
    if counted and counts.get(entry.kind):
        counts[entry.kind] -= 1
        if not counts[entry.kind]:
            counts.pop(entry.kind)
    refill = [e for e in newest or [] if e["entry_id"] != entry.entry_id]
    latest = [e for e in summary["latest"] if e["entry_id"] != entry.entry_id]
    by_kind = {k: [e for e in v if e["entry_id"] != entry.entry_id]
               for k, v in summary["latest_by_kind"].items()}
    kind_refill = [e for e in refill if e["kind"] == entry.kind]
    if entry.kind in by_kind:
        by_kind[entry.kind] = _newest(by_kind[entry.kind] + kind_refill, PER_KIND)
    by_kind = {k: v for k, v in by_kind.items() if v and counts.get(k)}
    latest = _newest(latest + refill, LATEST)
    last = latest[0]["occurred_at"] if latest else None
    return {"counts": counts, "last_occurred_at": last, "latest": latest,
            "latest_by_kind": by_kind}


def merged(into: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Two parties' summaries as one (a merge folds the loser's into the survivor's)."""
    counts = dict(into["counts"])
    for kind, number in other["counts"].items():
        counts[kind] = counts.get(kind, 0) + number
    by_kind = {k: _newest(into["latest_by_kind"].get(k, []) + other["latest_by_kind"].get(k, []),
                          PER_KIND)
               for k in set(into["latest_by_kind"]) | set(other["latest_by_kind"])}
    lasts = [v for v in (into["last_occurred_at"], other["last_occurred_at"]) if v]
    return {"counts": counts, "last_occurred_at": max(lasts) if lasts else None,
            "latest": _newest(into["latest"] + other["latest"], LATEST),
            "latest_by_kind": by_kind}
