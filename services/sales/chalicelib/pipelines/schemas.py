"""Request and response bodies of /pipelines."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from crm_shared.validation import Payload

StageKind = Literal["open", "won", "lost"]
MAX_STAGES = 30


class StageIn(Payload):
    name: str = Field(min_length=1, max_length=80)
    probability: StrictInt = Field(ge=0, le=100, description="Percent chance to win from here.")
    kind: StageKind = "open"


class PipelineFields(Payload):
    """On PATCH only the fields sent change; `stages` replaces the whole ordered list."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    stages: list[StageIn] | None = Field(default=None, min_length=2, max_length=MAX_STAGES)
    is_default: bool | None = None

    @field_validator("name", "stages", "is_default", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("cannot be null: leave it out to keep it")
        return value

    @field_validator("stages")
    @classmethod
    def _stages(cls, stages: list[StageIn] | None) -> list[StageIn] | None:
        if stages is None:
            return None
        names = [s.name.lower() for s in stages]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ValueError(f"stage {index}: the name {name!r} is repeated")
        kinds = {s.kind for s in stages}
        for kind in ("open", "won", "lost"):
            if kind not in kinds:
                raise ValueError(f"needs at least one {kind} stage")
        return stages


class PipelineCreate(PipelineFields):
    name: str = Field(min_length=1, max_length=120)
    stages: list[StageIn] = Field(min_length=2, max_length=MAX_STAGES)


class StageOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    name: str
    probability: int
    kind: StageKind
    position: int


class PipelineOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    pipeline_id: str
    name: str
    stages: list[StageOut]
    is_default: bool
    version: int
    created_at: str
    updated_at: str


class PipelineList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[PipelineOut]
