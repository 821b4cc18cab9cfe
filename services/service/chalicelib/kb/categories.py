"""Article categories: a small tree whose parent links never form a cycle.

A new parent is checked by walking up from it (one GetItem a level, at most
`MAX_CATEGORY_DEPTH` levels); the walked ancestors are re-checked unchanged in the write's
transaction, so two concurrent moves cannot close a loop between them.
"""

from __future__ import annotations

from typing import Any

from chalicelib.kb import domain, repository
from chalicelib.kb.models import CategoryItem
from chalicelib.kb.schemas import CategoryOut
from crm_shared import clock
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict, UnitOfWork


def record(item: CategoryItem) -> dict[str, Any]:
    return CategoryOut(category_id=item.category_id, name=item.name,
                       description=item.description, parent_id=item.parent_id,
                       created_at=item.created_at, updated_at=item.updated_at,
                       version=item.version or 0).model_dump(mode="json")


def get(tenant_id: str, category_id: str, consistent: bool = False) -> CategoryItem:
    item = (repository.get_category(tenant_id, category_id, consistent)
            if is_id(category_id, "kbc") else None)
    if item is None:
        raise NotFound("no such category")
    return item


def _ancestors(uow: UnitOfWork, tenant_id: str, parent_id: str, moving: str | None) -> None:
    """Refuse a parent that is missing, is `moving` or below it, or is too deep."""
    current: str | None = parent_id
    for _ in range(domain.MAX_CATEGORY_DEPTH):
        if current is None:
            return
        if current == moving:
            raise ValidationFailed.for_field("parent_id", "a category cannot sit below "
                                             "itself or its own subcategories")
        found = repository.get_category(tenant_id, current, consistent=True)
        if found is None:
            raise ValidationFailed.for_field("parent_id", "no such category")
        uow.check(CategoryItem, found.PK, found.SK, CategoryItem.version == found.version,
                  label="category_parent")
        current = found.parent_id
    if current is not None:
        raise ValidationFailed.for_field(
            "parent_id", f"categories nest at most {domain.MAX_CATEGORY_DEPTH} deep")


def _commit(uow: UnitOfWork) -> None:
    try:
        uow.commit()
    except TransactionConflict as failed:
        if "category_parent" in failed.labels:
            raise Conflict.for_field("parent_id", "the parent category changed meanwhile; "
                                     "retry") from None
        raise


def create(tenant_id: str, fields: dict[str, Any]) -> CategoryItem:
    uow = repository.unit_of_work()
    if fields.get("parent_id"):
        _ancestors(uow, tenant_id, fields["parent_id"], None)
    item = repository.new_category(tenant_id, new_id("kbc"), clock.iso(),
                                   **{k: v for k, v in fields.items() if v is not None})
    repository.index_category(item)
    uow.put(item, CategoryItem.PK.does_not_exist(), label="category")
    _commit(uow)
    return item


def update(tenant_id: str, category_id: str, fields: dict[str, Any],
           if_match: int | None) -> CategoryItem:
    item = get(tenant_id, category_id, consistent=True)
    if if_match is not None and if_match != item.version:
        raise PreconditionFailed("the category changed since you read it",
                                 code="version_mismatch")
    if "name" in fields and fields["name"] is None:
        raise ValidationFailed.for_field("name", "cannot be cleared")
    uow = repository.unit_of_work()
    if fields.get("parent_id") and fields["parent_id"] != item.parent_id:
        _ancestors(uow, tenant_id, fields["parent_id"], item.category_id)
    for name, value in fields.items():
        setattr(item, name, value)
    item.updated_at = clock.iso()
    repository.index_category(item)
    uow.put(item, label="version")
    _commit(uow)
    return item


def delete(tenant_id: str, category_id: str) -> None:
    """Only an empty category goes: no subcategories, no articles filed under it."""
    item = get(tenant_id, category_id, consistent=True)
    if repository.has_children(tenant_id, category_id):
        raise Conflict.for_field("category_id", "the category has subcategories",
                                 code="category_in_use")
    if repository.has_articles_in(tenant_id, category_id):
        raise Conflict.for_field("category_id", "articles are filed under the category",
                                 code="category_in_use")
    uow = repository.unit_of_work()
    uow.delete(item, CategoryItem.version == item.version, label="version")
    uow.commit()
