"""Pipeline rules in plain Python: which stage a name means, and what a stage implies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_NAME = "Sales"
# Maven's stages (Prospecting, Engaging, Won, Lost) are all here, so its deals import as is.
DEFAULT_STAGES: list[dict[str, Any]] = [
    {"name": "Prospecting", "probability": 10, "kind": "open"},
    {"name": "Qualification", "probability": 20, "kind": "open"},
    {"name": "Engaging", "probability": 40, "kind": "open"},
    {"name": "Proposal", "probability": 60, "kind": "open"},
    {"name": "Negotiation", "probability": 80, "kind": "open"},
    {"name": "Won", "probability": 100, "kind": "won"},
    {"name": "Lost", "probability": 0, "kind": "lost"},
]


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int
    kind: str
    position: int

    @property
    def closed(self) -> bool:
        return self.kind != "open"


@dataclass(frozen=True)
class Pipeline:
    pipeline_id: str
    name: str
    stages: tuple[Stage, ...]
    is_default: bool

    def stage(self, name: str) -> Stage | None:
        """The stage called `name`, case-insensitively (imports and clients vary the case)."""
        wanted = name.strip().lower()
        return next((s for s in self.stages if s.name.lower() == wanted), None)

    @property
    def first_open(self) -> Stage:
        return next(s for s in self.stages if s.kind == "open")


def positioned(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": s["name"], "probability": int(s["probability"]), "kind": s["kind"],
             "position": index} for index, s in enumerate(stages)]


def from_record(record: dict[str, Any]) -> Pipeline:
    return Pipeline(
        pipeline_id=str(record["pipeline_id"]), name=str(record["name"]),
        stages=tuple(Stage(str(s["name"]), int(s["probability"]), str(s["kind"]),
                           int(s["position"])) for s in record["stages"]),
        is_default=bool(record.get("is_default")))
