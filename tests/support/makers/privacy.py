"""Makers for the privacy routes' path parameters (consent channels)."""

from __future__ import annotations

from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.entities import Maker


def _channel(clients: dict[str, ApiClient], tenants: Tenants, tenant: Tenant) -> str:
    """A channel name that no list of another tenant would contain by chance."""
    return "wechat"


MAKERS: dict[str, Maker] = {"channel": _channel}
