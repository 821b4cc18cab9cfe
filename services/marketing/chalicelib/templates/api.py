"""Template and sender identity routes: thin; the rules live in logic.py and rendering.py."""

from __future__ import annotations

from chalicelib import SERVICE
from chalicelib.roles import MARKETERS, READERS
from chalicelib.templates import logic, repository
from chalicelib.templates.models import TemplateItem
from chalicelib.templates.schemas import (
    PreviewIn,
    Rendered,
    SenderIn,
    SenderList,
    SenderOut,
    TemplateCreate,
    TemplateFields,
    TemplateOut,
    TemplatePage,
)
from crm_shared.auth.roles import ADMINS
from crm_shared.http import ApiRequest, Reply, ServiceApi, etag
from crm_shared.pagination import parse_limit

api = ServiceApi(SERVICE, "templates")


def shown(item: TemplateItem) -> Reply:
    body = TemplateOut(**logic.record(item))
    return Reply(body, headers={"ETag": etag(body.version)})


@api.route("/templates", "POST", roles=MARKETERS, body=TemplateCreate, response=TemplateOut,
           status=201)
def create_template(req: ApiRequest) -> Reply:
    """An email (subject, html, text) or SMS (text) template, checked in the sandbox."""
    item = logic.create(req.tenant_id, req.body)
    reply = shown(item)
    reply.headers["Location"] = f"/templates/{item.template_id}"
    return reply


@api.route("/templates", "GET", roles=READERS, response=TemplatePage)
def list_templates(req: ApiRequest) -> TemplatePage:
    """The tenant's templates, newest first."""
    items, cursor = repository.templates_page(req.tenant_id, parse_limit(req.query.get("limit")),
                                              req.query.get("cursor"))
    return TemplatePage(items=[TemplateOut(**logic.record(i)) for i in items],
                        next_cursor=cursor)


@api.route("/templates/{template_id}", "GET", roles=READERS, response=TemplateOut)
def get_template(req: ApiRequest, template_id: str) -> Reply:
    return shown(logic.get(req.tenant_id, template_id))


@api.route("/templates/{template_id}", "PATCH", roles=MARKETERS, body=TemplateFields,
           response=TemplateOut)
def update_template(req: ApiRequest, template_id: str) -> Reply:
    """Change the fields sent; the template is checked again; `If-Match` honoured."""
    return shown(logic.update(req.tenant_id, template_id, req.body, req.if_match()))


@api.route("/templates/{template_id}", "DELETE", roles=MARKETERS, status=204)
def delete_template(req: ApiRequest, template_id: str) -> None:
    logic.delete(req.tenant_id, template_id)


@api.route("/templates/{template_id}/preview", "POST", roles=READERS, body=PreviewIn,
           response=Rendered)
def preview_template(req: ApiRequest, template_id: str) -> Rendered:
    """Render against a contact of the read model (or sample data) and `variables`."""
    return Rendered(**logic.preview(req.tenant_id, template_id, req.body))


@api.route("/sender-identities", "POST", roles=ADMINS, body=SenderIn, response=SenderOut,
           status=201)
def add_sender(req: ApiRequest) -> SenderOut:
    """Send from an address once SES verified it (SES mails the address a link)."""
    return SenderOut(**logic.sender_record(logic.add_sender(req.tenant_id, req.body)))


@api.route("/sender-identities", "GET", roles=READERS, response=SenderList)
def list_senders(req: ApiRequest) -> SenderList:
    items = sorted(repository.senders(req.tenant_id), key=lambda i: i.created_at)
    return SenderList(items=[SenderOut(**logic.sender_record(i)) for i in items])


@api.route("/sender-identities/{identity_id}", "GET", roles=READERS, response=SenderOut)
def get_sender(req: ApiRequest, identity_id: str) -> SenderOut:
    """An identity with SES's current verification status."""
    item = logic.refreshed(logic.get_sender(req.tenant_id, identity_id))
    return SenderOut(**logic.sender_record(item))


@api.route("/sender-identities/{identity_id}", "DELETE", roles=ADMINS, status=204)
def remove_sender(req: ApiRequest, identity_id: str) -> None:
    logic.remove_sender(req.tenant_id, identity_id)
