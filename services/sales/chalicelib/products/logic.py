"""Product use cases: the tenant's catalog, with names and aliases unique per tenant.

Deals, imports and lead conversions name products loosely ("GTXPro" for "GTX Pro"), so a
product claims its name and each alias; `find_by_name` resolves any of them in one GetItem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chalicelib.products import domain, repository
from chalicelib.products.models import ProductItem
from chalicelib.products.schemas import ProductCreate, ProductFields
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork

PREFIX = "prd"


def record(item: ProductItem, version: int | None = None) -> dict[str, Any]:
    """The product as the API shows it."""
    doc = item.doc
    return {**doc, "product_id": item.product_id, "aliases": doc.get("aliases", []),
            "active": bool(doc.get("active", True)), "created_at": item.created_at,
            "updated_at": item.updated_at, "version": version or item.version or 0}


def get(tenant_id: str, product_id: str, consistent: bool = False) -> ProductItem:
    """A product of the tenant (one GetItem), else 404."""
    item = repository.get(tenant_id, product_id, consistent) \
        if is_id(product_id, PREFIX) else None
    if item is None:
        raise NotFound("no such product")
    return item


def get_many(tenant_id: str, product_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Records of the well-formed ids that exist (one BatchGetItem)."""
    wanted = [p for p in product_ids if is_id(p, PREFIX)]
    return {pid: record(item) for pid, item in repository.get_many(tenant_id, wanted).items()}


def find_by_name(tenant_id: str, name_or_alias: str) -> dict[str, Any] | None:
    """The product whose name or alias this is (case and spacing ignored): one GetItem."""
    if not name_or_alias or not name_or_alias.strip():
        return None
    found = repository.claim(tenant_id, domain.name_key(name_or_alias))
    return dict(found.record) if found is not None else None


@dataclass
class ProductCache:
    """The tenant's products as one piece of work (a chunk of an import) sees them: each
    name, alias or id read once. A name resolves through its claim, which holds the record,
    so the deals naming it need no read of their own. Make one per chunk: a cache kept
    longer would miss a product's later changes."""

    tenant_id: str
    by_name: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def find(self, name_or_alias: str) -> dict[str, Any] | None:
        """`find_by_name`, once per name (case and spacing ignored)."""
        key = domain.name_key(name_or_alias)
        if key not in self.by_name:
            found = self.by_name[key] = find_by_name(self.tenant_id, name_or_alias)
            if found is not None:
                self.by_id[str(found["product_id"])] = found
        return self.by_name[key]

    def get_many(self, product_ids: list[str]) -> dict[str, dict[str, Any]]:
        """`get_many`, reading only the ids not seen yet (none when all were)."""
        missing = [p for p in dict.fromkeys(product_ids) if p not in self.by_id]
        if missing:
            found = get_many(self.tenant_id, missing)
            self.by_id.update({p: found.get(p) for p in missing})
        return {p: known for p in product_ids if (known := self.by_id[p]) is not None}


def _commit(uow: UnitOfWork, tenant_id: str, doc: dict[str, Any]) -> None:
    """Commit; a name or alias another product holds is a 409 naming it and that product."""
    try:
        uow.commit()
    except TransactionConflict as conflict:
        held = domain.claimed(doc)
        for label in conflict.labels:
            if not label.startswith(repository.CLAIM_LABEL):
                continue
            key = label[len(repository.CLAIM_LABEL):]
            field = held.get(key, "name")
            owner = repository.claim(tenant_id, key, consistent=True)
            existing = owner.product_id if owner else ""
            raise Conflict(f"{field}: another product is called so: {existing}",
                           code="duplicate_product",
                           errors=[{"field": field, "message": "another product has this name "
                                    "or alias", "existing_id": existing}]) from None
        raise


def _normalized(doc: dict[str, Any]) -> dict[str, Any]:
    out = dict(doc)
    out["name"] = " ".join(str(out["name"]).split())
    out["aliases"] = domain.clean_aliases(out["name"], out.get("aliases") or [])
    return out


def create(tenant_id: str, cmd: ProductCreate) -> ProductItem:
    doc = _normalized(cmd.model_dump(mode="json", exclude_none=True))
    item = repository.new_record(tenant_id, new_id(PREFIX), doc, clock.iso())
    uow = repository.unit_of_work()
    uow.put(item, ProductItem.PK.does_not_exist(), label="product")
    repository.write_claims(uow, tenant_id, item.product_id, record(item, 1), set(),
                            set(domain.claimed(doc)))
    _commit(uow, tenant_id, doc)
    return item


def update(tenant_id: str, product_id: str, cmd: ProductFields,
           if_match: int | None) -> ProductItem:
    """Change the fields sent (null clears; name and price cannot be cleared)."""
    item = get(tenant_id, product_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the product changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(mode="json", exclude_unset=True)
    for required in ("name", "price", "active"):
        if required in sent and sent[required] is None:
            raise ValidationFailed.for_field(required, "cannot be cleared")
    before = dict(item.doc)
    after, changed = domain.apply(before, sent)
    after = _normalized(after)
    if not changed and after == before:
        return item
    item.doc = after
    item.updated_at = clock.iso()
    repository.index_record(item)
    uow = repository.unit_of_work()
    uow.put(item, label="version")
    repository.write_claims(uow, tenant_id, product_id, record(item, (item.version or 0) + 1),
                            set(domain.claimed(before)), set(domain.claimed(after)))
    _commit(uow, tenant_id, after)
    return item
