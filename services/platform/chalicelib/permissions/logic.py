"""Use cases of /permissions/fields: read and replace a tenant's field rules."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.permissions import domain
from chalicelib.permissions import repository as repo
from chalicelib.permissions.schemas import FieldRulesOut
from crm_shared import clock
from crm_shared.errors import PreconditionRequired
from crm_shared.events.audit_events import FieldPermissionsChanged
from crm_shared.field_permissions import DEFAULT_HIDDEN, Rules, forget


def view(tenant_id: str) -> FieldRulesOut:
    item = repo.get(tenant_id)
    rules: Rules = item.parsed() if item is not None else {}
    return FieldRulesOut(rules=rules, defaults=DEFAULT_HIDDEN, effective=domain.effective(rules),
                         version=int(item.version) if item else 0,
                         updated_at=item.updated_at if item else None)


def replace(tenant_id: str, actor: str, rules: Rules, if_match: int | None) -> FieldRulesOut:
    """Store the rules at the next version and announce them to every service, in one
    transaction (a stale If-Match is a 412)."""
    if if_match is None:
        raise PreconditionRequired.for_field("If-Match",
                                             "send the ETag of GET /permissions/fields")
    checked = domain.check(rules)
    now = clock.iso()
    version = if_match + 1
    with repo.unit_of_work() as uow:
        uow.put(repo.new(tenant_id, checked, version, updated_at=now, updated_by=actor),
                condition=repo.at_version(if_match), label="version")
        uow.emit(FieldPermissionsChanged(rules=checked, version=version, updated_at=now),
                 tenant_id)
    forget(SERVICE, tenant_id)
    return view(tenant_id)
