"""Provisioning and offboarding tenants (operator only)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import directory, repository
from chalicelib.domain import tenants as rules
from chalicelib.models import TenantItem, UserItem
from chalicelib.schemas import ProvisionTenant
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound
from crm_shared.events.platform_events import TenantDeleted, TenantProvisioned
from crm_shared.ids import new_id
from crm_shared.settings import get_settings
from crm_shared.unit_of_work import TransactionConflict


@dataclass
class Provisioned:
    tenant: TenantItem
    admin: UserItem | None
    created: bool
    temporary_password: str | None


def provision(cmd: ProvisionTenant) -> Provisioned:
    """Create the tenant and its admin; a repeat with the same external_ref returns it.

    Claims (external_ref, admin email) and a `provisioning` tenant are written first in one
    transaction; the directory user next; the active tenant, admin and `TenantProvisioned`
    last. A crash in between is finished by the next repeat; a refusal undoes the claims.
    """
    claim = repository.get_ref_claim(cmd.external_ref)
    if claim is not None:
        return _resume(claim.tenant_id)
    now = clock.iso()
    tenant_id, admin_id = new_id("ten"), new_id("usr")
    tenant = repository.new_tenant(
        tenant_id=tenant_id, name=cmd.name, plan=cmd.plan, admin_email=cmd.admin_email,
        admin_user_id=admin_id, external_ref=cmd.external_ref, status=rules.PROVISIONING,
        settings={**rules.DEFAULT_SETTINGS, **cmd.settings.model_dump()},
        created_at=now, updated_at=now,
    )
    try:
        with repository.unit_of_work() as uow:
            uow.put(repository.new_claim(repository.ref_claim_keys(cmd.external_ref),
                                         tenant_id, tenant_id),
                    condition=repository.does_not_exist(), label="external_ref")
            uow.put(repository.new_claim(repository.email_claim_keys(cmd.admin_email),
                                         tenant_id, admin_id),
                    condition=repository.does_not_exist(), label="admin_email")
            uow.put(tenant, label="tenant")
    except TransactionConflict as conflict:
        if "external_ref" in conflict.labels:  # a concurrent identical request won the race
            claim = repository.get_ref_claim(cmd.external_ref)
            if claim is not None:
                return _resume(claim.tenant_id)
        raise Conflict.for_field("admin_email", "is already a user of a tenant",
                                 code="email_taken") from conflict
    return _finish(tenant, admin_name=cmd.admin_name, created=True)


def _resume(tenant_id: str) -> Provisioned:
    tenant = repository.get_tenant(tenant_id)
    if tenant is None:
        raise Conflict.for_field("external_ref", "is being provisioned; retry shortly")
    if tenant.status == rules.PROVISIONING:
        return _finish(tenant, admin_name=None, created=False)
    return Provisioned(tenant, repository.get_user(tenant_id, tenant.admin_user_id), False, None)


def _finish(tenant: TenantItem, admin_name: str | None, created: bool) -> Provisioned:
    try:
        password = directory.create_user(
            email=tenant.admin_email, tenant_id=tenant.tenant_id, user_id=tenant.admin_user_id,
            roles={"admin"}, team_ids=set(), name=admin_name,
        )
    except Exception:
        if created:
            _undo_claims(tenant)
        raise
    now = clock.iso()
    admin = repository.new_user(
        user_id=tenant.admin_user_id, tenant_id=tenant.tenant_id, email=tenant.admin_email,
        name=admin_name, roles={"admin"}, team_ids=set(), status="invited",
        created_at=now, updated_at=now,
    )
    repository.mark_invitation_due(admin)
    tenant.status = rules.ACTIVE
    tenant.updated_at = now
    with repository.unit_of_work() as uow:
        uow.put(tenant, label="version")
        uow.put(admin, label="admin")
        uow.emit(TenantProvisioned(
            tenant_id=tenant.tenant_id, name=tenant.name, plan=tenant.plan,
            admin_user_id=admin.user_id, admin_email=admin.email,
            settings=dict(tenant.settings or {}),
        ), tenant.tenant_id)
    shown = password if get_settings().is_local else None
    return Provisioned(tenant, admin, created, shown)


def _undo_claims(tenant: TenantItem) -> None:
    with repository.unit_of_work() as uow:
        for keys in (repository.ref_claim_keys(tenant.external_ref),
                     repository.email_claim_keys(tenant.admin_email)):
            uow.delete(repository.new_claim(keys, tenant.tenant_id, ""))
        uow.delete(tenant, label="tenant")


def get(tenant_id: str) -> TenantItem:
    tenant = repository.get_tenant(tenant_id) if tenant_id.startswith("ten_") else None
    if tenant is None:
        raise NotFound(f"no tenant {tenant_id}")
    return tenant


def offboard(tenant_id: str) -> TenantItem:
    """Disable every user of the tenant and announce `TenantDeleted` (idempotent)."""
    tenant = get(tenant_id)
    if tenant.status == rules.DELETED:
        return tenant
    cursor: str | None = None
    while True:
        users, cursor = repository.list_users(tenant_id, 100, cursor)
        for user in users:
            if user.status != "disabled":
                directory.update_user(
                    email=user.email, tenant_id=tenant_id, user_id=user.user_id,
                    add_roles=set(), remove_roles=set(), team_ids=None, name=None,
                    enabled=False,
                )
        if cursor is None:
            break
    tenant.status = rules.DELETED
    tenant.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        uow.put(tenant, label="version")
        uow.emit(TenantDeleted(tenant_id=tenant_id), tenant_id)
    return tenant
