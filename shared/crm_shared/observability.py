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


def record_request(service: str, *, route: str, status: int, elapsed_ms: float,
                   tenant_id: str | None, correlation_id: str | None) -> None:
    """One request's metrics in CloudWatch EMF: count, latency and errors by route.

    The tenant and correlation id travel as metadata (searchable in Logs Insights) rather
    than as dimensions, which would make a metric per tenant.
    """
    _emit(service, {"route": route}, {
        "Requests": 1, "Latency": elapsed_ms,
        "ClientErrors": int(400 <= status < 500), "ServerErrors": int(status >= 500),
    }, tenant_id=tenant_id, correlation_id=correlation_id)


def record_event(service: str, *, detail_type: str, outcome: str, tenant_id: str | None,
                 correlation_id: str | None) -> None:
    """A consumed event: handled, duplicate (a redelivery that changed nothing) or failed."""
    _emit(service, {"detail_type": detail_type}, {f"Events{outcome.title()}": 1},
          tenant_id=tenant_id, correlation_id=correlation_id)


def _emit(service: str, dimensions: dict[str, str], values: dict[str, float], *,
          tenant_id: str | None, correlation_id: str | None) -> None:
    from aws_lambda_powertools.metrics import MetricUnit
    from aws_lambda_powertools.metrics.functions import is_metrics_disabled

    if is_metrics_disabled():  # the local runtime keeps its console readable
        return
    sink = metrics(service)
    for dimension, label in dimensions.items():
        sink.add_dimension(name=dimension, value=label)
    for name, amount in values.items():
        unit = MetricUnit.Milliseconds if name == "Latency" else MetricUnit.Count
        sink.add_metric(name=name, unit=unit, value=amount)
    if tenant_id:
        sink.add_metadata(key="tenant_id", value=tenant_id)
    if correlation_id:
        sink.add_metadata(key="correlation_id", value=correlation_id)
    sink.flush_metrics()
