"""Logging and metrics through powertools, with tenant_id and correlation_id on every line."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools import Logger, Metrics


@cache
def logger(service: str) -> Logger:
    return Logger(service=f"crm-{service}")


@cache
def metrics(service: str) -> Metrics:
    return Metrics(namespace="CRM", service=f"crm-{service}")


def bind(service: str, *, tenant_id: str | None, correlation_id: str | None) -> None:
    """Put the tenant and correlation id on every later log line and metric of this request."""
    log = logger(service)
    log.remove_keys(["tenant_id", "correlation_id"])
    log.append_keys(tenant_id=tenant_id, correlation_id=correlation_id)
    if tenant_id:
        metrics(service).add_metadata(key="tenant_id", value=tenant_id)
