"""The committed event schemas are current, and no change breaks a published one."""

from __future__ import annotations

import json

import pytest
from pydantic import create_model

from crm_shared.events import schemas
from crm_shared.events.catalog import CATALOG, TenantProvisioned


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_committed_schema_is_current(name: str) -> None:
    event = CATALOG[name]
    path = schemas.SCHEMA_DIR / schemas.file_name(event)
    assert path.exists(), f"{path.name} is missing: run `make events` and commit it"
    assert path.read_text() == schemas.render(schemas.schema_of(event)), (
        f"{path.name} is stale: run `make events` and commit it")


def test_every_schema_file_belongs_to_a_catalog_event() -> None:
    for path in schemas.SCHEMA_DIR.glob("*.json"):
        detail_type, version, _ = path.name.rsplit(".", 2)
        assert detail_type in CATALOG, f"{path.name} names no event of the catalog"
        assert int(version.lstrip("v")) <= CATALOG[detail_type].schema_version


@pytest.mark.parametrize("name", sorted(CATALOG))
def test_no_published_schema_is_broken(name: str) -> None:
    event = CATALOG[name]
    for path in schemas.SCHEMA_DIR.glob(f"{name}.v*.json"):
        if path.name == schemas.file_name(event):
            published = json.loads(path.read_text())
            assert schemas.breaking_changes(published, schemas.schema_of(event)) == []


def test_removing_or_retyping_a_field_is_detected() -> None:
    published = schemas.schema_of(TenantProvisioned)
    fields = {name: (info.annotation, info) for name, info in
              TenantProvisioned.model_fields.items()}
    base = TenantProvisioned.__bases__[0]
    removed = create_model("TenantProvisioned", __base__=base,
                           **{k: v for k, v in fields.items() if k != "admin_email"})
    retyped = create_model("TenantProvisioned", __base__=base,
                           **{**fields, "plan": (int, ...)})
    added = create_model("TenantProvisioned", __base__=TenantProvisioned,
                         region=(str | None, None))
    assert schemas.breaking_changes(published, schemas.schema_of(removed)) == [
        "data.admin_email was removed"]
    assert schemas.breaking_changes(published, schemas.schema_of(retyped)) == [
        "data.plan changed type string -> integer"]
    assert schemas.breaking_changes(published, schemas.schema_of(added)) == []


# past participles and states reached that do not end in -ed
IRREGULAR_PAST = ("Won", "Lost", "Due", "Sent", "Paid", "Read", "Expiring", "AtRisk")


def test_events_follow_the_naming_rules() -> None:
    for name, event in CATALOG.items():
        assert event.source.startswith("crm.")
        past = name.endswith(IRREGULAR_PAST) or name.endswith("ed")
        assert name[0].isupper() and past, f"{name}: PascalCase past tense"
