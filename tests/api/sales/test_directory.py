"""The sales directory: users and teams projected from the platform's events."""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any

import pytest

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import put_bus_event, settle
from tests.support.services import load_app


def directory() -> ModuleType:
    """The sales service's directory logic (its own `chalicelib`, as in its Lambda)."""
    load_app("sales")
    return importlib.import_module("chalicelib.directory.logic")


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def invite(platform: ApiClient, tenant: Tenant, **fields: Any) -> str:
    body = {"email": f"{unique('dir-')}@example.com", "roles": ["sales_rep"], **fields}
    reply = platform.post("/users", body, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["user_id"])


def team(platform: ApiClient, tenant: Tenant, **fields: Any) -> str:
    reply = platform.post("/teams", {"name": unique("Team "), **fields},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["team_id"])


def test_the_admin_is_known_from_provisioning(tenant: Tenant) -> None:
    admin = directory().user(tenant.tenant_id, tenant.admin_user_id)
    assert admin is not None
    assert admin.email == tenant.admin_email and "admin" in admin.roles
    assert admin.status == "active"


def test_users_teams_and_managers(platform: ApiClient, tenant: Tenant,
                                  runtimes: dict[str, Any]) -> None:
    boss = invite(platform, tenant, name="Bea Boss", roles=["manager"])
    settle(runtimes)
    squad = team(platform, tenant, manager_id=boss)
    rep = invite(platform, tenant, name="Rick Rep", team_ids=[squad])
    other = invite(platform, tenant, name="Olga Other", team_ids=[squad])
    settle(runtimes)
    found = directory()
    assert found.manager_of(tenant.tenant_id, rep) == boss
    assert found.team_members(tenant.tenant_id, squad) == sorted([rep, other])
    user = found.user(tenant.tenant_id, rep)
    assert user.name == "Rick Rep" and user.roles == ("sales_rep",)
    assert user.team_ids == (squad,) and user.status == "invited" and user.active

    # a disabled member is no longer an active member
    assert platform.patch(f"/users/{other}", {"status": "disabled"},
                          token=tenant.admin_token).status == 200
    settle(runtimes)
    assert directory().team_members(tenant.tenant_id, squad) == [rep]
    assert directory().user(tenant.tenant_id, other).active is False

    # a new manager moves every member's manager
    boss2 = invite(platform, tenant, roles=["manager"])
    settle(runtimes)
    assert platform.patch(f"/teams/{squad}", {"manager_id": boss2},
                          token=tenant.admin_token).status == 200
    settle(runtimes)
    assert directory().manager_of(tenant.tenant_id, rep) == boss2

    # leaving the team through the team drops the membership and the manager
    assert platform.patch(f"/teams/{squad}", {"member_ids": [other]},
                          token=tenant.admin_token).status == 200
    settle(runtimes)
    assert directory().team_members(tenant.tenant_id, squad) == []
    assert directory().manager_of(tenant.tenant_id, rep) is None
    assert directory().user(tenant.tenant_id, rep).team_ids == ()


def test_find_user_by_email_or_exact_name(platform: ApiClient, tenant: Tenant,
                                          runtimes: dict[str, Any]) -> None:
    email = f"{unique('Finder-')}@Example.com"
    user_id = invite(platform, tenant, email=email, name="Fiona  Finder")
    settle(runtimes)
    found = directory()
    assert found.find_user(tenant.tenant_id, email.upper()).user_id == user_id
    assert found.find_user(tenant.tenant_id, "fiona finder").user_id == user_id
    assert found.find_user(tenant.tenant_id, "Fiona") is None
    assert found.find_user(tenant.tenant_id, "") is None

    # renaming moves the name lookup
    assert platform.patch(f"/users/{user_id}", {"name": "Fiona Found"},
                          token=tenant.admin_token).status == 200
    settle(runtimes)
    assert directory().find_user(tenant.tenant_id, "Fiona Finder") is None
    assert directory().find_user(tenant.tenant_id, "fiona found").user_id == user_id

    # a name two users share finds nobody rather than the wrong one
    invite(platform, tenant, name="Fiona Found")
    settle(runtimes)
    assert directory().find_user(tenant.tenant_id, "Fiona Found") is None


def test_other_tenants_see_nothing(platform: ApiClient, tenants: Tenants, tenant: Tenant,
                                   runtimes: dict[str, Any]) -> None:
    email = f"{unique('mine-')}@example.com"
    user_id = invite(platform, tenant, email=email, name="Only Mine")
    other = tenants.create("Other")
    settle(runtimes)
    assert directory().user(other.tenant_id, user_id) is None
    assert directory().find_user(other.tenant_id, email) is None
    assert directory().find_user(other.tenant_id, "Only Mine") is None


def test_a_late_older_event_changes_nothing_and_duplicates_apply_once(
        session: Any, tenant: Tenant, runtimes: dict[str, Any]) -> None:
    user_id = "usr_01J" + "A" * 23

    def detail(name: str, at: str, event_id: str) -> str:
        return json.dumps({"metadata": {"event_id": event_id, "tenant_id": tenant.tenant_id,
                                        "occurred_at": at, "schema_version": 1,
                                        "actor": "user:x"},
                           "data": {"user_id": user_id, "email": "late@example.com",
                                    "name": name, "roles": ["sales_rep"], "status": "active"}})

    put_bus_event(session, "crm.platform", "UserUpdated",
                  detail("Newer", "2030-01-02T00:00:00.000Z", "evt_newer"))
    put_bus_event(session, "crm.platform", "UserUpdated",
                  detail("Newer", "2030-01-02T00:00:00.000Z", "evt_newer"))
    settle(runtimes)
    put_bus_event(session, "crm.platform", "UserUpdated",
                  detail("Older", "2030-01-01T00:00:00.000Z", "evt_older"))
    settle(runtimes)
    assert directory().user(tenant.tenant_id, user_id).name == "Newer"
    assert directory().find_user(tenant.tenant_id, "late@example.com").name == "Newer"
