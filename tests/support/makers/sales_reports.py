"""Makers and event helpers for the sales reports and quotas.

Reports are built from opportunity and lead events, so tests publish those events onto the
real (moto) bus, as the opportunities and leads features do, and let `settle` deliver them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_shared.events.envelope import Event, envelope_for
from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import put_bus_event

if TYPE_CHECKING:  # entities imports this module to collect MAKERS
    from tests.support.entities import Maker


def _quota(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    reply = clients["sales"].post("/quotas", {
        "owner_id": tenant.admin_user_id, "period": "2031-Q1",
        "amount": {"amount": 100_000, "currency": "EUR"}}, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["quota_id"])


MAKERS: dict[str, Maker] = {
    "quota_id": _quota,
}


def deal(**fields: Any) -> dict[str, Any]:
    """An opportunity record as the API shows it (and its events carry), open by default."""
    record: dict[str, Any] = {
        "opportunity_id": new_id("opp"), "name": "Deal", "company_id": None,
        "company_name": None, "contact_ids": [], "owner_id": "usr_A", "team_id": None,
        "pipeline_id": "pip_unknown", "stage": "Prospecting", "stage_kind": "open",
        "amount": {"amount": 100_000, "currency": "EUR"}, "product_lines": [],
        "expected_close_date": "2026-03-15", "probability": 10,
        "forecast_category": "pipeline", "source": None, "source_campaign_id": None,
        "lead_id": None, "lost_reason": None, "engaged_at": None, "closed_at": None,
        "approval_status": "none", "created_at": "2026-01-10T09:00:00.000Z",
        "updated_at": "2026-01-10T09:00:00.000Z", "version": 1,
    }
    record.update(fields)
    return record


def envelope(tenant_id: str, event: Event) -> dict[str, Any]:
    return envelope_for(event, tenant_id, "user:usr_test").model_dump(mode="json")


def publish(session: Any, tenant_id: str, event: Event) -> dict[str, Any]:
    """Put `event` on the bus for `tenant_id`; returns its envelope (to deliver it again)."""
    detail = envelope(tenant_id, event)
    put_bus_event(session, type(event).source, type(event).detail_type(), detail)
    return detail
