"""Attach a service's event plumbing to its Chalice app: consumer queue and outbox relay."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm_shared.settings import get_settings

if TYPE_CHECKING:
    from crm_shared.events.consumer import Consumer
    from crm_shared.http import ServiceApp

# Chalice needs a literal stream ARN at package time; the service's merge template replaces
# it with `Fn::GetAtt: [Table, StreamArn]` and the local runtime finds the real stream itself.
PLACEHOLDER_STREAM_ARN = (
    "arn:aws:dynamodb:us-east-1:000000000000:table/crm-placeholder/stream/1970-01-01T00:00:00.000"
)


def queue_name(service: str) -> str:
    return f"crm-{get_settings().stage}-{service}-events"


def wire_events(app: ServiceApp, service: str, consumer: Consumer | str) -> tuple[Any, Any]:
    """Register `handle_events` (SQS consumer) and `publish_outbox` (stream relay).

    app.py must bind both returned handlers to those module names: Chalice points each
    Lambda function at `app.<function name>`. Give the consumer as a module path
    ("chalicelib.consumers") to import its handlers on the first batch only: the API
    function, which shares app.py, then never pays for them.
    """
    app.crm_consumer_ref = consumer

    @app.on_sqs_message(queue=queue_name(service), batch_size=10, name="handle_events")
    def handle_events(event: Any) -> dict[str, Any]:
        return dict(app.crm_consumer.process_batch(event.to_dict()))

    @app.on_dynamodb_record(
        stream_arn=PLACEHOLDER_STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON",
        name="publish_outbox",
    )
    def publish_outbox(event: Any) -> dict[str, Any]:
        from crm_shared.events.publisher import publish  # deferred: the relay function only

        return publish(service, event.to_dict().get("Records", []))

    return handle_events, publish_outbox
