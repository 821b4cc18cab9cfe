"""Ask the marketing service to send one transactional message (a receipt, a reminder).

Any service puts a `MessageCommand` on the queue `crm-<stage>-marketing-messages` with
`send_message_command(...)`; marketing renders it (a template of the tenant, or the
inline subject and body, in the same sandbox as campaigns) and sends it through SES or
SNS exactly once per `idempotency_key` (per tenant): a repeated command sends nothing.
Hard bounces, complaints, manual and erasure suppressions stop it; marketing opt-outs do
not (a password reset still reaches someone who unsubscribed from newsletters).

The command, as JSON (the queue's contract):

    {"tenant_id": "ten_...", "idempotency_key": "order-123-receipt",
     "channel": "email" | "sms",
     "to_contact_id": "con_..."  or  "to_address": "ada@example.com" | "+14155550100",
     "template_id": "tpl_..."    or  "subject"/"html"/"text" (inline, Jinja2),
     "variables": {...},           # {{ variables.x }} in the template
     "sender_identity_id": null,   # default: the tenant's default sender identity
     "requested_by": "sales"}

The caller's role needs `sqs:SendMessage` on that queue (its ARN is the marketing
stack's `MessagesQueueArn` output).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from crm_shared.settings import get_settings

MAX_BODY = 200_000


class MessageCommand(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tenant_id: str = Field(pattern=r"^ten_[0-9A-Za-z]{1,64}$")
    idempotency_key: str = Field(min_length=1, max_length=200)
    channel: Literal["email", "sms"]
    to_contact_id: str | None = Field(default=None, pattern=r"^con_[0-9A-Z]{26}$")
    to_address: str | None = Field(default=None, min_length=3, max_length=254)
    template_id: str | None = Field(default=None, max_length=40)
    subject: str | None = Field(default=None, max_length=300)
    html: str | None = Field(default=None, max_length=MAX_BODY)
    text: str | None = Field(default=None, max_length=MAX_BODY)
    variables: dict[str, Any] = Field(default_factory=dict)
    sender_identity_id: str | None = Field(default=None, max_length=40)
    requested_by: str | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _one_recipient_one_body(self) -> MessageCommand:
        if (self.to_contact_id is None) == (self.to_address is None):
            raise ValueError("give exactly one of to_contact_id and to_address")
        inline = any(v is not None for v in (self.subject, self.html, self.text))
        if (self.template_id is None) == (not inline):
            raise ValueError("give either template_id or an inline subject/html/text")
        if inline and self.channel == "email" and not (self.subject and (self.html
                                                                         or self.text)):
            raise ValueError("an inline email needs a subject and an html or text body")
        if inline and self.channel == "sms" and (not self.text or self.subject or self.html):
            raise ValueError("an inline SMS has text only")
        return self


def queue_name(stage: str | None = None) -> str:
    return f"crm-{stage or get_settings().stage}-marketing-messages"


def send_message_command(command: MessageCommand, sqs: Any = None) -> str:
    """Queue the command; returns the SQS message id. Raises if SQS refuses it (retry
    with the same idempotency key: it is sent at most once)."""
    if sqs is None:
        import boto3  # deferred: only the callers that send messages need it

        settings = get_settings()
        sqs = boto3.client("sqs", region_name=settings.region,
                           endpoint_url=settings.aws_endpoint_url)
    url = sqs.get_queue_url(QueueName=queue_name())["QueueUrl"]
    answer = sqs.send_message(QueueUrl=url, MessageBody=command.model_dump_json())
    return str(answer["MessageId"])
