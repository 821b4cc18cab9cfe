"""The platform service's Lambda entry point: wiring only, no business rules."""

from chalice import Rate

from chalicelib import SERVICE
from chalicelib.api import api
from chalicelib.consumers import consumer
from chalicelib.logic import users
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

app = create_app(SERVICE, api)
handle_events, publish_outbox = wire_events(app, SERVICE, consumer)


@app.schedule(Rate(15, unit=Rate.MINUTES), name="expire_invitations")
def expire_invitations(event: object) -> int:
    """Mark invitations whose temporary password ran out as expired."""
    return users.expire_invitations()
