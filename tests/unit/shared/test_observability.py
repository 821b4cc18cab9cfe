"""Every request and consumed event leaves EMF metrics carrying its tenant and correlation id."""

from __future__ import annotations

import json

import pytest

from tests.support.client import ApiClient, Tenants


def emf_lines(text: str) -> list[dict[str, object]]:
    found = []
    for line in text.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            found.append(json.loads(line))
    return found


def test_a_request_emits_metrics_with_tenant_and_correlation_id(
    platform: ApiClient, tenants: Tenants, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant = tenants.create()
    capsys.readouterr()
    reply = platform.get("/me", token=tenant.admin_token, headers={"X-Correlation-Id": "corr-42"})
    assert reply.header("X-Correlation-Id") == "corr-42"
    metrics = emf_lines(capsys.readouterr().out)
    request = next(m for m in metrics if "Requests" in m)
    assert request["route"] == "GET /me"
    assert request["tenant_id"] == tenant.tenant_id
    assert request["correlation_id"] == "corr-42"
    assert request["ServerErrors"] in (0, [0.0])  # EMF writes one value or a list
