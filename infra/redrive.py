"""Move a dead-letter queue's messages back to the queue they died in.

``python -m infra.redrive <dlq name or url> [--endpoint-url URL] [--max N]``
(``make redrive QUEUE=...``). Once the bug that killed them is fixed, the events
get another go through the consumer, which is idempotent on ``event_id``, so a
message that is sent but not yet deleted from the DLQ (a crash between the two
steps) is merely delivered twice, never lost.

The source queue is the DLQ's name without ``-dlq`` (docs/conventions.md) when that
queue's RedrivePolicy points at the DLQ, else the single queue whose RedrivePolicy
does. The endpoint is ``--endpoint-url``, else the running local runtime's
(``.crm/local.json``), else real AWS.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_CONFIG = REPO_ROOT / ".crm" / "local.json"
DLQ_SUFFIX = "-dlq"
_BATCH = 10  # SQS's maximum per ReceiveMessage
_ATTRIBUTE_FIELDS = ("DataType", "StringValue", "BinaryValue")


class RedriveError(RuntimeError):
    """The DLQ or its source queue cannot be determined; the message says why."""


@dataclass
class Endpoint:
    """Where SQS is: a URL (moto server) or None for real AWS, and the region."""

    url: str | None
    region: str | None


def resolve_endpoint(endpoint_url: str | None, config: Path | None = None) -> Endpoint:
    """--endpoint-url wins; then a running `make run` (its .crm/local.json); then AWS."""
    config = LOCAL_CONFIG if config is None else config
    if endpoint_url:
        return Endpoint(endpoint_url, None)
    if config.is_file():
        local = json.loads(config.read_text(encoding="utf-8"))
        if local.get("aws_endpoint_url"):
            return Endpoint(str(local["aws_endpoint_url"]), local.get("region"))
    return Endpoint(None, None)


def sqs_client(endpoint: Endpoint, region: str | None = None) -> Any:
    """An SQS client; a local endpoint gets dummy credentials if none are configured."""
    session = boto3.session.Session(region_name=region or endpoint.region)
    if session.region_name is None:
        session = boto3.session.Session(region_name="us-east-1")
    if endpoint.url is not None and session.get_credentials() is None:
        session = boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local",
            region_name=session.region_name,
        )
    return session.client("sqs", endpoint_url=endpoint.url)


def queue_url(sqs: Any, name_or_url: str) -> str:
    if name_or_url.startswith(("http://", "https://")):
        return name_or_url
    try:
        return str(sqs.get_queue_url(QueueName=name_or_url)["QueueUrl"])
    except ClientError as exc:
        raise RedriveError(f"no queue {name_or_url!r}: {exc}") from exc


def _arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _dead_letter_target(sqs: Any, url: str) -> str | None:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    return json.loads(policy).get("deadLetterTargetArn") if policy else None


def source_queue(sqs: Any, dlq_url: str) -> str:
    """The queue whose RedrivePolicy sends its failures to ``dlq_url``."""
    dlq_arn = _arn(sqs, dlq_url)
    name = dlq_url.rstrip("/").rsplit("/", 1)[-1]
    if name.endswith(DLQ_SUFFIX):
        try:
            candidate = str(sqs.get_queue_url(QueueName=name[: -len(DLQ_SUFFIX)])["QueueUrl"])
        except ClientError:
            candidate = None
        if candidate and _dead_letter_target(sqs, candidate) == dlq_arn:
            return candidate
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq_url).get("queueUrls", [])
    if len(sources) == 1:
        return str(sources[0])
    if not sources:
        raise RedriveError(f"no queue has {name} as its dead-letter queue")
    raise RedriveError(f"{len(sources)} queues send to {name}: {', '.join(sources)}")


def _send_arguments(message: dict[str, Any], target_url: str) -> dict[str, Any]:
    """Body and message attributes as received; FIFO queues also need the group id."""
    arguments: dict[str, Any] = {"QueueUrl": target_url, "MessageBody": message["Body"]}
    attributes = {
        name: {key: value[key] for key in _ATTRIBUTE_FIELDS if key in value}
        for name, value in (message.get("MessageAttributes") or {}).items()
    }
    if attributes:
        arguments["MessageAttributes"] = attributes
    if target_url.endswith(".fifo"):
        system = message.get("Attributes") or {}
        arguments["MessageGroupId"] = system.get("MessageGroupId", "redrive")
        arguments["MessageDeduplicationId"] = system.get(
            "MessageDeduplicationId", message["MessageId"]
        )
    return arguments


@dataclass
class Redriven:
    """How many messages moved, from which DLQ to which queue."""

    count: int
    dlq_url: str
    source_url: str


def redrive(
    sqs: Any, dlq: str, max_messages: int | None = None, wait_seconds: int = 1
) -> Redriven:
    """Move up to ``max_messages`` (all, if None) from ``dlq`` back to its source queue.

    Each message is deleted from the DLQ only after the send to the source succeeded.
    """
    dlq_url = queue_url(sqs, dlq)
    target = source_queue(sqs, dlq_url)
    moved = 0
    while max_messages is None or moved < max_messages:
        wanted = _BATCH if max_messages is None else min(_BATCH, max_messages - moved)
        received = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=wanted,
            WaitTimeSeconds=wait_seconds,
            MessageAttributeNames=["All"],
            MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
        ).get("Messages", [])
        if not received:
            break
        for message in received:
            sqs.send_message(**_send_arguments(message, target))
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return Redriven(moved, dlq_url, target)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; prints how many messages moved and where."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("dlq", help="the dead-letter queue's name or URL")
    parser.add_argument("--endpoint-url", help="default: .crm/local.json if present, else AWS")
    parser.add_argument("--region", help="default: the local runtime's, or the AWS config's")
    parser.add_argument("--max", type=int, default=None, help="move at most N messages")
    args = parser.parse_args(argv)
    if args.max is not None and args.max < 1:
        parser.error("--max must be at least 1")
    endpoint = resolve_endpoint(args.endpoint_url)
    sqs = sqs_client(endpoint, args.region)
    try:
        result = redrive(sqs, args.dlq, args.max)
    except (RedriveError, ClientError, BotoCoreError) as exc:
        print(f"redrive failed: {exc}", file=sys.stderr)
        return 1
    where = endpoint.url or "AWS"
    print(f"moved {result.count} message(s) from {result.dlq_url} to {result.source_url}"
          f" ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
