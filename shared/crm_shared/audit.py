"""The read side of the audit log: every service reports reads and exports of personal data.

Changes are audited from the domain events the platform already receives. Reads leave no
event, so the response hook (crm_shared.http) calls `screen_response`: it masks the body
for the caller (crm_shared.field_permissions) and, for a read of contacts, leads, tickets
or orders, sends one `RecordsRead` per entity type (50 ids each) to the platform's audit
queue in ONE SendMessageBatch call. No DynamoDB write on the request path: the platform's
audit consumer turns the messages into entries, idempotently on the envelope's event_id.

A read whose audit cannot be sent is refused (503): personal data never leaves unaudited.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crm_shared.errors import Unavailable
from crm_shared.events.audit_events import RecordsExported, RecordsRead
from crm_shared.events.envelope import Event, envelope_for
from crm_shared.settings import get_settings

if TYPE_CHECKING:
    from crm_shared.context import Principal
    from crm_shared.http import RouteSpec

IDS_PER_MESSAGE = 50  # + the consumer's marker stays far below a transaction's 100 items
SEND_BATCH = 10


def queue_name(stage: str | None = None) -> str:
    """`crm-<stage>-platform-audit`: the platform consumes it (docs/conventions.md)."""
    return f"crm-{stage or get_settings().stage}-platform-audit"


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3  # deferred: only routes that return personal data need it

    settings = get_settings()
    return boto3.client("sqs", region_name=settings.region,
                        endpoint_url=settings.aws_endpoint_url)


@lru_cache(maxsize=4)
def _queue_url(name: str) -> str:
    """Looked up once per container (the URL holds the account id, unknown to the code)."""
    return str(_sqs().get_queue_url(QueueName=name)["QueueUrl"])


def is_read(spec: RouteSpec) -> bool:
    """GETs and searches read; a write's echo of what the caller just wrote is not a read
    (the change itself is audited from its event)."""
    return spec.method == "GET" or spec.path.endswith("/search")


def screen_response(service: str, spec: RouteSpec, principal: Principal,
                    payload: Any) -> Any:
    """The response body masked for `principal`; reads of personal data are recorded."""
    from crm_shared import field_permissions as fp

    paths = fp.record_paths(spec.response)
    if not paths or not principal.tenant_id:
        return payload
    rules = fp.tenant_rules(service, principal.tenant_id)
    masked, seen = fp.apply(payload, paths, principal, rules)
    if is_read(spec):
        record_read(service, f"{spec.method} {spec.path}", principal.tenant_id, seen)
    return masked


def record_read(service: str, route: str, tenant_id: str,
                seen: dict[str, list[str]]) -> int:
    """Send the reads of personal records; returns how many messages (0 when none)."""
    from crm_shared.field_permissions import PERSONAL

    events: list[Event] = []
    for entity_type, ids in sorted(seen.items()):
        if entity_type not in PERSONAL:
            continue
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), IDS_PER_MESSAGE):
            events.append(RecordsRead(service=service, route=route, entity_type=entity_type,
                                      entity_ids=unique[start:start + IDS_PER_MESSAGE]))
    send(events, tenant_id)
    return len(events)


def record_export(service: str, tenant_id: str, actor: str, export_id: str,
                  entity_type: str, rows: int, fields: list[str],
                  filter_groups: list[dict[str, Any]] | None = None) -> None:
    """An export file was produced for `actor` (called by the export job, not a request)."""
    send([RecordsExported(service=service, export_id=export_id, entity_type=entity_type,
                          rows=rows, fields=fields, filter=filter_groups or [])],
         tenant_id, actor)


def send(events: list[Event], tenant_id: str, actor: str | None = None) -> None:
    """Each event in its bus envelope (so the platform's Consumer handles it), 10 a call."""
    if not events:
        return
    from botocore.exceptions import BotoCoreError, ClientError

    bodies = [json.dumps({"source": type(e).source, "detail-type": type(e).detail_type(),
                          "detail": envelope_for(e, tenant_id, actor).model_dump(mode="json")},
                         separators=(",", ":")) for e in events]
    try:
        for start in range(0, len(bodies), SEND_BATCH):
            batch = bodies[start:start + SEND_BATCH]
            answer = _sqs().send_message_batch(
                QueueUrl=_queue_url(queue_name()),
                Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(batch)])
            if answer.get("Failed"):
                raise Unavailable("the audit log refused the record; retry")
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("the audit log is unavailable; retry") from exc

