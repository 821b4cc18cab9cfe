"""Inbound email: SES stores each message in S3, S3 notifies SNS, SNS feeds an SQS queue,
and `handle_inbound_email` turns each message into a ticket or a customer's reply."""

from __future__ import annotations

from crm_shared.settings import get_settings


def queue_name() -> str:
    return f"crm-{get_settings().stage}-service-inbound"
