"""Request and response bodies of /permissions/fields."""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm_shared.validation import Payload

RulesShape = dict[str, dict[str, list[str]]]


class FieldRulesIn(Payload):
    rules: RulesShape = Field(description=(
        "role -> entity type -> fields that role may not see. A (role, entity) listed "
        "here replaces the default; an empty list shows every field."))


class FieldRulesOut(BaseModel):
    rules: RulesShape = Field(description="The tenant's overrides.")
    defaults: RulesShape = Field(description="What applies where the tenant sets nothing.")
    effective: RulesShape = Field(description="Defaults with the overrides applied.")
    version: int
    updated_at: str | None = None
