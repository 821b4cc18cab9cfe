"""Routes of /tickets/settings: everyone reads the type defaults, admins change them."""

from __future__ import annotations

from typing import Any

from chalicelib import SERVICE
from chalicelib.config import logic
from chalicelib.config.schemas import SettingsIn, SettingsOut
from crm_shared.auth.roles import ADMINS, ALL_ROLES
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "settings")


@api.route("/tickets/settings", "GET", roles=ALL_ROLES, response=SettingsOut)
def get_settings(req: ApiRequest) -> SettingsOut:
    """Defaults a new ticket takes from its type (complaint -> high priority, ...)."""
    return SettingsOut(type_defaults=logic.read(req.tenant_id).get("type_defaults", {}))


@api.route("/tickets/settings", "PATCH", roles=ADMINS, body=SettingsIn, response=SettingsOut)
def update_settings(req: ApiRequest) -> SettingsOut:
    """Change the defaults of the types sent."""
    sent = req.body.model_dump(mode="json")["type_defaults"]

    def edit(doc: dict[str, Any]) -> dict[str, Any]:
        defaults = doc.setdefault("type_defaults", {})
        for name, value in sent.items():
            defaults[name] = {**defaults.get(name, {}), **value}
        return dict(defaults)

    return SettingsOut(type_defaults=logic.change(req.tenant_id, edit))
