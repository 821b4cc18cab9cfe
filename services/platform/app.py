"""The platform service's Lambda entry point: wiring only, no business rules.

Features and the consumer are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp).
"""

from typing import Any

from chalice import Rate

from chalicelib import SERVICE
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app
from crm_shared.settings import get_settings

app = create_app(SERVICE, "chalicelib.api", "chalicelib.webhooks.api",
                 "chalicelib.permissions.api", "chalicelib.workflows.api",
                 "chalicelib.notifications.api", "chalicelib.audit.api",
                 "chalicelib.offboarding.api")
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="expire_invitations")
def expire_invitations(event: object) -> int:
    """Mark invitations whose temporary password ran out as expired."""
    from chalicelib.logic import users  # deferred: only this function needs it

    return users.expire_invitations()


@app.on_sqs_message(queue=f"crm-{get_settings().stage}-platform-webhooks", batch_size=1,
                    name="handle_webhooks")
def handle_webhooks(event: Any) -> dict[str, Any]:
    """Webhook deliveries: one signed POST per message, retried on the message's visibility."""
    from chalicelib.webhooks.delivery import process  # deferred: this function only

    return process(event.to_dict())


# the worker sets a retry's visibility itself: the local runtime must not reset it
handle_webhooks.crm_sets_visibility = True  # type: ignore[attr-defined]


@app.schedule(Rate(1, unit=Rate.MINUTES), name="resume_workflows")
def resume_workflows(event: object) -> int:
    """Continue workflow runs whose wait is over, each once."""
    from chalicelib.workflows import engine  # deferred: only this function needs it

    return engine.resume_due()


@app.on_sqs_message(queue=f"crm-{get_settings().stage}-platform-audit", batch_size=10,
                    name="handle_audit")
def handle_audit(event: Any) -> dict[str, Any]:
    """Reads and exports every service reports (crm_shared.audit) become audit entries."""
    from chalicelib.audit.handlers import reads  # deferred: this function only

    return reads.process_batch(event.to_dict())


@app.schedule(Rate(1, unit=Rate.HOURS), name="export_audit")
def export_audit(event: object) -> int:
    """Write each finished tenant-day of entries to the Object Lock bucket (JSON lines)."""
    from chalicelib.audit import export  # deferred: only this function needs it

    return export.export_due_days()


@app.schedule(Rate(1, unit=Rate.HOURS), name="notification_digests")
def notification_digests(event: object) -> int:
    """Email each user who asked for it their unread notifications, once a day."""
    from chalicelib.notifications import logic  # deferred: only this function needs it

    return logic.send_digests()
