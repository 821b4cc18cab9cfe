"""Platform routes: parse, authorize (declared per route), call the logic, shape the reply."""

from __future__ import annotations

from chalicelib import SERVICE, repository
from chalicelib.logic import api_keys, teams, tenants, users
from chalicelib.models import ApiKeyItem, TeamItem, TenantItem, UserItem
from chalicelib.schemas import (
    AdminOut,
    ApiKeyOut,
    ApiKeyPage,
    CreateApiKey,
    CreateTeam,
    InvitedOut,
    InviteUser,
    MeOut,
    NewApiKeyOut,
    ProvisionedOut,
    ProvisionTenant,
    TeamOut,
    TeamPage,
    TenantOut,
    UpdateTeam,
    UpdateUser,
    UserOut,
    UserPage,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES, MANAGERS
from crm_shared.http import AUTH_OPERATOR, ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE)


def tenant_out(item: TenantItem) -> TenantOut:
    return TenantOut(
        tenant_id=item.tenant_id, name=item.name, plan=item.plan, status=item.status,
        admin_email=item.admin_email, admin_user_id=item.admin_user_id,
        external_ref=item.external_ref, settings=dict(item.settings or {}),
        created_at=item.created_at, updated_at=item.updated_at,
    )


def user_out(item: UserItem) -> UserOut:
    return UserOut(
        user_id=item.user_id, tenant_id=item.tenant_id, email=item.email, name=item.name,
        roles=sorted(item.roles), team_ids=sorted(item.team_ids or ()), status=item.status,
        created_at=item.created_at, updated_at=item.updated_at, version=item.version or 0,
    )


def team_out(item: TeamItem) -> TeamOut:
    return TeamOut(
        team_id=item.team_id, name=item.name, manager_id=item.manager_id,
        member_ids=sorted(item.member_ids or ()), created_at=item.created_at,
        updated_at=item.updated_at, version=item.version or 0,
    )


def api_key_out(item: ApiKeyItem) -> ApiKeyOut:
    return ApiKeyOut(
        key_id=item.key_id, name=item.name, role=item.role, scopes=sorted(item.scopes),
        created_at=item.created_at, created_by=item.created_by, revoked=bool(item.revoked),
    )


def versioned(body: UserOut | TeamOut, status: int | None = None) -> Reply:
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


# -- tenants (operator) -------------------------------------------------------

@api.route("/tenants", "POST", auth=AUTH_OPERATOR, body=ProvisionTenant,
           response=ProvisionedOut, status=201)
def provision_tenant(req: ApiRequest) -> Reply:
    """Provision a tenant and invite its admin (idempotent on `external_ref`)."""
    result = tenants.provision(req.body)
    admin = AdminOut(user_id=result.tenant.admin_user_id, email=result.tenant.admin_email,
                     temporary_password=result.temporary_password)
    body = ProvisionedOut(tenant=tenant_out(result.tenant), admin=admin)
    return Reply(body, status=201 if result.created else 200,
                 headers={"Location": f"/tenants/{result.tenant.tenant_id}"})


@api.route("/tenants/{tenant_id}", "GET", auth=AUTH_OPERATOR, response=TenantOut)
def get_tenant(req: ApiRequest, tenant_id: str) -> TenantOut:
    """Read a tenant."""
    return tenant_out(tenants.get(tenant_id))


@api.route("/tenants/{tenant_id}", "DELETE", auth=AUTH_OPERATOR, response=TenantOut)
def offboard_tenant(req: ApiRequest, tenant_id: str) -> TenantOut:
    """Offboard a tenant: disable its users and announce `TenantDeleted`."""
    return tenant_out(tenants.offboard(tenant_id))


# -- the signed-in user ---------------------------------------------------------

@api.route("/me", "GET", roles=ALL_ROLES, api_keys=False, response=MeOut)
def me(req: ApiRequest) -> Reply:
    """The signed-in user: one GetItem (plus one write on the very first sign-in)."""
    return versioned(user_out(users.signed_in(req.tenant_id, req.principal.subject)))


# -- users --------------------------------------------------------------------

@api.route("/users", "POST", roles=ADMINS, api_keys=False, body=InviteUser,
           response=InvitedOut, status=201)
def invite_user(req: ApiRequest) -> Reply:
    """Invite a user with roles and teams (the local stage returns the temporary password)."""
    from crm_shared.settings import get_settings

    user, password = users.invite(req.tenant_id, req.body)
    body = InvitedOut(**user_out(user).model_dump(),
                      temporary_password=password if get_settings().is_local else None)
    return Reply(body, headers={"ETag": etag(body.version), "Location": f"/users/{user.user_id}"})


@api.route("/users", "GET", roles=MANAGERS, api_keys=False, response=UserPage)
def list_users(req: ApiRequest) -> UserPage:
    """A page of the tenant's users."""
    items, cursor = repository.list_users(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor")
    )
    return UserPage(items=[user_out(u) for u in items], next_cursor=cursor)


@api.route("/users/{user_id}", "GET", roles=MANAGERS, api_keys=False, response=UserOut)
def get_user(req: ApiRequest, user_id: str) -> Reply:
    """Read a user."""
    return versioned(user_out(users.get(req.tenant_id, user_id)))


@api.route("/users/{user_id}", "PATCH", roles=ADMINS, api_keys=False, body=UpdateUser,
           response=UserOut)
def update_user(req: ApiRequest, user_id: str) -> Reply:
    """Change a user's name, roles, teams or status (`disabled` signs them out)."""
    return versioned(user_out(users.update(req.tenant_id, user_id, req.body, req.if_match())))


# -- teams --------------------------------------------------------------------

@api.route("/teams", "POST", roles=ADMINS, api_keys=False, body=CreateTeam, response=TeamOut,
           status=201)
def create_team(req: ApiRequest) -> Reply:
    """Create a team with a manager and members."""
    team = teams.create(req.tenant_id, req.body)
    reply = versioned(team_out(team))
    reply.headers["Location"] = f"/teams/{team.team_id}"
    return reply


@api.route("/teams", "GET", roles=ALL_ROLES, api_keys=False, response=TeamPage)
def list_teams(req: ApiRequest) -> TeamPage:
    """A page of the tenant's teams."""
    items, cursor = repository.list_teams(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor")
    )
    return TeamPage(items=[team_out(t) for t in items], next_cursor=cursor)


@api.route("/teams/{team_id}", "GET", roles=ALL_ROLES, api_keys=False, response=TeamOut)
def get_team(req: ApiRequest, team_id: str) -> Reply:
    """Read a team."""
    return versioned(team_out(teams.get(req.tenant_id, team_id)))


@api.route("/teams/{team_id}", "PATCH", roles=ADMINS, api_keys=False, body=UpdateTeam,
           response=TeamOut)
def update_team(req: ApiRequest, team_id: str) -> Reply:
    """Rename a team, change its manager or its members."""
    return versioned(team_out(teams.update(req.tenant_id, team_id, req.body, req.if_match())))


@api.route("/teams/{team_id}", "DELETE", roles=ADMINS, api_keys=False, status=204)
def delete_team(req: ApiRequest, team_id: str) -> None:
    """Delete a team; its members leave it."""
    teams.delete(req.tenant_id, team_id)


# -- API keys -----------------------------------------------------------------

@api.route("/api-keys", "POST", roles=ADMINS, api_keys=False, body=CreateApiKey,
           response=NewApiKeyOut, status=201)
def create_api_key(req: ApiRequest) -> NewApiKeyOut:
    """Create a scoped API key; the key is in this response only."""
    item, plaintext = api_keys.create(req.tenant_id, req.principal.actor, req.body)
    return NewApiKeyOut(**api_key_out(item).model_dump(), api_key=plaintext)


@api.route("/api-keys", "GET", roles=ADMINS, api_keys=False, response=ApiKeyPage)
def list_api_keys(req: ApiRequest) -> ApiKeyPage:
    """A page of the tenant's API keys (never their secrets)."""
    items, cursor = repository.list_api_keys(
        req.tenant_id, parse_limit(req.query.get("limit")), req.query.get("cursor")
    )
    return ApiKeyPage(items=[api_key_out(k) for k in items], next_cursor=cursor)


@api.route("/api-keys/{key_id}", "DELETE", roles=ADMINS, api_keys=False, status=204)
def revoke_api_key(req: ApiRequest, key_id: str) -> None:
    """Revoke an API key; every service refuses it once the event reaches it."""
    api_keys.revoke(req.tenant_id, key_id)
