"""Routes of /surveys: the public answer (a signed link is the credential), lists, settings."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.surveys import logic, repository
from chalicelib.surveys.schemas import (
    ResponseIn,
    ResponseOut,
    ResponsePage,
    SettingsIn,
    SettingsOut,
)
from crm_shared.auth.roles import ADMINS, ALL_ROLES
from crm_shared.errors import BadRequest
from crm_shared.http import AUTH_PUBLIC, ApiRequest, ServiceApi
from crm_shared.ids import is_id
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "surveys")
FILTERS = {"ticket_id": "tkt", "contact_id": "con"}


@api.route("/surveys/responses", "POST", auth=AUTH_PUBLIC, body=ResponseIn,
           response=ResponseOut, status=201)
def answer_survey(req: ApiRequest) -> ResponseOut:
    """Answer a CSAT (1-5) or NPS (0-10) survey with the signed token of its link; once per
    survey. A forged, expired or used token is refused naming `token`."""
    return logic.shown(logic.respond(req.body))


@api.route("/surveys/responses", "GET", roles=ALL_ROLES, response=ResponsePage)
def list_responses(req: ApiRequest) -> ResponsePage:
    """Survey responses newest first, of one `ticket_id` or `contact_id` or all; one Query
    per page."""
    sent = {k: req.query[k] for k in FILTERS if req.query.get(k)}
    if len(sent) > 1:
        raise BadRequest.for_field("contact_id", "filter by ticket_id or contact_id, not both")
    field, value = next(iter(sent.items()), (None, None))
    if field is not None and not is_id(value, FILTERS[field]):
        raise BadRequest.for_field(field, f"must be an id starting {FILTERS[field]}_")
    items, cursor = repository.responses(req.tenant_id, parse_limit(req.query.get("limit")),
                                         req.query.get("cursor"), field, value)
    return ResponsePage(items=[logic.shown(i) for i in items], next_cursor=cursor)


@api.route("/surveys/settings", "GET", roles=ALL_ROLES, response=SettingsOut)
def get_survey_settings(req: ApiRequest) -> SettingsOut:
    """When surveys go out and what a low score does."""
    return SettingsOut(**logic.settings(req.tenant_id))


@api.route("/surveys/settings", "PATCH", roles=ADMINS, body=SettingsIn, response=SettingsOut)
def update_survey_settings(req: ApiRequest) -> SettingsOut:
    """Change the settings sent (admins)."""
    sent = req.body.model_dump(mode="json", exclude_none=True)
    if not sent:
        raise BadRequest.for_field("body", "send at least one setting")
    return SettingsOut(**logic.change_settings(req.tenant_id, sent))
