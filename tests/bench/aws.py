"""A fresh moto with the services provisioned, for the benches that need one of their own.

Each bench that seeds thousands of items measures in its own moto, so one bench's data never
slows another's queries or memory (moto keeps everything in the process).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any


@dataclass
class FreshAws:
    """What a bench drives: the provisioned resources, an API client per service, the
    operator's tenant factory, and (unless asked not to) each service's event runtime."""

    resources: dict[str, Any]
    session: Any
    clients: dict[str, Any]
    tenants: Any
    runtimes: dict[str, Any]

    def settle(self) -> int:
        """Deliver every queued event to its consumers until nothing is in flight."""
        from tests.support.events import settle

        return settle(self.runtimes)


@contextmanager
def fresh_aws(services: Sequence[str] | None = None, runtimes: bool = True
              ) -> Iterator[FreshAws]:
    """Provision `services` (default: all) in a new moto, as the test stage does."""
    import boto3
    from moto import mock_aws

    from infra.local.lambda_runtime import ServiceRuntime
    from infra.local.provision import provision
    from tests.support.client import ApiClient, Tenants
    from tests.support.environment import configure
    from tests.support.services import load_app, service_names

    names = list(services or service_names())
    with mock_aws():
        resources = provision("test", names, None, "us-east-1")
        configure(resources)
        session = boto3.session.Session(region_name="us-east-1")
        clients = {name: ApiClient(name, load_app(name), resources) for name in names}
        tenants = Tenants(clients["platform"], session.client("cognito-idp"), resources)
        hosted = {name: ServiceRuntime(load_app(name), resources["services"][name], session,
                                       None) for name in names} if runtimes else {}
        yield FreshAws(resources, session, clients, tenants, hosted)
