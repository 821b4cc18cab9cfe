"""Field-level permissions: which fields of which records a role may not see.

A deny-list per role and entity type ("viewer" sees no `phones` of a contact), not an
allow-list: records gain fields all the time (tenant properties, new features), and an
allow-list would hide each new field from every role until someone listed it everywhere.
The sensitive fields are few and known; they are named here once. A field may be a
dotted path into an object (`properties.salary`, `customer.phone`).

Defaults ship in `DEFAULT_HIDDEN`; a tenant's admin replaces the list of a (role, entity)
pair at `/permissions/fields` (platform). The platform announces the tenant's rules with
`FieldPermissionsChanged`; every service keeps them as one item in its own table
(`subscribe_field_permissions(consumer)`) and this module caches that item per container
for `CACHE_SECONDS`, so masking costs no read on a warm container.

`mask(record, entity_type, principal, tenant_rules)` is the one function that hides
fields: the response hook (crm_shared.http) applies it per caller; exports apply it with
the exporter's stored principal; events are not per principal (they carry full records
between services), so webhooks mask each payload with the role their subscription acts
as before it leaves the CRM (`principal_for_role`, `mask_nested`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition

from crm_shared.context import Principal
from crm_shared.dynamo import BaseItem, table_meta, tenant_key

if TYPE_CHECKING:
    from crm_shared.events.consumer import Consumer

Rules = dict[str, dict[str, list[str]]]  # role -> entity type -> hidden fields

ENTITY_TYPES = ("contact", "company", "lead", "opportunity", "ticket", "order")
PERSONAL = frozenset({"contact", "lead", "ticket", "order"})  # reads of these are audited
CACHE_SECONDS = 60.0
FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,63}(\.[A-Za-z0-9_-]{1,64})?$"

_PERSON = ("phones", "addresses", "birthday", "important_dates", "social")
DEFAULT_HIDDEN: Rules = {
    "viewer": {
        "contact": list(_PERSON),
        "company": ["addresses"],
        "lead": ["phone", "notes"],
        "order": ["shipping", "customer"],
    },
    "marketer": {
        "contact": ["addresses", "birthday", "important_dates"],
        "order": ["shipping"],
    },
}
UNRESTRICTED_KINDS = frozenset({"system", "operator"})


def protected(entity_type: str) -> frozenset[str]:
    """Fields no rule may hide: without them a record cannot be addressed or updated."""
    return frozenset({f"{entity_type}_id", "version"})


def hidden_fields(entity_type: str, principal: Principal | None,
                  tenant_rules: Mapping[str, Mapping[str, Iterable[str]]] | None) -> frozenset[str]:
    """What `principal` may not see of an `entity_type` record.

    A field is hidden only if every role of the caller hides it (roles grant, they never
    take away). A tenant's rule for a (role, entity) replaces the default list. The system
    and the operator see everything; a caller without a role sees what a viewer sees.
    """
    if principal is not None and principal.kind in UNRESTRICTED_KINDS:
        return frozenset()
    rules = tenant_rules or {}
    roles = (principal.roles if principal else frozenset()) or frozenset({"viewer"})
    hidden: frozenset[str] | None = None
    for role in roles:
        by_entity = rules.get(role)
        if by_entity is not None and entity_type in by_entity:
            mine = frozenset(by_entity[entity_type])
        else:
            mine = frozenset(DEFAULT_HIDDEN.get(role, {}).get(entity_type, ()))
        hidden = mine if hidden is None else hidden & mine
    return (hidden or frozenset()) - protected(entity_type)


def mask(record: dict[str, Any], entity_type: str, principal: Principal | None,
         tenant_rules: Mapping[str, Mapping[str, Iterable[str]]] | None) -> dict[str, Any]:
    """A copy of `record` without the fields `principal` may not see (absent, not null:
    the record still matches its schema, where hideable fields are optional)."""
    hidden = hidden_fields(entity_type, principal, tenant_rules)
    if not hidden:
        return record
    out = dict(record)
    for name in hidden:
        head, _, rest = name.partition(".")
        if not rest:
            out.pop(head, None)
        elif isinstance(out.get(head), dict):
            out[head] = {k: v for k, v in out[head].items() if k != rest}
    return out


def mask_nested(data: Any, principal: Principal | None,
                tenant_rules: Mapping[str, Mapping[str, Iterable[str]]] | None,
                depth: int = 0) -> Any:
    """A copy of an event's `data` with every record in it masked: a record is an object
    under a key naming its entity type (`{"contact": {...}}`, `{"payload": {"lead": {...}}}`),
    as the event catalog carries them. What leaves the CRM outside a response (webhook
    bodies, workflow webhook calls) goes through this, so it hides what `mask` hides."""
    if depth > 8:
        return data
    if isinstance(data, list):
        return [mask_nested(v, principal, tenant_rules, depth + 1) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ENTITY_TYPES and isinstance(value, dict):
            value = mask(value, key, principal, tenant_rules)
        out[key] = mask_nested(value, principal, tenant_rules, depth + 1)
    return out


def principal_for_role(tenant_id: str, role: str, subject: str) -> Principal:
    """The principal a webhook or export masks with: its owner's role, not the system's."""
    return Principal(kind="user", tenant_id=tenant_id, subject=subject,
                     roles=frozenset({role}))


# -- the per-service copy of a tenant's rules ---------------------------------

class FieldRulesItem(BaseItem):
    """A tenant's rules in one service's table (the platform's is the source of truth)."""

    tenant_id = UnicodeAttribute()
    rules = UnicodeAttribute()  # JSON of `Rules`
    version = NumberAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)

    def parsed(self) -> Rules:
        loaded: Rules = json.loads(self.rules)
        return loaded


@cache
def rules_item_class(service: str) -> type[FieldRulesItem]:
    return type(f"{service.title()}FieldRulesItem", (FieldRulesItem,),
                {"Meta": table_meta(service)})


def rules_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "FIELDRULES"), "FIELDRULES"


def load_rules_item(service: str, tenant_id: str,
                    consistent: bool = False) -> FieldRulesItem | None:
    model = rules_item_class(service)
    try:
        return model.get(*rules_keys(tenant_id), consistent_read=consistent)
    except model.DoesNotExist:
        return None


_cache: dict[tuple[str, str], tuple[float, Rules]] = {}


def tenant_rules(service: str, tenant_id: str) -> Rules:
    """The tenant's overrides as `service` knows them; one GetItem per container per
    tenant every CACHE_SECONDS (a changed rule reaches every container within that)."""
    key = (service, tenant_id)
    found = _cache.get(key)
    now = time.monotonic()
    if found is not None and found[0] > now:
        return found[1]
    item = load_rules_item(service, tenant_id)
    rules = item.parsed() if item is not None else {}
    _cache[key] = (now + CACHE_SECONDS, rules)
    return rules


def forget(service: str, tenant_id: str) -> None:
    """Drop this container's cached copy (the writer's container sees a change at once)."""
    _cache.pop((service, tenant_id), None)


def newer_than_stored(model: type[FieldRulesItem], version: int) -> Condition:
    return model.PK.does_not_exist() | (model.version < version)


def subscribe_field_permissions(consumer: Consumer) -> None:
    """Keep `consumer.service`'s copy of each tenant's field rules (one line per service).

    Events may arrive out of order: a stored copy newer than the event is kept. The read
    and the conditional write race only with a redelivery of a newer event, which then
    fails its transaction and is retried against the fresh copy.
    """
    from crm_shared.events.audit_events import FieldPermissionsChanged  # deferred

    model = rules_item_class(consumer.service)

    @consumer.on(FieldPermissionsChanged)
    def field_permissions_changed(event: FieldPermissionsChanged, ctx: Any, uow: Any) -> None:
        stored = load_rules_item(consumer.service, ctx.tenant_id, consistent=True)
        if stored is not None and int(stored.version) >= event.version:
            return
        pk, sk = rules_keys(ctx.tenant_id)
        uow.put(model(PK=pk, SK=sk, tenant_id=ctx.tenant_id, rules=json.dumps(event.rules),
                      version=event.version, updated_at=event.updated_at,
                      updated_by=ctx.actor),
                condition=newer_than_stored(model, event.version), label="field_rules")
        forget(consumer.service, ctx.tenant_id)


# -- responses: which parts of a response model are records -------------------

Path = tuple[str, ...]  # keys into the JSON, "*" for every element of a list


def record_paths(model: Any, depth: int = 0) -> tuple[tuple[Path, str], ...]:
    """Where records sit in a response model: a model whose first field is `<entity>_id`
    for a known entity type is that entity's record (ContactOut, LeadOut, ...)."""
    return _record_paths(model, depth)


@cache
def _record_paths(model: Any, depth: int) -> tuple[tuple[Path, str], ...]:
    from pydantic import BaseModel

    if not (isinstance(model, type) and issubclass(model, BaseModel)) or depth > 3:
        return ()
    names = list(model.model_fields)
    entity = names[0].removesuffix("_id") if names and names[0].endswith("_id") else None
    if entity in ENTITY_TYPES:
        return (((), entity),)
    found: list[tuple[Path, str]] = []
    for name, info in model.model_fields.items():
        for inner, prefix in _models_in(info.annotation):
            for path, kind in _record_paths(inner, depth + 1):
                found.append(((name, *prefix, *path), kind))
    return tuple(found)


def _models_in(annotation: Any) -> list[tuple[Any, Path]]:
    """The models an annotation holds, with "*" steps for lists (Optional unwrapped)."""
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset) and args:
        return [(m, ("*", *p)) for m, p in _models_in(args[0])]
    if args and origin is not dict:
        return [found for arg in args for found in _models_in(arg)]
    return [(annotation, ())] if isinstance(annotation, type) else []


def apply(payload: Any, paths: tuple[tuple[Path, str], ...], principal: Principal | None,
          tenant_rules: Rules) -> tuple[Any, dict[str, list[str]]]:
    """Mask every record at `paths` in a JSON payload; returns it and the ids seen per
    entity type (what the read audit records)."""
    seen: dict[str, list[str]] = {}

    def walk(node: Any, path: Path, entity: str) -> Any:
        if not path:
            if not isinstance(node, dict):
                return node
            record_id = node.get(f"{entity}_id")
            if isinstance(record_id, str):
                seen.setdefault(entity, []).append(record_id)
            return mask(node, entity, principal, tenant_rules)
        step, rest = path[0], path[1:]
        if step == "*":
            return [walk(n, rest, entity) for n in node] if isinstance(node, list) else node
        if isinstance(node, dict) and node.get(step) is not None:
            return {**node, step: walk(node[step], rest, entity)}
        return node

    for path, entity in paths:
        payload = walk(payload, path, entity)
    return payload, seen
