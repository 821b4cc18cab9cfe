"""The sales service's Lambda entry point: wiring only, no business rules."""

from chalicelib import SERVICE
from chalicelib.consumers import consumer
from chalicelib.leads.api import api as leads_api
from chalicelib.pipelines.api import api as pipelines_api
from chalicelib.products.api import api as products_api
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

app = create_app(SERVICE, pipelines_api, products_api,
                 # the /leads/<word> collections must come before /leads/{lead_id}
                 leads_api)
handle_events, publish_outbox = wire_events(app, SERVICE, consumer)
