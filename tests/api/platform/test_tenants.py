"""POST/GET/DELETE /tenants: operator-only provisioning, idempotent on external_ref."""

from __future__ import annotations

from typing import Any

from tests.support.client import OPERATOR, ApiClient, Tenants, unique


def provision_body(**overrides: Any) -> dict[str, Any]:
    ref = unique("acme-")
    body = {"name": "Acme", "plan": "starter", "admin_email": f"{ref}@Example.com",
            "external_ref": ref}
    body.update(overrides)
    return body


def test_provision_creates_tenant_admin_and_returns_local_password(
    platform: ApiClient, session: Any, aws: dict[str, Any]
) -> None:
    body = provision_body()
    reply = platform.post("/tenants", body, headers=OPERATOR)
    assert reply.status == 201, reply.json
    tenant, admin = reply.json["tenant"], reply.json["admin"]
    assert tenant["tenant_id"].startswith("ten_")
    assert tenant["status"] == "active"
    assert tenant["admin_email"] == body["admin_email"].lower()
    assert admin["temporary_password"]
    assert reply.header("Location") == f"/tenants/{tenant['tenant_id']}"
    user = session.client("cognito-idp").admin_get_user(
        UserPoolId=aws["user_pool_id"], Username=tenant["admin_email"])
    attrs = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attrs["custom:tenant_id"] == tenant["tenant_id"]
    assert attrs["custom:user_id"] == admin["user_id"]
    groups = session.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=aws["user_pool_id"], Username=tenant["admin_email"])["Groups"]
    assert [g["GroupName"] for g in groups] == ["admin"]


def test_repeat_with_same_external_ref_returns_same_tenant_and_no_second_user(
    platform: ApiClient, session: Any, aws: dict[str, Any]
) -> None:
    body = provision_body()
    first = platform.post("/tenants", body, headers=OPERATOR)
    again = platform.post("/tenants", {**body, "name": "Other name"}, headers=OPERATOR)
    assert first.status == 201 and again.status == 200
    assert again.json["tenant"]["tenant_id"] == first.json["tenant"]["tenant_id"]
    assert again.json["admin"]["temporary_password"] is None
    users = session.client("cognito-idp").list_users(
        UserPoolId=aws["user_pool_id"], Filter=f'email = "{body["admin_email"].lower()}"')
    assert len(users["Users"]) == 1


def test_duplicate_admin_email_in_another_tenant_is_409_and_leaves_nothing(
    platform: ApiClient,
) -> None:
    first = provision_body()
    assert platform.post("/tenants", first, headers=OPERATOR).status == 201
    ref = unique("dup-")
    clash = platform.post("/tenants", provision_body(external_ref=ref,
                                                     admin_email=first["admin_email"]),
                          headers=OPERATOR)
    assert clash.status == 409
    assert clash.header("Content-Type") == "application/problem+json"
    assert clash.json["errors"][0]["field"] == "admin_email"
    # nothing half-created: the same external_ref provisions cleanly with another email
    retry = platform.post("/tenants", provision_body(external_ref=ref), headers=OPERATOR)
    assert retry.status == 201, retry.json


def test_provisioning_needs_the_operator_key(platform: ApiClient) -> None:
    assert platform.post("/tenants", provision_body()).status == 401
    wrong = platform.post("/tenants", provision_body(), headers={"X-Operator-Key": "nope"})
    assert wrong.status == 401
    assert wrong.json["code"] == "unauthorized"


def test_bad_provisioning_input_names_the_field(platform: ApiClient) -> None:
    cases = [
        (provision_body(admin_email="not-an-email"), 422, "admin_email"),
        (provision_body(plan="galactic"), 422, "plan"),
        (provision_body(name=""), 422, "name"),
        (provision_body(name=42), 422, "name"),
        (provision_body(extra="x"), 422, "extra"),
        ({k: v for k, v in provision_body().items() if k != "external_ref"}, 422,
         "external_ref"),
        (provision_body(external_ref="has spaces"), 422, "external_ref"),
        (provision_body(settings={"default_phone_region": "gb"}), 422,
         "settings.default_phone_region"),
        (provision_body(settings={"record_visibility": "everyone"}), 422,
         "settings.record_visibility"),
        ([1, 2], 400, "body"),
    ]
    for body, status, field in cases:
        reply = platform.post("/tenants", body, headers=OPERATOR)
        assert reply.status == status, (body, reply.json)
        assert reply.header("Content-Type") == "application/problem+json"
        assert field in [e["field"] for e in reply.json["errors"]], (field, reply.json)


def test_malformed_json_oversized_body_and_unknown_route(platform: ApiClient) -> None:
    bad = platform.post("/tenants", raw=b'{"name": ', headers=OPERATOR)
    assert bad.status == 400 and bad.json["errors"][0]["field"] == "body"
    big = platform.post("/tenants", raw=b"{" + b" " * 1_100_000 + b"}", headers=OPERATOR)
    assert big.status == 413 and big.json["code"] == "payload_too_large"
    missing = platform.get("/no-such-thing")
    assert missing.status == 404
    assert missing.header("Content-Type") == "application/problem+json"
    wrong_method = platform.request("PUT", "/tenants", {}, headers=OPERATOR)
    assert wrong_method.status == 405
    assert wrong_method.header("Content-Type") == "application/problem+json"
    wrong_type = platform.post("/tenants", raw=b"name=x",
                               headers={**OPERATOR, "Content-Type": "text/plain"})
    assert wrong_type.status == 415
    assert wrong_type.header("Content-Type") == "application/problem+json"


def test_get_and_offboard_tenant(platform: ApiClient, tenants: Tenants, session: Any,
                                 aws: dict[str, Any]) -> None:
    tenant = tenants.create()
    got = platform.get(f"/tenants/{tenant.tenant_id}", headers=OPERATOR)
    assert got.status == 200 and got.json["name"] == "Acme"
    assert platform.get("/tenants/ten_01JD0000000000000000000000", headers=OPERATOR).status == 404
    assert platform.get("/tenants/garbage", headers=OPERATOR).status == 404
    gone = platform.delete(f"/tenants/{tenant.tenant_id}", headers=OPERATOR)
    assert gone.status == 200 and gone.json["status"] == "deleted"
    user = session.client("cognito-idp").admin_get_user(
        UserPoolId=aws["user_pool_id"], Username=tenant.admin_email)
    assert user["Enabled"] is False
    assert platform.delete(f"/tenants/{tenant.tenant_id}", headers=OPERATOR).status == 200


def test_idempotency_key_replays_the_first_response(platform: ApiClient, tenants: Tenants) -> None:
    tenant = tenants.create()
    headers = {"Idempotency-Key": unique("idem-")}
    body = {"name": "Field sales"}
    first = platform.post("/teams", body, token=tenant.admin_token, headers=headers)
    again = platform.post("/teams", body, token=tenant.admin_token, headers=headers)
    assert first.status == 201
    assert again.status == 201 and again.json == first.json
    assert again.header("Idempotent-Replayed") == "true"
    other = platform.post("/teams", {"name": "Different"}, token=tenant.admin_token,
                          headers=headers)
    assert other.status == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
