"""Bodies of /contacts/properties and /companies/properties."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.validation import Payload

PropertyType = Literal["string", "number", "bool", "date", "enum", "multi_enum"]


class PropertyIn(Payload):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    label: str = Field(min_length=1, max_length=200)
    type: PropertyType
    required: bool = False
    options: list[str] = Field(default_factory=list, max_length=200)
    description: str | None = Field(default=None, max_length=1000)

    @model_validator(mode="after")
    def _options(self) -> PropertyIn:
        if self.type in {"enum", "multi_enum"} and not self.options:
            raise ValueError("enum and multi_enum properties need options")
        if self.type not in {"enum", "multi_enum"} and self.options:
            raise ValueError("only enum and multi_enum properties take options")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options must be unique")
        return self


class PropertyOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    name: str
    label: str
    type: str
    required: bool
    options: list[str]
    description: str | None
    object_type: str


class PropertyList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[PropertyOut]
