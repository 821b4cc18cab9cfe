"""The platform service's Lambda entry point: wiring only, no business rules.

Features and the consumer are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp).
"""

from chalice import Rate

from chalicelib import SERVICE
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

app = create_app(SERVICE, "chalicelib.api", "chalicelib.permissions.api",
                 "chalicelib.workflows.api")
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="expire_invitations")
def expire_invitations(event: object) -> int:
    """Mark invitations whose temporary password ran out as expired."""
    from chalicelib.logic import users  # deferred: only this function needs it

    return users.expire_invitations()


@app.schedule(Rate(1, unit=Rate.MINUTES), name="resume_workflows")
def resume_workflows(event: object) -> int:
    """Continue workflow runs whose wait is over, each once."""
    from chalicelib.workflows import engine  # deferred: only this function needs it

    return engine.resume_due()
