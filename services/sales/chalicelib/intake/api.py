"""Intake routes: connectors and settings for the tenant, and the public signed webhook."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.intake import logic, repository
from chalicelib.intake.schemas import (
    ConnectorCreate,
    ConnectorFields,
    ConnectorOut,
    ConnectorPage,
    IngestOut,
    IntakeSettings,
)
from crm_shared.auth.roles import ADMINS, MANAGERS
from crm_shared.http import AUTH_PUBLIC, ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "intake")


@api.route("/orders/connectors", "POST", roles=ADMINS, body=ConnectorCreate,
           response=ConnectorOut, status=201)
def create_connector(req: ApiRequest) -> Reply:
    """A shop connector: its key (the ingest URL) and its HMAC secret, shown only here."""
    out = logic.create_connector(req.tenant_id, req.body.model_dump(mode="json",
                                                                    exclude_none=True))
    return Reply(ConnectorOut(**out), headers={
        "Location": f"/orders/connectors/{out['connector_key']}"})


@api.route("/orders/connectors", "GET", roles=MANAGERS, response=ConnectorPage)
def list_connectors(req: ApiRequest) -> ConnectorPage:
    items, cursor = repository.connectors(req.tenant_id, parse_limit(req.query.get("limit")),
                                          req.query.get("cursor"))
    return ConnectorPage(items=[ConnectorOut(**logic.shown(i)) for i in items],
                         next_cursor=cursor)


@api.route("/orders/connectors/{connector_key}", "GET", roles=MANAGERS, response=ConnectorOut)
def get_connector(req: ApiRequest, connector_key: str) -> Reply:
    out = logic.shown(logic.connector(req.tenant_id, connector_key))
    return Reply(ConnectorOut(**out), headers={"ETag": etag(out["version"])})


@api.route("/orders/connectors/{connector_key}", "PATCH", roles=ADMINS, body=ConnectorFields,
           response=ConnectorOut)
def update_connector(req: ApiRequest, connector_key: str) -> ConnectorOut:
    """Rename, remap or switch off (a switched-off connector's webhooks are refused)."""
    return ConnectorOut(**logic.update_connector(
        req.tenant_id, connector_key, req.body.model_dump(mode="json", exclude_unset=True),
        req.if_match()))


@api.route("/orders/connectors/{connector_key}", "DELETE", roles=ADMINS, status=204)
def delete_connector(req: ApiRequest, connector_key: str) -> None:
    logic.delete_connector(req.tenant_id, connector_key)


@api.route("/orders/settings", "GET", roles=MANAGERS, response=IntakeSettings)
def get_order_settings(req: ApiRequest) -> IntakeSettings:
    return IntakeSettings(**logic.settings(req.tenant_id))


@api.route("/orders/settings", "PUT", roles=ADMINS, body=IntakeSettings,
           response=IntakeSettings)
def put_order_settings(req: ApiRequest) -> IntakeSettings:
    """`cart_abandon_hours`: how long a cart waits for its order before CartAbandoned."""
    return IntakeSettings(**logic.put_settings(req.tenant_id, req.body.model_dump()))


@api.route("/orders/ingest/{connector_key}", "POST", auth=AUTH_PUBLIC, response=IngestOut)
def ingest(req: ApiRequest, connector_key: str) -> IngestOut:
    """A shop's order or cart webhook, signed `X-Signature: sha256=<HMAC of the raw body>`
    with the connector's secret (401 and nothing stored otherwise). Replays change nothing."""
    return IngestOut(**logic.ingest(connector_key, req.raw_body,
                                    req.headers.get("x-signature")))
