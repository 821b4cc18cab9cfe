"""Users, teams and API keys of a tenant, and GET /me."""

from __future__ import annotations

from typing import Any

from tests.support.client import ApiClient, Tenants, unique


def test_me_returns_the_signed_in_user_with_etag(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    me = platform.get("/me", token=tenant.admin_token)
    assert me.status == 200
    assert me.json["user_id"] == tenant.admin_user_id
    assert me.json["email"] == tenant.admin_email
    assert me.header("ETag") == f'"{me.json["version"]}"'


def test_invite_user_logs_in_with_role_and_team(platform: ApiClient, tenants: Tenants,
                                                session: Any, aws: dict[str, Any]) -> None:
    tenant = tenants.create()
    team = platform.post("/teams", {"name": "Central"}, token=tenant.admin_token).json
    email = f"{unique('rep-')}@example.com"
    invited = platform.post("/users", {"email": email.upper(), "name": "Rep",
                                       "roles": ["sales_rep"], "team_ids": [team["team_id"]]},
                            token=tenant.admin_token)
    assert invited.status == 201, invited.json
    assert invited.json["email"] == email and invited.json["status"] == "invited"
    token = tenants.login(email, invited.json["temporary_password"])
    me = platform.get("/me", token=token).json
    assert me["roles"] == ["sales_rep"] and me["team_ids"] == [team["team_id"]]
    after = platform.get(f"/teams/{team['team_id']}", token=tenant.admin_token).json
    assert after["member_ids"] == [invited.json["user_id"]]


def test_invite_bad_input(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    cases = [
        ({"email": "nope", "roles": ["viewer"]}, 422, "email"),
        ({"email": "a@example.com", "roles": []}, 422, "roles"),
        ({"email": "a@example.com", "roles": ["king"]}, 422, "roles[0]"),
        ({"email": "a@example.com", "roles": ["viewer"], "team_ids": ["tea_x"]}, 422,
         "team_ids[0]"),
        ({"email": "a@example.com"}, 422, "roles"),
    ]
    for body, status, field in cases:
        reply = platform.post("/users", body, token=tenant.admin_token)
        assert reply.status == status, (body, reply.json)
        assert field in [e["field"] for e in reply.json["errors"]], reply.json
    dup = platform.post("/users", {"email": tenant.admin_email, "roles": ["viewer"]},
                        token=tenant.admin_token)
    assert dup.status == 409 and dup.json["errors"][0]["field"] == "email"


def test_patch_user_roles_and_disable_with_if_match(platform: ApiClient, tenants: Tenants,
                                                    session: Any, aws: dict[str, Any]) -> None:
    tenant = tenants.create()
    tenants.user(tenant, "viewer")
    user_id = tenant.user_ids["viewer"]
    current = platform.get(f"/users/{user_id}", token=tenant.admin_token)
    etag = current.header("ETag")
    changed = platform.patch(f"/users/{user_id}", {"roles": ["manager"]},
                             token=tenant.admin_token, headers={"If-Match": etag})
    assert changed.status == 200, changed.json
    assert changed.json["roles"] == ["manager"]
    stale = platform.patch(f"/users/{user_id}", {"roles": ["viewer"]},
                           token=tenant.admin_token, headers={"If-Match": etag})
    assert stale.status == 412
    bad = platform.patch(f"/users/{user_id}", {"status": "asleep"}, token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "status"
    disabled = platform.patch(f"/users/{user_id}", {"status": "disabled"},
                              token=tenant.admin_token)
    assert disabled.json["status"] == "disabled"
    email = disabled.json["email"]
    cognito = session.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=aws["user_pool_id"], Username=email)
    assert user["Enabled"] is False
    groups = cognito.admin_list_groups_for_user(UserPoolId=aws["user_pool_id"], Username=email)
    assert [g["GroupName"] for g in groups["Groups"]] == ["manager"]


def test_list_users_pages_with_signed_cursor(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    for role in ("viewer", "marketer", "support_agent"):
        tenants.user(tenant, role)
    first = platform.get("/users?limit=2", token=tenant.admin_token)
    assert first.status == 200 and len(first.json["items"]) == 2
    cursor = first.json["next_cursor"]
    second = platform.get(f"/users?limit=2&cursor={cursor}", token=tenant.admin_token).json
    ids = {u["user_id"] for u in first.json["items"] + second["items"]}
    assert len(ids) == 4
    forged = platform.get(f"/users?limit=2&cursor={cursor[:-2]}xx", token=tenant.admin_token)
    assert forged.status == 400 and forged.json["errors"][0]["field"] == "cursor"
    assert platform.get("/users?limit=0", token=tenant.admin_token).status == 400
    assert platform.get("/users?limit=abc", token=tenant.admin_token).status == 400
    other = tenants.create()
    stolen = platform.get(f"/users?limit=2&cursor={cursor}", token=other.admin_token)
    assert stolen.status == 400


def test_teams_crud_and_membership(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    tenants.user(tenant, "sales_rep")
    tenants.user(tenant, "manager")
    rep, manager = tenant.user_ids["sales_rep"], tenant.user_ids["manager"]
    team = platform.post("/teams", {"name": "East", "manager_id": manager,
                                    "member_ids": [rep]}, token=tenant.admin_token)
    assert team.status == 201, team.json
    team_id = team.json["team_id"]
    assert platform.get(f"/users/{rep}", token=tenant.admin_token).json["team_ids"] == [team_id]
    moved = platform.patch(f"/teams/{team_id}", {"member_ids": [manager]},
                           token=tenant.admin_token)
    assert moved.status == 200 and moved.json["member_ids"] == [manager]
    assert platform.get(f"/users/{rep}", token=tenant.admin_token).json["team_ids"] == []
    bad = platform.post("/teams", {"name": "X", "member_ids": ["usr_01JD0000000000000000000000"]},
                        token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "member_ids[0]"
    assert platform.request("DELETE", f"/teams/{team_id}", token=tenant.admin_token).status == 204
    assert platform.get(f"/teams/{team_id}", token=tenant.admin_token).status == 404
    assert platform.get(f"/users/{manager}", token=tenant.admin_token).json["team_ids"] == []


def test_api_keys_shown_once_scoped_and_revocable(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    created = platform.post("/api-keys", {"name": "Zapier", "role": "sales_rep",
                                          "scopes": ["contacts:read", "platform:read"]},
                            token=tenant.admin_token)
    assert created.status == 201, created.json
    key = created.json["api_key"]
    assert key.startswith(f"crmk.{tenant.tenant_id}.")
    listed = platform.get("/api-keys", token=tenant.admin_token).json["items"]
    assert [k["key_id"] for k in listed] == [created.json["key_id"]]
    assert "api_key" not in listed[0] and "secret_hash" not in listed[0]
    # platform routes are for signed-in users: a valid key is refused with 403
    assert platform.get("/teams", headers={"X-Api-Key": key}).status == 403
    altered = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert platform.get("/teams", headers={"X-Api-Key": altered}).status == 401
    assert platform.get("/teams", headers={"X-Api-Key": "crmk.nonsense"}).status == 401
    bad = platform.post("/api-keys", {"name": "x", "scopes": ["everything"]},
                        token=tenant.admin_token)
    assert bad.status == 422 and bad.json["errors"][0]["field"] == "scopes"
    admin_key = platform.post("/api-keys", {"name": "x", "role": "admin", "scopes": ["*:read"]},
                              token=tenant.admin_token)
    assert admin_key.status == 422 and admin_key.json["errors"][0]["field"] == "role"
    gone = platform.delete(f"/api-keys/{created.json['key_id']}", token=tenant.admin_token)
    assert gone.status == 204
    assert platform.get("/teams", headers={"X-Api-Key": key}).status == 401
