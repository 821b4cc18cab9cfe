"""/permissions/fields: which fields each role may not see, per entity type (admins)."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.permissions import logic
from chalicelib.permissions.schemas import FieldRulesIn, FieldRulesOut
from crm_shared.auth.roles import ADMINS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag

api = ServiceApi(SERVICE, "permissions")


def _reply(body: FieldRulesOut) -> Reply:
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/permissions/fields", "GET", roles=ADMINS, response=FieldRulesOut)
def get_field_rules(req: ApiRequest) -> Reply:
    """The tenant's field rules, the defaults and what applies."""
    return _reply(logic.view(req.tenant_id))


@api.route("/permissions/fields", "PUT", roles=ADMINS, body=FieldRulesIn,
           response=FieldRulesOut)
def put_field_rules(req: ApiRequest) -> Reply:
    """Replace the tenant's overrides (If-Match required); every service gets them by event."""
    return _reply(logic.replace(req.tenant_id, req.principal.actor, req.body.rules,
                                req.if_match()))
