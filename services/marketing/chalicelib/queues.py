"""Partial-batch SQS processing for marketing's own queues (sends, messages, feedback).

Like crm_shared's consumers: only the records that failed are reported, so SQS retries
those alone, after their visibility timeout, and moves them to the DLQ after 5 receives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def process(lambda_event: dict[str, Any], handler: Callable[[Any], None]) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import (  # deferred: API cold starts skip it
        BatchProcessor,
        EventType,
        process_partial_response,
    )

    processor = BatchProcessor(event_type=EventType.SQS)
    return dict(process_partial_response(event=lambda_event, record_handler=handler,
                                         processor=processor))
