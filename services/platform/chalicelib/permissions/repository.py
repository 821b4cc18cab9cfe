"""The only code that knows where the platform keeps a tenant's field rules.

The platform's item is the source of truth, in the same shape every service keeps its
copy in (crm_shared.field_permissions), so the platform masks with the same code.
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib import SERVICE
from crm_shared.field_permissions import (
    FieldRulesItem,
    Rules,
    load_rules_item,
    rules_item_class,
    rules_keys,
)
from crm_shared.unit_of_work import UnitOfWork

Item = rules_item_class(SERVICE)


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


def get(tenant_id: str) -> FieldRulesItem | None:
    return load_rules_item(SERVICE, tenant_id, consistent=True)


def new(tenant_id: str, rules: Rules, version: int, **fields: Any) -> FieldRulesItem:
    pk, sk = rules_keys(tenant_id)
    return Item(PK=pk, SK=sk, tenant_id=tenant_id, rules=json.dumps(rules), version=version,
                **fields)


def at_version(version: int) -> Condition:
    """The stored rules are still at `version` (0: none stored yet)."""
    return Item.PK.does_not_exist() if version == 0 else Item.version == version
