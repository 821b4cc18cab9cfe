"""The marketing service's Lambda entry point: wiring only, no business rules.

Features and the consumers are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp). Each queue function
imports its worker on its first batch.
"""

from typing import Any

from chalice import Rate

from chalicelib import SERVICE
from chalicelib.config import queue_name
from chalicelib.jobs import register as register_jobs
from chalicelib.tracking.api import api as tracking_api
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# each feature declares its literal sub-paths (/segments/preview, /campaigns/stats) before
# its /{id} routes; tracking is eager (its one-click POST takes a form body)
app = create_app(SERVICE, "chalicelib.segments.api", "chalicelib.templates.api",
                 "chalicelib.campaigns.api", "chalicelib.suppressions.api",
                 "chalicelib.journeys.api", tracking_api)
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")
handle_jobs = register_jobs(app)


@app.on_sqs_message(queue=queue_name("sends"), batch_size=1, name="handle_sends")
def handle_sends(event: Any) -> dict[str, Any]:
    """Campaign send batches (100 recipients a message)."""
    from chalicelib.delivery.batches import process_sends

    return process_sends(event.to_dict())


@app.on_sqs_message(queue=queue_name("messages"), batch_size=10, name="handle_messages")
def handle_messages(event: Any) -> dict[str, Any]:
    """Transactional messages other services queue (crm_shared.messaging)."""
    from chalicelib.messaging.worker import process_messages

    return process_messages(event.to_dict())


@app.on_sqs_message(queue=queue_name("feedback"), batch_size=10, name="handle_feedback")
def handle_feedback(event: Any) -> dict[str, Any]:
    """SES bounces, complaints and deliveries (SES -> SNS -> SQS)."""
    from chalicelib.delivery.feedback import process_feedback

    return process_feedback(event.to_dict())


@app.schedule(Rate(1, unit=Rate.MINUTES), name="launch_scheduled")
def launch_scheduled(event: object) -> int:
    """Start the scheduled campaigns whose time came."""
    from chalicelib.campaigns import logic as campaigns

    return campaigns.launch_due()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="run_journeys")
def run_journeys(event: object) -> int:
    """Continue the journey enrollments whose wait is over, each step once."""
    from chalicelib.journeys import runner

    return runner.run_due()


@app.schedule(Rate(1, unit=Rate.DAYS), name="reevaluate_segments")
def reevaluate_segments(event: object) -> int:
    """Re-evaluate the dynamic segments whose filters are time-relative (created_days_ago)."""
    from chalicelib.segments import logic as segments

    return segments.reevaluate_due()
