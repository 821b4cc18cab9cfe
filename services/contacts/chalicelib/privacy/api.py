"""Routes of the privacy feature: consent, GDPR erasure and export, merge. Thin: the rules
live in consent.py, erasure.py and merge.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.contacts import logic as contacts
from chalicelib.contacts.schemas import ContactOut
from chalicelib.privacy import consent, erasure, merge
from chalicelib.privacy.schemas import (
    ConsentChange,
    ConsentDetail,
    ConsentIn,
    ConsentList,
    ConsentOut,
    DataExport,
    ErasureOut,
    MergeIn,
    MergeOut,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, WRITERS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "privacy")


@api.route("/contacts/{contact_id}/consents/{channel}", "PUT", roles=WRITERS, body=ConsentIn,
           response=ConsentOut)
def set_consent(req: ApiRequest, contact_id: str, channel: str) -> Reply:
    """Record the contact's consent on a channel; `If-Match` makes it conditional."""
    item = consent.set_consent(req.principal, req.tenant_id, contact_id, channel, req.body,
                               req.if_match())
    body = ConsentOut(**consent.shown(item))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/contacts/{contact_id}/consents", "GET", roles=ALL_ROLES, response=ConsentList)
def list_consents(req: ApiRequest, contact_id: str) -> ConsentList:
    """The current consent of every channel that has one."""
    items = consent.current_state(req.principal, req.tenant_id, contact_id)
    return ConsentList(items=[ConsentOut(**consent.shown(i)) for i in items])


@api.route("/contacts/{contact_id}/consents/{channel}", "GET", roles=ALL_ROLES,
           response=ConsentDetail)
def get_consent(req: ApiRequest, contact_id: str, channel: str) -> Reply:
    """The channel's current consent and a page of its history, newest first."""
    current, history, cursor = consent.channel_detail(
        req.principal, req.tenant_id, contact_id, channel,
        parse_limit(req.query.get("limit")), req.query.get("cursor"))
    body = ConsentDetail(channel=channel,
                         current=ConsentOut(**consent.shown(current)) if current else None,
                         history=[ConsentChange(**consent.shown_change(h)) for h in history],
                         next_cursor=cursor)
    return Reply(body, headers={"ETag": etag(current.version if current else 0)})


@api.route("/contacts/{contact_id}/erase", "POST", roles=ADMINS, response=ErasureOut)
def erase_contact(req: ApiRequest, contact_id: str) -> ErasureOut:
    """GDPR erasure: remove every personal field held about the contact (idempotent)."""
    done = erasure.erase(req.principal, req.tenant_id, contact_id)
    return ErasureOut(contact_id=done.contact_id, erased_at=done.erased_at,
                      erased_by=done.erased_by, counts=done.counts)


@api.route("/contacts/{contact_id}/data-export", "GET", roles=ADMINS, response=DataExport)
def export_contact(req: ApiRequest, contact_id: str) -> DataExport:
    """GDPR access: everything the service holds about the contact, as one document."""
    return DataExport(**erasure.export(req.principal, req.tenant_id, contact_id))


@api.route("/contacts/{contact_id}/merge", "POST", roles=WRITERS, body=MergeIn,
           response=MergeOut)
def merge_contacts(req: ApiRequest, contact_id: str) -> Reply:
    """Fold `from_ids` into this contact; safe to retry, a repeat is a no-op."""
    done = merge.merge(req.principal, req.tenant_id, contact_id, req.body)
    shown = contacts.record(done.survivor)
    body = MergeOut(contact=ContactOut(**shown), merged_from=shown.get("merged_from") or [],
                    merged_ids=done.merged_ids, moved=done.moved)
    return Reply(body, headers={"ETag": etag(done.survivor.version)})
