"""Carry out one workflow action on a contact or a company, through the same staging the
API's writes use (entries, claims, the Updated event under the run's correlation id)."""

from __future__ import annotations

from typing import Any

from chalicelib.companies import domain as company_rules
from chalicelib.companies import logic as companies
from chalicelib.companies import repository as company_store
from chalicelib.companies.schemas import CompanyFields
from chalicelib.contacts import domain as contact_rules
from chalicelib.contacts import logic as contacts
from chalicelib.contacts import repository as contact_store
from chalicelib.contacts.schemas import ContactFields
from crm_shared import clock
from crm_shared.errors import NotFound, ValidationFailed
from crm_shared.events.automation_events import WorkflowActionRequested
from crm_shared.events.contacts_events import CompanyUpdated
from crm_shared.unit_of_work import UnitOfWork


def _changes(action: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """The merge-patch an action means (values still to be checked by the entity's schema)."""
    name = action["type"]
    if name == "set_field":
        return {str(action["field"]): action.get("value")}
    if name == "assign_owner":
        return {"owner_id": action["user_id"]}
    tags = set(doc.get("tags") or [])
    if name == "add_tag":
        tags.add(str(action["tag"]))
    elif name == "remove_tag":
        tags.discard(str(action["tag"]))
    else:
        raise ValidationFailed.for_field("type", f"contacts does not carry out {name}")
    return {"tags": sorted(tags)}


def perform(uow: UnitOfWork, tenant_id: str, command: WorkflowActionRequested
            ) -> dict[str, Any]:
    if command.entity_type == "contact":
        return _on_contact(uow, tenant_id, str(command.entity_id), command.action)
    if command.entity_type == "company":
        return _on_company(uow, tenant_id, str(command.entity_id), command.action)
    raise ValidationFailed.for_field("entity_type", f"contacts has no {command.entity_type}")


def _on_contact(uow: UnitOfWork, tenant_id: str, contact_id: str, action: dict[str, Any]
                ) -> dict[str, Any]:
    item = contact_store.get(tenant_id, contact_id, consistent=True)
    if item is None or item.deleted:
        raise NotFound.for_field("entity_id", "the contact no longer exists")
    sent = ContactFields.model_validate(_changes(action, item.doc)).model_dump(
        mode="json", exclude_unset=True)
    after, changed = contact_rules.apply(dict(item.doc), sent)
    after = {k: v for k, v in after.items() if v is not None}
    contact_rules.require_identity(after)
    if changed:
        contacts.stage_update(uow, item, after, changed)
    return {"changed": changed, **({"tags": after.get("tags", [])} if "tags" in sent else {})}


def _on_company(uow: UnitOfWork, tenant_id: str, company_id: str, action: dict[str, Any]
                ) -> dict[str, Any]:
    item = company_store.get(tenant_id, company_id, consistent=True)
    if item is None or item.deleted:
        raise NotFound.for_field("entity_id", "the company no longer exists")
    sent = CompanyFields.model_validate(_changes(action, item.doc)).model_dump(
        mode="json", exclude_unset=True)
    before = dict(item.doc)
    after, changed = company_rules.apply(before, sent)
    company_rules.require_name(after)
    if changed:
        item.doc = after
        item.updated_at = clock.iso()
        company_store.index_record(item)
        shown = companies.record(item) | {"version": (item.version or 0) + 1}
        uow.put(item, label="version")
        company_store.write_entries(uow, tenant_id, company_id, shown,
                                    company_rules.entries_of(before),
                                    company_rules.entries_of(after))
        uow.emit(CompanyUpdated(company_id=company_id, company=shown, changed=changed),
                 tenant_id)
    return {"changed": changed, **({"tags": after.get("tags", [])} if "tags" in sent else {})}
