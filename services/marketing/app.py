"""The marketing service's Lambda entry point: wiring only, no business rules.

Features and the consumers are named by module path: they load on first use, so a cold
start costs the route table only (crm_shared.http.ServiceApp).
"""

from chalicelib import SERVICE
from chalicelib.jobs import register as register_jobs
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# literal sub-paths (/segments/preview) before /segments/{segment_id}: each feature
# declares its literal paths first
app = create_app(SERVICE, "chalicelib.segments.api", "chalicelib.templates.api")
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")
handle_jobs = register_jobs(app)
