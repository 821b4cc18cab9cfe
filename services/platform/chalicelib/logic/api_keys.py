"""Tenant API keys: the plaintext is returned once; services learn the hash by event."""

from __future__ import annotations

from chalicelib import repository
from chalicelib.models import ApiKeyItem
from chalicelib.schemas import CreateApiKey
from crm_shared import clock
from crm_shared.auth import api_keys
from crm_shared.errors import NotFound
from crm_shared.events.platform_events import ApiKeyCreated, ApiKeyRevoked
from crm_shared.ids import is_id


def create(tenant_id: str, actor: str, cmd: CreateApiKey) -> tuple[ApiKeyItem, str]:
    new_key = api_keys.generate(tenant_id)
    item = repository.new_api_key(
        key_id=new_key.key_id, tenant_id=tenant_id, name=cmd.name, role=cmd.role,
        scopes=set(cmd.scopes), secret_hash=new_key.secret_hash, created_at=clock.iso(),
        created_by=actor, revoked=False,
    )
    with repository.unit_of_work() as uow:
        uow.put(item, condition=repository.does_not_exist(), label="api_key")
        uow.emit(ApiKeyCreated(key_id=item.key_id, name=item.name, role=item.role,
                               scopes=sorted(item.scopes), secret_hash=item.secret_hash,
                               created_at=item.created_at, created_by=actor), tenant_id)
    return item, new_key.plaintext


def revoke(tenant_id: str, key_id: str) -> None:
    item = repository.get_api_key(tenant_id, key_id) if is_id(key_id, "key") else None
    if item is None:
        raise NotFound(f"no API key {key_id}")
    if item.revoked:
        return
    item.revoked = True
    with repository.unit_of_work() as uow:
        uow.put(item, label="api_key")
        uow.emit(ApiKeyRevoked(key_id=key_id), tenant_id)
