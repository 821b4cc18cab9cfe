"""The only code that knows the platform table's key shapes.

Tenant data sits under `T#<tenant>#...`; uniqueness claims that must hold across tenants
(external_ref, email) under the reserved `_system` tenant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib import SERVICE
from chalicelib.domain import users as user_rules
from chalicelib.models import ApiKeyItem, ClaimItem, TeamItem, TenantItem, UserItem
from crm_shared.auth.api_key_store import api_key_keys
from crm_shared.dynamo import SYSTEM_TENANT, tenant_key
from crm_shared.pagination import decode_cursor, encode_cursor
from crm_shared.schedules import due_fields, due_items
from crm_shared.unit_of_work import UnitOfWork


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(SERVICE)


# -- keys ---------------------------------------------------------------------

def tenant_keys(tenant_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "TENANT"), "TENANT"


def ref_claim_keys(external_ref: str) -> tuple[str, str]:
    return tenant_key(SYSTEM_TENANT, "TENANTREF", external_ref), "CLAIM"


def email_claim_keys(email: str) -> tuple[str, str]:
    return tenant_key(SYSTEM_TENANT, "EMAIL", email.lower()), "CLAIM"


def user_keys(tenant_id: str, user_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "USER", user_id), "USER"


def team_keys(tenant_id: str, team_id: str) -> tuple[str, str]:
    return tenant_key(tenant_id, "TEAM", team_id), "TEAM"


# -- items --------------------------------------------------------------------

def new_tenant(**fields: Any) -> TenantItem:
    pk, sk = tenant_keys(fields["tenant_id"])
    return TenantItem(PK=pk, SK=sk, **fields)


def new_claim(keys: tuple[str, str], tenant_id: str, owner_id: str) -> ClaimItem:
    return ClaimItem(PK=keys[0], SK=keys[1], tenant_id=tenant_id, owner_id=owner_id)


def new_user(**fields: Any) -> UserItem:
    pk, sk = user_keys(fields["tenant_id"], fields["user_id"])
    return UserItem(PK=pk, SK=sk, GSI1PK=tenant_key(fields["tenant_id"], "USERS"),
                    GSI1SK=fields["user_id"], **fields)


def new_team(**fields: Any) -> TeamItem:
    pk, sk = team_keys(fields["tenant_id"], fields["team_id"])
    return TeamItem(PK=pk, SK=sk, GSI1PK=tenant_key(fields["tenant_id"], "TEAMS"),
                    GSI1SK=fields["team_id"], **fields)


def new_api_key(**fields: Any) -> ApiKeyItem:
    pk, sk = api_key_keys(fields["tenant_id"], fields["key_id"])
    return ApiKeyItem(PK=pk, SK=sk, GSI1PK=tenant_key(fields["tenant_id"], "APIKEYS"),
                      GSI1SK=fields["key_id"], **fields)


INVITATION_JOB = "invitation-expiry"


def mark_invitation_due(user: UserItem) -> None:
    """The invitation comes up for the expiry job when its temporary password expires."""
    due_at = datetime.fromisoformat(user.created_at.replace("Z", "+00:00"))
    for name, value in due_fields(INVITATION_JOB, due_at + user_rules.INVITATION_LIFETIME,
                                  user.tenant_id, user.user_id).items():
        setattr(user, name, value)


def clear_due(user: UserItem) -> None:
    user.DUEPK = None
    user.DUESK = None


def due_invitations(limit: int) -> list[UserItem]:
    return due_items(UserItem, INVITATION_JOB, limit)


def does_not_exist() -> Condition:
    """Condition for a put that must create, never overwrite."""
    return ClaimItem.PK.does_not_exist()


# -- reads (each one GetItem or one Query page) --------------------------------

def _get(model: Any, keys: tuple[str, str], consistent: bool = False) -> Any:
    try:
        return model.get(keys[0], keys[1], consistent_read=consistent)
    except model.DoesNotExist:
        return None


def get_tenant(tenant_id: str) -> TenantItem | None:
    return _get(TenantItem, tenant_keys(tenant_id), consistent=True)  # type: ignore[no-any-return]


def get_ref_claim(external_ref: str) -> ClaimItem | None:
    return _get(ClaimItem, ref_claim_keys(external_ref), consistent=True)  # type: ignore[no-any-return]


def get_user(tenant_id: str, user_id: str) -> UserItem | None:
    return _get(UserItem, user_keys(tenant_id, user_id))  # type: ignore[no-any-return]


def get_team(tenant_id: str, team_id: str) -> TeamItem | None:
    return _get(TeamItem, team_keys(tenant_id, team_id))  # type: ignore[no-any-return]


def get_api_key(tenant_id: str, key_id: str) -> ApiKeyItem | None:
    return _get(ApiKeyItem, api_key_keys(tenant_id, key_id))  # type: ignore[no-any-return]


def get_teams(tenant_id: str, team_ids: set[str]) -> dict[str, TeamItem]:
    """The named teams that exist, in one BatchGetItem."""
    if not team_ids:
        return {}
    keys = [team_keys(tenant_id, team_id) for team_id in sorted(team_ids)]
    return {team.team_id: team for team in TeamItem.batch_get(keys)}


def get_users(tenant_id: str, user_ids: set[str]) -> dict[str, UserItem]:
    if not user_ids:
        return {}
    keys = [user_keys(tenant_id, user_id) for user_id in sorted(user_ids)]
    return {user.user_id: user for user in UserItem.batch_get(keys)}


def _page(model: Any, tenant_id: str, collection: str, limit: int,
          cursor: str | None) -> tuple[list[Any], str | None]:
    scope = f"{tenant_id}:{collection}"
    result = model.gsi1.query(
        tenant_key(tenant_id, collection), limit=limit, page_size=limit,
        last_evaluated_key=decode_cursor(cursor, scope),
    )
    items = list(result)
    return items, encode_cursor(result.last_evaluated_key, scope)


def list_users(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[UserItem], str | None]:
    return _page(UserItem, tenant_id, "USERS", limit, cursor)


def list_teams(tenant_id: str, limit: int, cursor: str | None) -> tuple[list[TeamItem], str | None]:
    return _page(TeamItem, tenant_id, "TEAMS", limit, cursor)


def list_api_keys(
    tenant_id: str, limit: int, cursor: str | None
) -> tuple[list[ApiKeyItem], str | None]:
    return _page(ApiKeyItem, tenant_id, "APIKEYS", limit, cursor)
