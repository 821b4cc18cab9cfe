"""The one masking function: deny-lists per role and entity, tenant overrides, paths."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from crm_shared.context import Principal
from crm_shared.field_permissions import (
    apply,
    hidden_fields,
    mask,
    mask_nested,
    principal_for_role,
    record_paths,
)

RECORD: dict[str, Any] = {
    "contact_id": "con_1", "first_name": "Ada", "phones": [{"number": "+1"}],
    "addresses": [{"city": "London"}], "emails": [{"address": "a@x.io"}], "version": 3,
    "properties": {"salary": 10, "shoe": 42},
}


def who(*roles: str, kind: str = "user") -> Principal:
    return Principal(kind=kind, tenant_id="ten_1", subject="usr_1", roles=frozenset(roles))


def test_a_viewer_loses_phones_and_addresses_by_default() -> None:
    masked = mask(RECORD, "contact", who("viewer"), {})
    assert "phones" not in masked and "addresses" not in masked
    assert masked["emails"] == RECORD["emails"] and masked["version"] == 3
    assert RECORD["phones"]  # the input is never changed


def test_admins_the_system_and_the_operator_see_everything() -> None:
    for principal in (who("admin"), who(kind="system"), who(kind="operator")):
        assert mask(RECORD, "contact", principal, {}) == RECORD


def test_a_field_is_hidden_only_if_every_role_hides_it() -> None:
    assert mask(RECORD, "contact", who("viewer", "sales_rep"), {}) == RECORD
    both = hidden_fields("contact", who("viewer", "marketer"), {})
    assert both == {"addresses", "birthday", "important_dates"}


def test_a_tenant_rule_replaces_the_default_of_its_pair_only() -> None:
    rules = {"viewer": {"contact": ["emails", "properties.salary"]}}
    masked = mask(RECORD, "contact", who("viewer"), rules)
    assert masked["phones"] == RECORD["phones"] and "emails" not in masked
    assert masked["properties"] == {"shoe": 42}
    assert hidden_fields("company", who("viewer"), rules) == {"addresses"}
    assert hidden_fields("contact", who("admin"), {"admin": {"contact": ["phones"]}}) == {
        "phones"}


def test_ids_and_versions_are_never_hidden_and_no_role_means_viewer() -> None:
    rules = {"viewer": {"contact": ["contact_id", "version", "first_name"]}}
    assert hidden_fields("contact", who("viewer"), rules) == {"first_name"}
    assert hidden_fields("contact", who(), {}) == hidden_fields("contact", who("viewer"), {})
    assert hidden_fields("contact", None, {}) == hidden_fields("contact", who("viewer"), {})


class ContactOut(BaseModel):
    contact_id: str
    phones: list[Any] = []


class Change(BaseModel):
    op: str
    contact: ContactOut | None = None


class Page(BaseModel):
    items: list[Change]
    next_cursor: str | None


class UserOut(BaseModel):
    user_id: str
    email: str


def test_records_are_found_in_response_models_and_masked_there() -> None:
    assert record_paths(ContactOut) == (((), "contact"),)
    assert record_paths(Page) == ((("items", "*", "contact"), "contact"),)
    assert record_paths(UserOut) == ()
    payload = {"items": [{"op": "upsert", "contact": {"contact_id": "con_1", "phones": [1]}},
                         {"op": "delete", "contact": None}], "next_cursor": None}
    masked, seen = apply(payload, record_paths(Page), who("viewer"), {})
    assert masked["items"][0]["contact"] == {"contact_id": "con_1"}
    assert masked["items"][1] == {"op": "delete", "contact": None}
    assert seen == {"contact": ["con_1"]}
    assert payload["items"][0]["contact"]["phones"] == [1]


def test_event_data_is_masked_wherever_it_carries_a_record() -> None:
    """Webhook bodies: a record sits under its entity's key, at the top (ContactCreated)
    or deeper (a workflow call's payload); other keys are left alone."""
    data = {"contact_id": "con_1", "contact": RECORD,
            "payload": {"lead": {"lead_id": "lea_1", "phone": "+1", "name": "Lin"},
                        "items": [{"company": {"company_id": "cmp_1", "addresses": [1]}}]},
            "phones": ["kept: not a record"]}
    viewer = principal_for_role("ten_1", "viewer", "webhook:web_1")
    seen = mask_nested(data, viewer, {})
    assert "phones" not in seen["contact"] and seen["contact"]["first_name"] == "Ada"
    assert seen["payload"]["lead"] == {"lead_id": "lea_1", "name": "Lin"}
    assert "addresses" not in seen["payload"]["items"][0]["company"]
    assert seen["phones"] == data["phones"] and data["contact"]["phones"]
    admin = principal_for_role("ten_1", "admin", "webhook:web_1")
    assert mask_nested(data, admin, {}) == data
    overridden = mask_nested(data, viewer, {"viewer": {"contact": ["emails"]}})
    assert "emails" not in overridden["contact"] and overridden["contact"]["phones"]
