"""Events the platform service publishes (source crm.platform)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from crm_shared.events.envelope import Event


class PlatformEvent(Event):
    source = "crm.platform"


class TenantProvisioned(PlatformEvent):
    """A tenant exists with its admin user; every service seeds its defaults for it."""

    tenant_id: str
    name: str
    plan: str
    admin_user_id: str
    admin_email: str
    settings: dict[str, Any] = Field(default_factory=dict)


class TenantDeleted(PlatformEvent):
    """The tenant was offboarded: its users are disabled; services stop serving it."""

    tenant_id: str


class UserInvited(PlatformEvent):
    user_id: str
    email: str
    name: str | None = None
    roles: list[str]
    team_ids: list[str] = Field(default_factory=list)


class UserUpdated(PlatformEvent):
    user_id: str
    email: str
    name: str | None = None
    roles: list[str]
    team_ids: list[str] = Field(default_factory=list)
    status: str


class TeamChanged(PlatformEvent):
    """A team was created, renamed or re-staffed (routing and assignment use members)."""

    team_id: str
    name: str
    manager_id: str | None = None
    member_ids: list[str] = Field(default_factory=list)
    deleted: bool = False


class ApiKeyCreated(PlatformEvent):
    """Carries the key's hash (never the key) so each service can check it locally."""

    key_id: str
    name: str
    role: str
    scopes: list[str]
    secret_hash: str
    created_at: str
    created_by: str


class ApiKeyRevoked(PlatformEvent):
    key_id: str


class OffboardingEvent(Event):
    """Offboarding's own traffic: it travels under the `_system` tenant (the offboarded
    tenant is in the data), so its outbox items and consumed markers outlive the purge."""

    source = "crm.offboarding"


class TenantPurgeProgressed(OffboardingEvent):
    """One page of `service`'s purge of an offboarded tenant is done; that service's own
    consumer continues from `cursor` (crm_shared.offboarding). Counts are running totals."""

    tenant_id: str
    service: str
    phase: str = Field(description="items, verify (a pass from the start) or objects")
    page: int = Field(ge=0)
    cursor: dict[str, str] | None = None
    items_deleted: int = Field(default=0, ge=0)
    objects_deleted: int = Field(default=0, ge=0)


class TenantPurged(OffboardingEvent):
    """`service` holds nothing of the offboarded tenant any more: the platform's report."""

    tenant_id: str
    service: str
    items_deleted: int = Field(ge=0)
    objects_deleted: int = Field(ge=0)
