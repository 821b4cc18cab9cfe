"""Request and response bodies of the platform API (they also document it)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from crm_shared.auth.api_keys import SCOPE
from crm_shared.auth.roles import Role
from crm_shared.validation import Payload

Plan = Literal["free", "starter", "professional", "enterprise"]
RoleName = Literal["admin", "manager", "sales_rep", "support_agent", "marketer", "viewer"]
NonAdminRole = Literal["manager", "sales_rep", "support_agent", "marketer", "viewer"]
Name = Field(min_length=1, max_length=200)


def _lower(value: str) -> str:
    return value.lower()


class Out(BaseModel):
    """Base of response bodies; built on first use to keep cold starts short."""

    model_config = ConfigDict(defer_build=True)


class TenantSettings(Payload):
    """Defaults every service applies to the tenant's data."""

    record_visibility: Literal["own", "team", "all"] = "team"
    default_phone_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    timezone: str = Field(default="UTC", max_length=64)


class ProvisionTenant(Payload):
    name: str = Name
    plan: Plan = "starter"
    settings: TenantSettings = Field(default_factory=TenantSettings)
    admin_email: EmailStr
    admin_name: str | None = Field(default=None, max_length=200)
    external_ref: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@/-]+$")

    _email = field_validator("admin_email")(_lower)


class TenantOut(Out):
    tenant_id: str
    name: str
    plan: str
    status: str
    admin_email: str
    admin_user_id: str
    external_ref: str
    settings: dict[str, object]
    created_at: str
    updated_at: str


class AdminOut(Out):
    user_id: str
    email: str
    temporary_password: str | None = Field(
        default=None, description="Returned by the local stage only; in the cloud it is emailed."
    )


class ProvisionedOut(Out):
    tenant: TenantOut
    admin: AdminOut


class InviteUser(Payload):
    email: EmailStr
    name: str | None = Field(default=None, max_length=200)
    roles: list[RoleName] = Field(min_length=1, max_length=6)
    team_ids: list[str] = Field(default_factory=list, max_length=20)

    _email = field_validator("email")(_lower)


class UpdateUser(Payload):
    name: str | None = Field(default=None, max_length=200)
    roles: list[RoleName] | None = Field(default=None, min_length=1, max_length=6)
    team_ids: list[str] | None = Field(default=None, max_length=20)
    status: Literal["active", "disabled"] | None = None


class UserOut(Out):
    user_id: str
    tenant_id: str
    email: str
    name: str | None
    roles: list[str]
    team_ids: list[str]
    status: str
    created_at: str
    updated_at: str
    version: int


class InvitedOut(UserOut):
    temporary_password: str | None = None


class UserPage(Out):
    items: list[UserOut]
    next_cursor: str | None


class CreateTeam(Payload):
    name: str = Name
    manager_id: str | None = None
    member_ids: list[str] = Field(default_factory=list, max_length=50)


class UpdateTeam(Payload):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    manager_id: str | None = None
    member_ids: list[str] | None = Field(default=None, max_length=50)


class TeamOut(Out):
    team_id: str
    name: str
    manager_id: str | None
    member_ids: list[str]
    created_at: str
    updated_at: str
    version: int


class TeamPage(Out):
    items: list[TeamOut]
    next_cursor: str | None


class CreateApiKey(Payload):
    name: str = Name
    role: NonAdminRole = Role.VIEWER.value  # type: ignore[assignment]
    scopes: list[str] = Field(min_length=1, max_length=20)

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, scopes: list[str]) -> list[str]:
        for scope in scopes:
            if not SCOPE.match(scope):
                raise ValueError(f"{scope!r} is not <service>:read|write or *:read|write")
        return sorted(set(scopes))


class ApiKeyOut(Out):
    key_id: str
    name: str
    role: str
    scopes: list[str]
    created_at: str
    created_by: str
    revoked: bool


class NewApiKeyOut(ApiKeyOut):
    api_key: str = Field(description="Shown once; only its hash is stored.")


class ApiKeyPage(Out):
    items: list[ApiKeyOut]
    next_cursor: str | None


class MeOut(UserOut):
    pass
