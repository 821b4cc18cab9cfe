"""The customer service's Lambda entry point: wiring only, no business rules.

Features and the consumer are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp).
"""

from chalicelib import SERVICE
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# the literal /tickets/<word> paths come before /tickets/{ticket_id}
app = create_app(SERVICE, "chalicelib.tickets.api")
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")

