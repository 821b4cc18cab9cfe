"""Web-to-lead: admins manage forms; visitors post them without signing in.

A public post finds its tenant only through the form key's item (one GetItem under the
system partition), is refused unless its Origin is allowed, is silently dropped when the
honeypot is filled, is counted against the form's per-minute limit, and then creates the
lead exactly as the API would (LeadCreated then drives assignment).
"""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.forms import repository
from chalicelib.forms.models import FormItem
from chalicelib.forms.schemas import FormOut
from chalicelib.leads import logic as leads
from chalicelib.leads import repository as lead_store
from chalicelib.leads.schemas import LeadCreate
from crm_shared import clock
from crm_shared.context import Principal
from crm_shared.errors import (
    Forbidden,
    NotFound,
    PreconditionFailed,
    TooManyRequests,
    ValidationFailed,
)
from crm_shared.ids import is_id, new_id
from crm_shared.validation import validate

DEFAULT_RATE = 20
DEFAULT_HONEYPOT = "website"


def record(item: FormItem) -> dict[str, Any]:
    return FormOut(**{"rate_limit_per_minute": DEFAULT_RATE, "honeypot_field": DEFAULT_HONEYPOT,
                      **item.doc, "form_id": item.form_id, "form_key": item.form_key,
                      "created_at": item.created_at, "updated_at": item.updated_at,
                      "version": item.version or 0}).model_dump(mode="json")


def get(tenant_id: str, form_id: str, consistent: bool = False) -> FormItem:
    item = repository.get(tenant_id, form_id, consistent) if is_id(form_id, "frm") else None
    if item is None:
        raise NotFound("no such form")
    return item


def create(tenant_id: str, fields: dict[str, Any]) -> FormItem:
    form_id, key = new_id("frm"), "fk_" + secrets.token_urlsafe(24)
    item = repository.new_form(tenant_id, form_id, key, fields, clock.iso())
    uow = repository.unit_of_work()
    uow.put(item, FormItem.PK.does_not_exist(), label="form")
    uow.put(repository.key_item(key, tenant_id, form_id), label="form_key")
    uow.commit()
    return item


def update(tenant_id: str, form_id: str, fields: dict[str, Any],
           if_match: int | None) -> FormItem:
    item = get(tenant_id, form_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the form changed since you read it", code="version_mismatch")
    for required in ("name", "field_map"):
        if required in fields and not fields[required]:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    item.doc = {k: v for k, v in {**item.doc, **fields}.items() if v is not None}
    item.updated_at = clock.iso()
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    uow.commit()
    return item


def delete(tenant_id: str, form_id: str) -> None:
    """The form and its key go together: the key answers 404 from now on."""
    item = get(tenant_id, form_id, consistent=True)
    uow = repository.unit_of_work()
    uow.delete(item, FormItem.version == item.version, label="version")
    uow.delete(repository.key_item(item.form_key))
    uow.commit()


def _lead_fields(form: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The lead the post describes, through the form's mapping; 422s name the form field."""
    fields: dict[str, Any] = {}
    by_target = {}
    for form_field, target in form["field_map"].items():
        by_target[target] = form_field
        value = sent.get(form_field)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int | float):
            raise ValidationFailed.for_field(form_field, "must be text")
        if target.startswith("utm."):
            fields.setdefault("utm", {})[target[4:]] = str(value)
        else:
            fields[target] = str(value)
    if form.get("default_source"):
        fields["source"] = form["default_source"]
    if form.get("default_owner_id"):
        fields["owner_id"] = form["default_owner_id"]
    try:
        validated = validate(LeadCreate, fields).model_dump(mode="json", exclude_none=True)
        return leads.normalized(validated) | {"form_id": form["form_id"]}
    except ValidationFailed as failed:
        for error in failed.errors:
            error["field"] = by_target.get(error["field"], error["field"])
        failed.detail = "invalid fields: " + ", ".join(e["field"] for e in failed.errors)
        raise


def submit(form_key: str, origin: str | None, sent: dict[str, Any]) -> str | None:
    """Create the lead a visitor posted; None when the honeypot said it was a bot."""
    key = repository.by_key(form_key) if form_key.startswith("fk_") else None
    if key is None:
        raise NotFound("no such form")
    item = repository.get(key.tenant_id, key.form_id)
    if item is None:
        raise NotFound("no such form")
    form = record(item)
    allowed = form["allowed_origins"]
    if allowed and (origin or "").strip().lower().rstrip("/") not in allowed:
        raise Forbidden.for_field("Origin", "this site may not post this form",
                                  code="origin_not_allowed")
    if sent.get(form["honeypot_field"]):
        return None
    now = clock.now()
    if not repository.count_submission(key.tenant_id, key.form_id, now,
                                       int(form["rate_limit_per_minute"])):
        raise TooManyRequests("this form takes no more posts this minute",
                              headers={"Retry-After": str(60 - now.second)})
    fields = _lead_fields(form, sent)
    public = Principal(kind="public", tenant_id=key.tenant_id, subject=f"form:{key.form_id}")
    uow = lead_store.unit_of_work()
    lead = leads.stage_create(uow, public, key.tenant_id, fields)
    uow.commit()
    return lead.lead_id
