"""Lead conversion: the contact, company and deal ids are made here and answered at once.

The lead turns `converted` and keeps the ids; LeadConverted carries them with the lead's
snapshot, and the contacts service creates the contact and company under exactly these ids.
The deal is staged in the same transaction. A retry with the same payload answers the same
ids and writes nothing; another payload for a converted lead is a 409 naming what differs.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.leads import domain as lead_rules
from chalicelib.leads import logic as leads
from chalicelib.leads import repository as lead_store
from chalicelib.leads.models import LeadItem
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import BadRequest, Conflict, ValidationFailed
from crm_shared.events.sales_events import LeadConverted
from crm_shared.ids import new_id
from crm_shared.unit_of_work import UnitOfWork


def _first_difference(before: Any, after: Any, path: str) -> str | None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            found = _first_difference(before.get(key), after.get(key),
                                      f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    return None if before == after else (path or "body")


def _answer(item: LeadItem) -> dict[str, Any]:
    doc = item.doc
    return {"lead_id": item.lead_id, "contact_id": doc["contact_id"],
            "company_id": doc.get("company_id"), "opportunity_id": doc.get("opportunity_id"),
            "lead": leads.record(item)}


def _stage_opportunity(uow: UnitOfWork, principal: Principal, item: LeadItem,
                       opportunity_id: str, fields: dict[str, Any], contact_id: str,
                       company_id: str | None) -> None:
    from chalicelib.opportunities import logic as opportunities  # another feature's use case

    doc = item.doc
    sent = {"name": doc.get("company_name") or doc.get("name") or "Converted lead", **fields,
            "lead_id": item.lead_id, "contact_ids": [contact_id]}
    if doc.get("source"):
        sent.setdefault("source", doc["source"])
    if doc.get("owner_id"):
        sent.setdefault("owner_id", doc["owner_id"])
    if company_id:
        sent.setdefault("company_id", company_id)
    if doc.get("company_name"):
        sent.setdefault("company_name", doc["company_name"])
    try:
        opportunities.create_in(uow, principal, item.tenant_id, opportunity_id, sent)
    except (ValidationFailed, BadRequest) as failed:  # name the field as the client sent it
        for error in failed.errors:
            error["field"] = f"opportunity.{error['field']}"
        failed.detail = "invalid fields: " + ", ".join(e["field"] for e in failed.errors)
        raise


def convert(principal: Principal, tenant_id: str, lead_id: str,
            payload: dict[str, Any]) -> dict[str, Any]:
    item = leads.get(principal, tenant_id, lead_id, consistent=True)
    doc = item.doc
    request = json.loads(json.dumps(payload, sort_keys=True))
    if doc.get("status") == lead_rules.CONVERTED:
        differs = _first_difference(doc.get("conversion") or {}, request, "")
        if differs:
            raise Conflict.for_field(differs, "the lead was converted with another value; "
                                     "a retry must send the same body", code="lead_converted")
        return _answer(item)
    if doc.get("status") not in lead_rules.OPEN:
        raise Conflict.for_field("status", f"a {doc.get('status')} lead cannot be converted",
                                 code="invalid_transition")
    contact_id = new_id("con")
    company_id = new_id("cmp") if payload.get("create_company") and doc.get("company_name") \
        else None
    opportunity_id = new_id("opp") if payload.get("opportunity") is not None else None
    uow = lead_store.unit_of_work()
    if opportunity_id:
        _stage_opportunity(uow, principal, item, opportunity_id, payload["opportunity"],
                           contact_id, company_id)
    leads.stage_save(uow, item, {
        "status": lead_rules.CONVERTED, "contact_id": contact_id, "company_id": company_id,
        "opportunity_id": opportunity_id, "converted_at": clock.iso(), "conversion": request})
    uow.emit(LeadConverted(lead_id=lead_id, contact_id=contact_id, company_id=company_id,
                           opportunity_id=opportunity_id, owner_id=doc.get("owner_id"),
                           lead=leads.shown_after_save(item)), tenant_id)
    uow.commit()
    return _answer(item)
