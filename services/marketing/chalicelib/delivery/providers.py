"""The AWS clients messages leave through: SES for email, SNS for SMS."""

from __future__ import annotations

from functools import cache
from typing import Any

from crm_shared.settings import get_settings


@cache
def client(name: str) -> Any:
    import boto3  # deferred: only senders and identity routes need it

    settings = get_settings()
    return boto3.client(name, region_name=settings.region, endpoint_url=settings.aws_endpoint_url)


def ses() -> Any:
    return client("ses")


def sns() -> Any:
    return client("sns")


def sqs() -> Any:
    return client("sqs")


def identity_status(email: str) -> str:
    """SES's verification status of an address: verified, pending or failed."""
    found = ses().get_identity_verification_attributes(Identities=[email])
    status = found.get("VerificationAttributes", {}).get(email, {}).get("VerificationStatus")
    return {"Success": "verified", "Failed": "failed"}.get(str(status), "pending")
