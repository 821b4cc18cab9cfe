"""The user directory: Cognito, where users sign in. Only this module calls cognito-idp."""

from __future__ import annotations

import secrets
import string
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from crm_shared.errors import Conflict, Unavailable
from crm_shared.settings import get_settings

_SYMBOLS = "!#$%&*+-=?@^_"


@lru_cache(maxsize=1)
def _client() -> Any:
    import boto3  # deferred: most cold starts never touch the directory

    settings = get_settings()
    return boto3.client("cognito-idp", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


def temporary_password() -> str:
    """A random password that meets the pool's policy (upper, lower, digit, symbol, 16+)."""
    pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, _SYMBOLS]
    chars = [secrets.choice(pool) for pool in pools]
    chars += [secrets.choice("".join(pools)) for _ in range(16)]
    secrets.SystemRandom().shuffle(chars)
    # a leading letter: a password starting with "-" reads as an option on a command line
    return secrets.choice(string.ascii_letters) + "".join(chars)


def _attrs(
    tenant_id: str, user_id: str, team_ids: set[str], name: str | None
) -> list[dict[str, str]]:
    attrs = [
        {"Name": "custom:tenant_id", "Value": tenant_id},
        {"Name": "custom:user_id", "Value": user_id},
        {"Name": "custom:team_ids", "Value": ",".join(sorted(team_ids))},
    ]
    if name:
        attrs.append({"Name": "name", "Value": name})
    return attrs


def create_user(
    *, email: str, tenant_id: str, user_id: str, roles: set[str], team_ids: set[str],
    name: str | None,
) -> str:
    """Invite the user (Cognito emails the temporary password in the cloud); returns it.

    A user that already exists for this same tenant and id is taken as a resumed
    provisioning; one that belongs to anyone else is a 409.
    """
    settings = get_settings()
    password = temporary_password()
    client = _client()
    try:
        client.admin_create_user(
            UserPoolId=settings.user_pool_id,
            Username=email,
            TemporaryPassword=password,
            UserAttributes=[
                {"Name": "email", "Value": email},
                {"Name": "email_verified", "Value": "true"},
                *_attrs(tenant_id, user_id, team_ids, name),
            ],
            DesiredDeliveryMediums=["EMAIL"],
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UsernameExistsException":
            raise Unavailable(f"the user directory refused the user: {exc}") from exc
        existing = client.admin_get_user(UserPoolId=settings.user_pool_id, Username=email)
        found = {a["Name"]: a["Value"] for a in existing.get("UserAttributes", [])}
        if found.get("custom:tenant_id") != tenant_id or found.get("custom:user_id") != user_id:
            raise Conflict.for_field("email", "a user with this email already exists",
                                     code="email_taken") from exc
        client.admin_set_user_password(UserPoolId=settings.user_pool_id, Username=email,
                                       Password=password, Permanent=False)
    for role in sorted(roles):
        client.admin_add_user_to_group(
            UserPoolId=settings.user_pool_id, Username=email, GroupName=role
        )
    return password


def delete_user(email: str) -> None:
    """Undo a creation whose database write failed, so nothing is left half-made."""
    try:
        _client().admin_delete_user(UserPoolId=get_settings().user_pool_id, Username=email)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "UserNotFoundException":
            raise


def update_user(
    *, email: str, tenant_id: str, user_id: str, add_roles: set[str], remove_roles: set[str],
    team_ids: set[str] | None, name: str | None, enabled: bool | None,
) -> None:
    """Mirror a user change into the directory, so the next token carries it."""
    pool = get_settings().user_pool_id
    client = _client()
    for role in sorted(add_roles):
        client.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
    for role in sorted(remove_roles):
        client.admin_remove_user_from_group(UserPoolId=pool, Username=email, GroupName=role)
    if team_ids is not None or name is not None:
        attrs = [a for a in _attrs(tenant_id, user_id, team_ids or set(), name)
                 if (a["Name"] == "custom:team_ids" and team_ids is not None)
                 or (a["Name"] == "name" and name is not None)]
        client.admin_update_user_attributes(UserPoolId=pool, Username=email, UserAttributes=attrs)
    if enabled is True:
        client.admin_enable_user(UserPoolId=pool, Username=email)
    elif enabled is False:
        client.admin_disable_user(UserPoolId=pool, Username=email)
        client.admin_user_global_sign_out(UserPoolId=pool, Username=email)


def has_signed_in(email: str) -> bool:
    """False while the user still has to replace the temporary password."""
    try:
        user = _client().admin_get_user(UserPoolId=get_settings().user_pool_id, Username=email)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "UserNotFoundException":
            return False
        raise
    return user.get("UserStatus") != "FORCE_CHANGE_PASSWORD"
