"""Rules a tenant's field overrides must follow (pure Python)."""

from __future__ import annotations

import re

from crm_shared.auth.roles import ALL_ROLES
from crm_shared.errors import ValidationFailed
from crm_shared.field_permissions import (
    DEFAULT_HIDDEN,
    ENTITY_TYPES,
    FIELD_PATTERN,
    Rules,
    protected,
)

MAX_FIELDS = 50


def check(rules: Rules) -> Rules:
    """The rules, normalised (sorted, deduplicated); a 422 naming the first bad path."""
    errors: list[dict[str, str]] = []
    out: Rules = {}
    for role, by_entity in rules.items():
        if role not in ALL_ROLES:
            errors.append({"field": f"rules.{role}",
                           "message": "is not a role: " + ", ".join(sorted(ALL_ROLES))})
            continue
        for entity, fields in by_entity.items():
            where = f"rules.{role}.{entity}"
            if entity not in ENTITY_TYPES:
                errors.append({"field": where,
                               "message": "is not an entity type: " + ", ".join(ENTITY_TYPES)})
                continue
            if len(fields) > MAX_FIELDS:
                errors.append({"field": where, "message": f"at most {MAX_FIELDS} fields"})
            for index, name in enumerate(fields):
                if not re.fullmatch(FIELD_PATTERN, name):
                    errors.append({"field": f"{where}[{index}]",
                                   "message": "must be a field name or field.key"})
                elif name in protected(entity):
                    errors.append({"field": f"{where}[{index}]",
                                   "message": f"{name} cannot be hidden"})
            out.setdefault(role, {})[entity] = sorted(set(fields))
    if errors:
        raise ValidationFailed("invalid field rules: " + ", ".join(e["field"] for e in errors),
                               errors=errors)
    return out


def effective(rules: Rules) -> Rules:
    """Defaults with the tenant's (role, entity) lists replacing theirs."""
    merged: Rules = {role: {e: list(f) for e, f in by.items()}
                     for role, by in DEFAULT_HIDDEN.items()}
    for role, by_entity in rules.items():
        merged.setdefault(role, {}).update({e: list(f) for e, f in by_entity.items()})
    return {role: {e: f for e, f in by.items() if f} for role, by in merged.items()
            if any(by.values())}
