"""Routes for the tenant's custom properties on contacts and companies."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.properties import logic, store
from chalicelib.properties.schemas import PropertyIn, PropertyList, PropertyOut
from crm_shared.auth.roles import ADMINS, ALL_ROLES
from crm_shared.http import ApiRequest, ServiceApi

api = ServiceApi(SERVICE, "properties")
OBJECTS = {"contacts": "contact", "companies": "company"}


def out(item: store.PropertyItem) -> PropertyOut:
    return PropertyOut(name=item.name, label=item.label, type=item.type,
                       required=bool(item.required), options=[str(o) for o in item.options or []],
                       description=item.description, object_type=item.object_type)


for _prefix, _object in OBJECTS.items():
    def _routes(prefix: str = _prefix, object_type: str = _object) -> None:
        @api.route(f"/{prefix}/properties", "POST", roles=ADMINS, body=PropertyIn,
                   response=PropertyOut, status=201, name=f"create_{object_type}_property")
        def create_property(req: ApiRequest) -> PropertyOut:
            """Define a custom property (validated on every write from then on)."""
            return out(logic.create(req.tenant_id, object_type, req.body))

        @api.route(f"/{prefix}/properties", "GET", roles=ALL_ROLES, response=PropertyList,
                   name=f"list_{object_type}_properties")
        def list_properties(req: ApiRequest) -> PropertyList:
            """The tenant's custom properties of this object type."""
            items = store.definitions(req.tenant_id, object_type, fresh=True).values()
            return PropertyList(items=[out(i) for i in sorted(items, key=lambda i: i.name)])

        @api.route(f"/{prefix}/properties/{{name}}", "DELETE", roles=ADMINS, status=204,
                   name=f"delete_{object_type}_property")
        def delete_property(req: ApiRequest, name: str) -> None:
            """Remove a definition (values already stored stay until next written)."""
            logic.delete(req.tenant_id, object_type, name)

    _routes()
