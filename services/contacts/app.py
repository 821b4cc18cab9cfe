"""The contacts service's Lambda entry point: wiring only, no business rules.

Features, the consumer and the job handlers are named by module path: each loads on its
first use, so a cold start costs the route table only (crm_shared.http.ServiceApp).
"""

from chalicelib import SERVICE
from chalicelib.transfers.jobs import register as register_jobs
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# properties before contacts and companies: /contacts/properties must not be read as an id
app = create_app(
    SERVICE, "chalicelib.properties.api", "chalicelib.contacts.api", "chalicelib.companies.api",
    "chalicelib.relationships.api", "chalicelib.timeline.api", "chalicelib.files.api",
    "chalicelib.privacy.api", "chalicelib.transfers.api",
)
handle_events, publish_outbox = wire_events(app, SERVICE, "chalicelib.consumers")
handle_jobs = register_jobs(app)
