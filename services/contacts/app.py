"""The contacts service's Lambda entry point: wiring only, no business rules."""

from chalicelib import SERVICE
from chalicelib.companies.api import api as companies_api
from chalicelib.consumers import consumer
from chalicelib.contacts.api import api as contacts_api
from chalicelib.files.api import api as files_api
from chalicelib.privacy.api import api as privacy_api
from chalicelib.properties.api import api as properties_api
from chalicelib.relationships.api import api as relationships_api
from chalicelib.timeline.api import api as timeline_api
from chalicelib.transfers.api import api as transfers_api
from chalicelib.transfers.jobs import register as register_jobs
from crm_shared.events.wiring import wire_events
from crm_shared.http import create_app

# properties before contacts and companies: /contacts/properties must not be read as an id
app = create_app(SERVICE, properties_api, contacts_api, companies_api, relationships_api,
                 timeline_api, files_api, privacy_api, transfers_api)
handle_events, publish_outbox = wire_events(app, SERVICE, consumer)
handle_jobs = register_jobs(app)
