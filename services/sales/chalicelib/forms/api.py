"""Web-to-lead form routes: admins manage forms; the public post creates a lead.

API Gateway allows one variable name per path level, so the public post takes the form's
key in the `{form_id}` position of /leads/forms/{form_id}.
"""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.forms import logic, repository
from chalicelib.forms.models import FormItem
from chalicelib.forms.schemas import FormCreate, FormFields, FormOut, FormPage, Received, Submission
from crm_shared.auth.roles import ADMINS
from crm_shared.http import AUTH_PUBLIC, ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "forms")
PATH = "/leads/forms"


def shown(item: FormItem, status: int | None = None) -> Reply:
    body = FormOut(**logic.record(item))
    return Reply(body, status=status, headers={"ETag": etag(body.version)})


@api.route(PATH, "POST", roles=ADMINS, body=FormCreate, response=FormOut, status=201)
def create_form(req: ApiRequest) -> Reply:
    """A web-to-lead form: its public key, allowed origins, field mapping and defaults."""
    item = logic.create(req.tenant_id, req.body.model_dump(mode="json", exclude_none=True))
    reply = shown(item)
    reply.headers["Location"] = f"{PATH}/{item.form_id}"
    return reply


@api.route(PATH, "GET", roles=ADMINS, response=FormPage)
def list_forms(req: ApiRequest) -> FormPage:
    items, cursor = repository.list_forms(req.tenant_id, parse_limit(req.query.get("limit")),
                                          req.query.get("cursor"))
    return FormPage(items=[FormOut(**logic.record(i)) for i in items], next_cursor=cursor)


@api.route(PATH + "/{form_id}", "GET", roles=ADMINS, response=FormOut)
def get_form(req: ApiRequest, form_id: str) -> Reply:
    return shown(logic.get(req.tenant_id, form_id))


@api.route(PATH + "/{form_id}", "PATCH", roles=ADMINS, body=FormFields, response=FormOut)
def update_form(req: ApiRequest, form_id: str) -> Reply:
    return shown(logic.update(req.tenant_id, form_id,
                              req.body.model_dump(mode="json", exclude_unset=True),
                              req.if_match()))


@api.route(PATH + "/{form_id}", "DELETE", roles=ADMINS, status=204)
def delete_form(req: ApiRequest, form_id: str) -> None:
    logic.delete(req.tenant_id, form_id)


@api.route(PATH + "/{form_id}", "POST", auth=AUTH_PUBLIC, body=Submission, response=Received,
           status=201, name="submit_form")
def submit_form(req: ApiRequest, form_id: str) -> Reply:
    """Public: a visitor posts the form whose key is in the path (no sign-in)."""
    lead_id = logic.submit(form_id, req.headers.get("origin"), dict(req.body.model_extra or {}))
    if lead_id is None:
        return Reply(Received(status="accepted"), status=202)
    return Reply(Received(status="created", lead_id=lead_id))
