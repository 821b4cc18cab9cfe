"""/audit: the tenant's append-only log, for admins. Writes on it answer 405."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.audit import logic
from chalicelib.audit.models import AuditEntryItem
from chalicelib.audit.schemas import (
    AnyBody,
    AuditEntryOut,
    AuditPage,
    AuditSettingsIn,
    AuditSettingsOut,
    Refusal,
)
from crm_shared import context
from crm_shared.auth.roles import ADMINS
from crm_shared.errors import MethodNotAllowed
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "audit")
QUERY = ("entity_type", "entity_id", "actor", "from", "to")


def entry_out(item: AuditEntryItem) -> AuditEntryOut:
    return AuditEntryOut.model_validate(logic.entry_view(item))


@api.route("/audit", "GET", roles=ADMINS, response=AuditPage)
def list_entries(req: ApiRequest) -> AuditPage:
    """Entries newest first: by entity_type+entity_id, by actor, or all; within from..to."""
    items, cursor = logic.search(req.tenant_id, {k: req.query[k] for k in QUERY
                                                 if k in req.query},
                                 parse_limit(req.query.get("limit")), req.query.get("cursor"))
    return AuditPage(items=[entry_out(i) for i in items], next_cursor=cursor)


@api.route("/audit/entries/{audit_entry_id}", "GET", roles=ADMINS, response=AuditEntryOut)
def get_entry(req: ApiRequest, audit_entry_id: str) -> AuditEntryOut:
    """One entry."""
    return entry_out(logic.get(req.tenant_id, audit_entry_id))


def _refuse(req: ApiRequest, audit_entry_id: str | None = None) -> Refusal:
    if audit_entry_id is not None:
        logic.get(req.tenant_id, audit_entry_id)  # another tenant's entry stays a 404
    method = req.spec.method
    raise MethodNotAllowed.for_field(
        "method", f"{method} is not allowed: audit entries are append-only and immutable",
        headers={"Allow": "GET"})


@api.route("/audit/entries/{audit_entry_id}", "PUT", roles=ADMINS, body=AnyBody,
           response=Refusal, name="replace_entry")
def replace_entry(req: ApiRequest, audit_entry_id: str) -> Refusal:
    """Refused (405): entries are immutable."""
    return _refuse(req, audit_entry_id)


@api.route("/audit/entries/{audit_entry_id}", "PATCH", roles=ADMINS, body=AnyBody,
           response=Refusal, name="change_entry")
def change_entry(req: ApiRequest, audit_entry_id: str) -> Refusal:
    """Refused (405): entries are immutable."""
    return _refuse(req, audit_entry_id)


@api.route("/audit/entries/{audit_entry_id}", "DELETE", roles=ADMINS, response=Refusal,
           name="delete_entry")
def delete_entry(req: ApiRequest, audit_entry_id: str) -> Refusal:
    """Refused (405): entries leave only by their retention TTL."""
    return _refuse(req, audit_entry_id)


@api.route("/audit", "DELETE", roles=ADMINS, response=Refusal, name="purge_log")
def purge_log(req: ApiRequest) -> Refusal:
    """Refused (405): the log cannot be emptied."""
    return _refuse(req)


def _settings_reply(days: int, version: int, updated_at: str | None) -> Reply:
    return Reply(AuditSettingsOut(retention_days=days, version=version, updated_at=updated_at),
                 headers={"ETag": etag(version)})


@api.route("/audit/settings", "GET", roles=ADMINS, response=AuditSettingsOut)
def get_settings(req: ApiRequest) -> Reply:
    """The tenant's retention (default 365 days)."""
    return _settings_reply(*logic.settings(req.tenant_id))


@api.route("/audit/settings", "PUT", roles=ADMINS, body=AuditSettingsIn,
           response=AuditSettingsOut)
def put_settings(req: ApiRequest) -> Reply:
    """Set the retention of entries written from now on (If-Match required)."""
    ctx = context.current()
    item = logic.set_retention(req.tenant_id, req.principal.actor, req.body.retention_days,
                               req.if_match(), req.correlation_id, ctx.source_ip,
                               ctx.user_agent)
    return _settings_reply(int(item.retention_days), int(item.version), item.updated_at)
