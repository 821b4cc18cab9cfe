"""PynamoDB items of the platform table. Key shapes live in repository.py, not here."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    VersionAttribute,
)

from chalicelib import SERVICE
from crm_shared.auth.api_key_store import api_key_item_class
from crm_shared.dynamo import BaseItem, table_meta


class PlatformItem(BaseItem):
    Meta = table_meta(SERVICE)


class TenantItem(PlatformItem):
    tenant_indexed = False  # the operator's record outlives the tenant's offboarding
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    plan = UnicodeAttribute()
    admin_email = UnicodeAttribute()
    admin_user_id = UnicodeAttribute()
    external_ref = UnicodeAttribute()
    status = UnicodeAttribute()  # provisioning | active | deleted
    settings = JSONAttribute(default=dict)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class ClaimItem(PlatformItem):
    """A uniqueness claim (external_ref, email), written in the same transaction as its owner."""

    tenant_id = UnicodeAttribute()
    owner_id = UnicodeAttribute()


class UserItem(PlatformItem):
    user_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    roles = UnicodeSetAttribute()
    team_ids = UnicodeSetAttribute(default=set)
    status = UnicodeAttribute()  # invited | active | disabled
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


class TeamItem(PlatformItem):
    team_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    name = UnicodeAttribute()
    manager_id = UnicodeAttribute(null=True)
    member_ids = UnicodeSetAttribute(default=set)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()


ApiKeyItem = api_key_item_class(SERVICE)
