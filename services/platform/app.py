"""The platform service's Lambda entry point: wiring only, no business rules."""

from chalicelib import SERVICE
from chalicelib.api import api
from chalicelib.consumers import consumer
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

app = create_app(SERVICE, api)
handle_events, publish_outbox = wire_events(app, SERVICE, consumer)
