"""Request and response bodies of /relationships and of a company's network."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_shared.validation import Payload

RelationshipType = Literal[
    "parent_of", "subsidiary_of", "partner_of", "supplier_of", "customer_of", "influences",
    "influenced_by", "reports_to", "manages", "works_at", "employs", "custom",
]
PARTY = r"^(con|cmp)_[0-9A-HJKMNP-TV-Z]{26}$"


class RelationshipCreate(Payload):
    from_id: str = Field(pattern=PARTY)
    to_id: str = Field(pattern=PARTY)
    type: RelationshipType
    label: str | None = Field(default=None, min_length=1, max_length=100)


class RelationshipOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    relationship_id: str
    from_id: str
    to_id: str
    type: str
    inverse_type: str | None = None
    label: str | None = None
    source: str | None = None  # "parent_id": mirrors a company's parent, follows it
    created_at: str


class RelationshipPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[RelationshipOut]
    next_cursor: str | None


class NetworkNode(BaseModel):
    id: str
    kind: str
    name: str | None = None  # withheld when the caller may not see the record
    depth: int


class Network(BaseModel):
    model_config = ConfigDict(defer_build=True)

    nodes: list[NetworkNode]
    edges: list[RelationshipOut]
    truncated: bool
