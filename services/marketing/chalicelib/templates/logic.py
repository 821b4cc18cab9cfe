"""Template and sender use cases: checked on every write, rendered for previews and sends."""

from __future__ import annotations

from typing import Any

from chalicelib.audience import repository as people
from chalicelib.audience.domain import render_context
from chalicelib.delivery import providers
from chalicelib.templates import rendering, repository
from chalicelib.templates.models import SenderClaimItem, SenderIdentityItem, TemplateItem
from chalicelib.templates.schemas import PreviewIn, SenderIn, TemplateCreate, TemplateFields
from crm_shared import clock
from crm_shared.contact_data import normalize_email
from crm_shared.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from crm_shared.ids import is_id, new_id
from crm_shared.unit_of_work import TransactionConflict

PREFIX, SENDER_PREFIX = "tpl", "sdr"
SMS_MAX = 1600
DEFAULTS = [
    {"name": "Newsletter", "channel": "email", "purpose": "marketing",
     "subject": "News for {{ contact.first_name | default('you', true) }}",
     "html": "<p>Hello {{ contact.first_name }},</p><p>Here is what is new at "
             "{{ company.name | default('our company', true) }}.</p>"
             '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>',
     "text": "Hello {{ contact.first_name }},\n\nUnsubscribe: {{ unsubscribe_url }}\n"},
    {"name": "Welcome", "channel": "email", "purpose": "transactional",
     "subject": "Welcome, {{ contact.first_name }}",
     "html": "<p>Welcome aboard, {{ contact.first_name }}.</p>",
     "text": "Welcome aboard, {{ contact.first_name }}.\n"},
    {"name": "SMS offer", "channel": "sms", "purpose": "marketing",
     "text": "Hi {{ contact.first_name }}, our offer is on. Reply STOP to opt out."},
]


def record(item: TemplateItem) -> dict[str, Any]:
    return {"template_id": item.template_id, "name": item.name, "channel": item.channel,
            "purpose": item.purpose, "subject": item.subject, "html": item.html,
            "text": item.text, "created_at": item.created_at, "updated_at": item.updated_at,
            "version": item.version or 1}


def get(tenant_id: str, template_id: str) -> TemplateItem:
    item = repository.get_template(tenant_id, template_id) if is_id(template_id, PREFIX) \
        else None
    if item is None:
        raise NotFound.for_field("template_id", "no such template")
    return item


def check(channel: str, purpose: str, subject: str | None, html: str | None,
          text: str | None) -> None:
    """What every template must be, whatever wrote it; a 422 naming the field."""
    if channel == "sms":
        for name, value in (("subject", subject), ("html", html)):
            if value is not None:
                raise ValidationFailed.for_field(name, "an SMS template has text only")
        if not text:
            raise ValidationFailed.for_field("text", "is required for an SMS template")
        if len(text) > SMS_MAX:
            raise ValidationFailed.for_field("text", f"an SMS is at most {SMS_MAX} characters")
        rendering.check("text", text)
        return
    if not subject:
        raise ValidationFailed.for_field("subject", "is required for an email template")
    if not html:
        raise ValidationFailed.for_field("html", "is required for an email template")
    rendering.check("subject", subject)
    used = rendering.check("html", html, html=True)
    if text:
        rendering.check("text", text)
    if purpose == "marketing" and rendering.UNSUBSCRIBE not in used:
        raise ValidationFailed.for_field(
            "html", "a marketing email must contain the unsubscribe link: "
                    '<a href="{{ unsubscribe_url }}">')


def create(tenant_id: str, cmd: TemplateCreate) -> TemplateItem:
    check(cmd.channel, cmd.purpose, cmd.subject, cmd.html, cmd.text)
    now = clock.iso()
    item = repository.new_template(tenant_id, new_id(PREFIX), name=cmd.name,
                                   channel=cmd.channel, purpose=cmd.purpose,
                                   subject=cmd.subject, html=cmd.html, text=cmd.text,
                                   created_at=now, updated_at=now)
    with repository.unit_of_work() as uow:
        uow.put(item, label="template")
    return item


def update(tenant_id: str, template_id: str, cmd: TemplateFields,
           if_match: int | None) -> TemplateItem:
    item = get(tenant_id, template_id)
    if if_match is not None and if_match != (item.version or 1):
        raise PreconditionFailed("the template changed since you read it",
                                 code="version_mismatch")
    sent = cmd.model_dump(exclude_unset=True)
    if "name" in sent and not sent["name"]:
        raise ValidationFailed.for_field("name", "may not be empty")
    for name, value in sent.items():
        setattr(item, name, value)
    check(item.channel, item.purpose, item.subject, item.html, item.text)
    item.updated_at = clock.iso()
    with repository.unit_of_work() as uow:
        uow.put(item, label="version")
    return item


def delete(tenant_id: str, template_id: str) -> None:
    item = get(tenant_id, template_id)
    with repository.unit_of_work() as uow:
        uow.delete(item, label="version")


def seed_defaults(uow: Any, tenant_id: str) -> None:
    """The templates a new tenant starts with (TenantProvisioned)."""
    now = clock.iso()
    for spec in DEFAULTS:
        uow.put(repository.new_template(tenant_id, new_id(PREFIX), created_at=now,
                                        updated_at=now, **spec), label="template")


def render_all(item: TemplateItem, context: dict[str, Any]) -> dict[str, str | None]:
    return {"subject": rendering.render(item.subject, context) if item.subject else None,
            "html": rendering.render(item.html, context, html=True) if item.html else None,
            "text": rendering.render(item.text, context) if item.text else None}


def preview(tenant_id: str, template_id: str, cmd: PreviewIn) -> dict[str, str | None]:
    item = get(tenant_id, template_id)
    context: dict[str, Any] = dict(rendering.SAMPLE)
    if cmd.contact_id is not None:
        person = people.get_person(tenant_id, cmd.contact_id) if is_id(cmd.contact_id,
                                                                        "con") else None
        if person is None or person.doc is None:
            raise ValidationFailed.for_field("contact_id", "no such contact is known to "
                                                           "marketing")
        company = people.get_company(tenant_id, (person.doc or {}).get("company_id"))
        context.update(render_context(person, company.doc if company else None))
    context["variables"] = cmd.variables or {}
    try:
        return render_all(item, context)
    except ValueError as exc:
        raise ValidationFailed.for_field("contact_id", str(exc)) from None


# -- sender identities ------------------------------------------------------------------

def sender_record(item: SenderIdentityItem) -> dict[str, Any]:
    return {"identity_id": item.identity_id, "email": item.email, "name": item.name,
            "status": item.status, "is_default": bool(item.is_default),
            "created_at": item.created_at}


def get_sender(tenant_id: str, identity_id: str) -> SenderIdentityItem:
    item = repository.get_sender(tenant_id, identity_id) if is_id(identity_id,
                                                                  SENDER_PREFIX) else None
    if item is None:
        raise NotFound.for_field("identity_id", "no such sender identity")
    return item


def refreshed(item: SenderIdentityItem) -> SenderIdentityItem:
    """The identity with SES's current verification status (saved when it changed)."""
    if item.status != "verified":
        status = providers.identity_status(item.email)
        if status != item.status:
            item.status = status
            with repository.unit_of_work() as uow:
                uow.put(item, label="sender")
    return item


def add_sender(tenant_id: str, cmd: SenderIn) -> SenderIdentityItem:
    """Claim the address for the tenant and ask SES to verify it (SES mails a link)."""
    email = normalize_email(cmd.email, "email")
    existing = repository.senders(tenant_id)
    if len(existing) >= repository.MAX_SENDERS:
        raise Conflict.for_field("email", "a tenant has at most "
                                          f"{repository.MAX_SENDERS} sender identities")
    item = repository.new_sender(tenant_id, new_id(SENDER_PREFIX), email=email, name=cmd.name,
                                 status="pending", created_at=clock.iso(),
                                 is_default=cmd.is_default or not existing)
    # SES first (verifying an address twice is harmless): a claim never outlives a refusal
    providers.ses().verify_email_identity(EmailAddress=email)
    try:
        with repository.unit_of_work() as uow:
            uow.put(repository.sender_claim(tenant_id, email, item.identity_id),
                    condition=SenderClaimItem.PK.does_not_exist(), label="email")
            uow.put(item, label="sender")
            for other in existing if item.is_default else []:
                if other.is_default:
                    other.is_default = False
                    uow.put(other, label="default")
    except TransactionConflict as conflict:
        if "email" in conflict.labels:
            raise Conflict.for_field("email", f"{email} is a sender identity already") \
                from None
        raise
    _route_feedback(email)
    return refreshed(item)


def _route_feedback(email: str) -> None:
    """Bounces, complaints and deliveries of this identity go to the feedback topic."""
    import os

    topic = os.environ.get("CRM_FEEDBACK_TOPIC_ARN")
    if topic:
        for kind in ("Bounce", "Complaint", "Delivery"):
            providers.ses().set_identity_notification_topic(Identity=email,
                                                            NotificationType=kind,
                                                            SnsTopic=topic)


def remove_sender(tenant_id: str, identity_id: str) -> None:
    item = get_sender(tenant_id, identity_id)
    with repository.unit_of_work() as uow:
        uow.delete(item)
        uow.delete(repository.sender_claim(tenant_id, item.email, identity_id))


def sender_for(tenant_id: str, identity_id: str | None) -> SenderIdentityItem | None:
    """The named identity, else the tenant's default: the address a message leaves from."""
    if identity_id:
        return repository.get_sender(tenant_id, identity_id)
    found = repository.senders(tenant_id)
    return next((s for s in found if s.is_default), found[0] if found else None)
