"""Faults: a sender killed mid-batch and redelivered sends no one twice and skips no one;
a death inside the provider window is reported as uncertain, never sent again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.marketing.helpers import (
    launch_to,
    module,
    sending_tenant,
    sent_to,
    ses_sent,
)
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any], marketing: ApiClient) -> Tenant:
    return sending_tenant(tenants, runtimes, marketing, "Faults Co")


def stats(marketing: ApiClient, tenant: Tenant, campaign_id: str) -> dict[str, Any]:
    return dict(marketing.get(f"/campaigns/{campaign_id}", token=tenant.admin_token).json)


def test_a_sender_killed_mid_batch_resumes_without_duplicates_or_gaps(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    sender_module = module("chalicelib.delivery.sender")
    real, calls = sender_module.deliver, {"n": 0}

    def dies_after_three(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("the process was killed")  # between two recipients
        return str(real(*args, **kwargs))

    monkeypatch.setattr(sender_module, "deliver", dies_after_three)
    before = len(ses_sent())
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 6,
                                       planned=False)
    settle(runtimes)
    assert calls["n"] > 7  # the batch ran again after the kill
    assert [len(sent_to(a)) for a in addresses] == [1] * 6
    assert len(ses_sent()) - before == 6
    done = stats(marketing, tenant, campaign_id)
    assert done["status"] == "sent" and done["stats"]["sent"] == 6


def test_a_provider_that_fails_before_sending_is_retried(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import EndpointConnectionError

    providers = module("chalicelib.delivery.providers")
    real, calls = providers.ses(), {"n": 0}

    class Flaky:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def send_raw_email(self, **kw: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:
                raise EndpointConnectionError(endpoint_url="https://email.us-east-1")
            return real.send_raw_email(**kw)

    monkeypatch.setattr(providers, "ses", lambda: Flaky())
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 3,
                                       planned=False)
    settle(runtimes)
    assert [len(sent_to(a)) for a in addresses] == [1, 1, 1]
    assert stats(marketing, tenant, campaign_id)["stats"]["sent"] == 3


def test_a_death_after_the_provider_accepted_is_uncertain_not_sent_twice(
        marketing: ApiClient, contacts: ApiClient, tenant: Tenant, runtimes: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    providers = module("chalicelib.delivery.providers")
    real, calls = providers.ses(), {"n": 0}

    class DiesAfterSending:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def send_raw_email(self, **kw: Any) -> Any:
            calls["n"] += 1
            answer = real.send_raw_email(**kw)
            if calls["n"] == 2:
                raise RuntimeError("killed after SES accepted, before the record")
            return answer

    monkeypatch.setattr(providers, "ses", lambda: DiesAfterSending())
    addresses, campaign_id = launch_to(marketing, contacts, tenant, runtimes, 3,
                                       planned=False)
    settle(runtimes)
    assert [len(sent_to(a)) for a in addresses] == [1, 1, 1]  # nobody twice
    done = stats(marketing, tenant, campaign_id)
    assert done["stats"]["sent"] == 2 and done["stats"]["uncertain"] == 1
    assert done["status"] == "sent"
