"""Scheduled jobs find due work through the DUE index and run when the clock says so."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from crm_shared import clock
from tests.support.client import ApiClient, Tenants, unique


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    yield
    clock.reset()


def invite(platform: ApiClient, token: str) -> dict[str, Any]:
    reply = platform.post("/users", {"email": f"{unique('late-')}@example.com",
                                     "roles": ["viewer"]}, token=token)
    assert reply.status == 201
    return dict(reply.json)


def test_unanswered_invitations_expire_and_signed_in_users_do_not(
    platform: ApiClient, tenants: Tenants, runtimes: dict[str, Any], frozen_clock: None
) -> None:
    tenant = tenants.create()
    late = invite(platform, tenant.admin_token)
    prompt = invite(platform, tenant.admin_token)
    token = tenants.login(prompt["email"], prompt["temporary_password"])
    assert platform.get("/me", token=token).json["status"] == "active"

    assert "expire_invitations" in runtimes["platform"].tick()
    status = platform.get(f"/users/{late['user_id']}", token=tenant.admin_token).json["status"]
    assert status == "invited", "nothing is due yet"

    clock.advance(8 * 24 * 3600)
    runtimes["platform"].tick()
    read = platform.get(f"/users/{late['user_id']}", token=tenant.admin_token).json
    assert read["status"] == "expired"
    still = platform.get(f"/users/{prompt['user_id']}", token=tenant.admin_token).json
    assert still["status"] == "active"
    admin = platform.get(f"/users/{tenant.admin_user_id}", token=tenant.admin_token).json
    assert admin["status"] == "active", "the admin signed in when the tenant was made"


def test_first_sign_in_activates_the_user(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    me = platform.get("/me", token=tenant.admin_token).json
    assert me["status"] == "active"
    again = platform.get("/me", token=tenant.admin_token).json
    assert again["version"] == me["version"], "only the first sign-in writes"
