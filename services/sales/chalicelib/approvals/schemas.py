"""Request and response bodies of /approvals."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from crm_shared.filters import MAX_FILTER_GROUPS, FilterGroup
from crm_shared.validation import Payload

Status = Literal["pending", "approved", "rejected"]
MAX_RULES = 20
# The opportunity record's fields a rule may test (dotted paths below them are allowed).
RULE_FIELDS = frozenset({
    "name", "company_id", "company_name", "contact_ids", "owner_id", "team_id", "pipeline_id",
    "stage", "stage_kind", "amount", "product_lines", "discount_percent",
    "expected_close_date", "probability", "forecast_category", "source", "source_campaign_id",
    "lead_id",
})


class ApprovalCreate(Payload):
    """Ask for a decision on any service's record (sales itself asks for deal discounts)."""

    subject_type: str = Field(pattern=r"^[a-z][a-z_]{0,39}$")
    subject_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")
    reason: str = Field(min_length=1, max_length=500)
    approver_id: str | None = Field(default=None, pattern=r"^usr_[0-9A-Z]{26}$",
                                    description="None: any of the tenant's admins.")


class Decision(Payload):
    comment: str | None = Field(default=None, min_length=1, max_length=1000)


class ApprovalOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    approval_id: str
    subject_type: str
    subject_id: str
    reason: str
    requested_by: str | None = None
    approver_id: str | None = None
    status: Status
    comment: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    created_at: str
    updated_at: str
    version: int


class ApprovalPage(BaseModel):
    model_config = ConfigDict(defer_build=True)

    items: list[ApprovalOut]
    next_cursor: str | None


class Rule(Payload):
    """A deal matching `filter_groups` (OR of ANDs over the opportunity record) needs an
    approval whatever its discount, e.g. amount.amount gt 10000000."""

    name: str = Field(min_length=1, max_length=100)
    filter_groups: list[FilterGroup] = Field(min_length=1, max_length=MAX_FILTER_GROUPS)

    @field_validator("filter_groups")
    @classmethod
    def _fields(cls, groups: list[FilterGroup]) -> list[FilterGroup]:
        for g, group in enumerate(groups):
            for f, flt in enumerate(group.filters):
                if flt.field.split(".")[0] not in RULE_FIELDS:
                    raise ValueError(f"[{g}].filters[{f}].field: {flt.field!r} is not a field "
                                     "of the opportunity record")
        return groups


class ApprovalSettings(Payload):
    discount_threshold: StrictInt = Field(default=20, ge=0, le=100,
                                          description="A discount above this percent "
                                          "needs the owner's manager's approval.")
    rules: list[Rule] = Field(default_factory=list, max_length=MAX_RULES)


class ApprovalSettingsOut(BaseModel):
    model_config = ConfigDict(defer_build=True)

    discount_threshold: int
    rules: list[Rule]
    version: int
