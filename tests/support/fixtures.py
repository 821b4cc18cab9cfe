"""Shared fixtures: moto with the stage's resources, service clients, tenants and tokens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.client
import pytest
from moto import mock_aws

from infra.local.provision import provision
from tests.support.client import ApiClient, Tenants
from tests.support.environment import configure
from tests.support.services import load_app, service_names


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    """moto in-process for one test module, with every template's resources deployed.

    A module's tests share it safely because each provisions its own tenants (isolation
    between tests is the product's tenant isolation). A fresh moto per module keeps each
    transaction cheap: moto copies the whole table for every TransactWriteItems.
    """
    with mock_aws():
        resources = provision("test", service_names(), None, "us-east-1")
        configure(resources)
        yield resources


@pytest.fixture(scope="module")
def session(aws: dict[str, Any]) -> Any:
    return boto3.session.Session(region_name="us-east-1")


@pytest.fixture(scope="module")
def clients(aws: dict[str, Any]) -> dict[str, ApiClient]:
    return {name: ApiClient(name, load_app(name), aws) for name in service_names()}


@pytest.fixture(scope="module")
def platform(clients: dict[str, ApiClient]) -> ApiClient:
    return clients["platform"]


@pytest.fixture(scope="module")
def tenants(platform: ApiClient, session: Any, aws: dict[str, Any]) -> Tenants:
    return Tenants(platform, session.client("cognito-idp"), aws)


@pytest.fixture(scope="module")
def runtimes(aws: dict[str, Any], session: Any) -> dict[str, Any]:
    """Each service's stream relay, consumer and schedules, driven one step at a time."""
    from infra.local.lambda_runtime import ServiceRuntime

    return {name: ServiceRuntime(load_app(name), aws["services"][name], session, None,
                                 retry_delay=0)
            for name in service_names()}


@pytest.fixture(scope="module")
def contacts(clients: dict[str, ApiClient]) -> ApiClient:
    return clients["contacts"]


@pytest.fixture(scope="module")
def sales(clients: dict[str, ApiClient]) -> ApiClient:
    return clients["sales"]


@pytest.fixture(scope="module")
def service(clients: dict[str, ApiClient]) -> ApiClient:
    return clients["service"]


@pytest.fixture(scope="module")
def marketing(clients: dict[str, ApiClient]) -> ApiClient:
    return clients["marketing"]


@pytest.fixture(scope="module", autouse=True)
def fresh_clock() -> Iterator[None]:
    """Every module starts and leaves with the real time: tests move the clock
    (crm_shared.clock.advance) to reach due work, and that must not leak into the next."""
    from crm_shared import clock

    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def dynamo_calls() -> Iterator[Counter[str]]:
    """DynamoDB operations made while the test runs."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def spy(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            calls[operation] += 1
        return original(client, operation, params)

    botocore.client.BaseClient._make_api_call = spy  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]
