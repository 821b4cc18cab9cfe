"""Subscriptions every domain service has, whatever its domain.

API keys: each service keeps the platform's keys as a projection in its own table, so an
`X-Api-Key` is checked with one GetItem there and no service reads another's table.
"""

from __future__ import annotations

from crm_shared.auth.api_key_store import api_key_item_class, api_key_keys
from crm_shared.events.consumer import Consumer, EventContext
from crm_shared.events.platform_events import ApiKeyCreated, ApiKeyRevoked
from crm_shared.unit_of_work import UnitOfWork


def subscribe_api_keys(consumer: Consumer) -> None:
    """Keep `consumer.service`'s projection of the tenant's API keys."""
    model = api_key_item_class(consumer.service)

    @consumer.on(ApiKeyCreated)
    def api_key_created(event: ApiKeyCreated, ctx: EventContext, uow: UnitOfWork) -> None:
        pk, sk = api_key_keys(ctx.tenant_id, event.key_id)
        # an update, not a put: a revocation that overtook this event must stay revoked
        uow.update(model(PK=pk, SK=sk), [
            model.key_id.set(event.key_id), model.tenant_id.set(ctx.tenant_id),
            model.name.set(event.name), model.role.set(event.role),
            model.scopes.set(set(event.scopes)), model.secret_hash.set(event.secret_hash),
            model.created_at.set(event.created_at), model.created_by.set(event.created_by),
            model.revoked.set(model.revoked | False),
        ], label="api_key")

    @consumer.on(ApiKeyRevoked)
    def api_key_revoked(event: ApiKeyRevoked, ctx: EventContext, uow: UnitOfWork) -> None:
        pk, sk = api_key_keys(ctx.tenant_id, event.key_id)
        uow.update(model(PK=pk, SK=sk), [model.revoked.set(True)], label="api_key")
