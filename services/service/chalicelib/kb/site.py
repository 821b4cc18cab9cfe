"""The tenant's self-service site: its settings, the opaque public key, and finding the
tenant a public request's key opens.

The key resolves through one GetItem under the system partition (like web-to-lead form
keys); rotating it deletes the old key item in the same transaction that writes the new one,
so an old link answers 404 from that moment.
"""

from __future__ import annotations

import secrets

from chalicelib.kb import repository
from chalicelib.kb.models import SettingsItem, SiteKeyItem
from chalicelib.kb.schemas import SettingsOut
from crm_shared import clock
from crm_shared.errors import NotFound, PreconditionFailed

PREFIX = "kb_"


def shown(item: SettingsItem | None) -> SettingsOut:
    if item is None:
        return SettingsOut(default_locale="en", version=0)
    return SettingsOut(site_key=item.site_key, default_locale=item.default_locale,
                       version=item.version or 0)


def read(tenant_id: str) -> SettingsItem | None:
    return repository.get_settings(tenant_id)


def default_locale(tenant_id: str) -> str:
    item = repository.get_settings(tenant_id)
    return item.default_locale if item is not None else "en"


def _save(item: SettingsItem, old_key: str | None) -> None:
    uow = repository.unit_of_work()
    if old_key and old_key != item.site_key:
        uow.delete(repository.site_key_item(old_key), label="site_key")
    if item.site_key:
        uow.put(repository.site_key_item(item.site_key, item.tenant_id, item.default_locale),
                label="site_key")
    item.updated_at = clock.iso()
    uow.put(item, label="version")
    uow.commit()


def _current(tenant_id: str) -> SettingsItem:
    return repository.get_settings(tenant_id, consistent=True) or repository.settings_key(
        tenant_id)


def update(tenant_id: str, default_locale: str, if_match: int | None) -> SettingsItem:
    item = _current(tenant_id)
    if if_match is not None and if_match != (item.version or 0):
        raise PreconditionFailed("the settings changed since you read them",
                                 code="version_mismatch")
    item.default_locale = default_locale
    _save(item, item.site_key)
    return item


def rotate_key(tenant_id: str) -> SettingsItem:
    """A new site key (the first, or instead of the old one)."""
    item = _current(tenant_id)
    old = item.site_key
    item.site_key = PREFIX + secrets.token_urlsafe(24)
    _save(item, old)
    return item


def remove_key(tenant_id: str) -> None:
    """Close the public site: the key stops working."""
    item = _current(tenant_id)
    if item.site_key:
        old, item.site_key = item.site_key, None
        _save(item, old)


def resolve(site_key: str) -> SiteKeyItem:
    """The tenant behind a public key; 404 for anything else."""
    found = repository.by_site_key(site_key) if (
        site_key.startswith(PREFIX) and len(site_key) <= 100) else None
    if found is None:
        raise NotFound("no such site")
    return found
