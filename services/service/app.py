"""The customer service's Lambda entry point: wiring only, no business rules.

Features and the consumer are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp).
"""

from typing import Any

from chalice import Rate

from chalicelib import SERVICE
from chalicelib.inbound import queue_name as inbound_queue
from chalicelib.jobs import register as register_jobs
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# the literal /tickets/<word> paths come before /tickets/{ticket_id}
app = create_app(SERVICE, "chalicelib.stats.api", "chalicelib.config.api",
                 "chalicelib.routing.api", "chalicelib.sla.api", "chalicelib.inbound.api",
                 "chalicelib.tickets.api", "chalicelib.surveys.api", "chalicelib.kb.api",
                 "chalicelib.returns.api")
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")
# continuations of contact events whose records do not fit one delivery
handle_jobs = register_jobs(app)


@app.schedule(Rate(1, unit=Rate.MINUTES), name="sweep_sla")
def sweep_sla(event: object) -> int:
    """Announce SLA targets that fell due unmet (SlaBreached) and escalate, and those close
    to due (TicketSlaAtRisk), once each."""
    from chalicelib.sla import sweep  # deferred: only this function needs it

    return sweep.run()


@app.on_sqs_message(queue=inbound_queue(), batch_size=5, name="handle_inbound_email")
def handle_inbound_email(event: Any) -> dict[str, Any]:
    """Turn stored inbound emails (S3 -> SNS -> this queue) into tickets and replies."""
    from chalicelib.inbound import consumer  # deferred: only this function needs it

    return consumer.process_batch(event.to_dict())


@app.schedule(Rate(1, unit=Rate.HOURS), name="send_nps_surveys")
def send_nps_surveys(event: object) -> int:
    """Send the NPS surveys that fell due (per contact, every interval; DUE index)."""
    from chalicelib.surveys import schedule  # deferred: only this function needs it

    return schedule.run()
