"""Run a service's non-HTTP Lambda functions against moto the way Lambda would.

- the table stream feeds `publish_outbox` in order, retrying from a reported failure;
- the service queue feeds `handle_events` in batches of 10; only reported failures stay on
  the queue, reappear after a delay, and reach the DLQ after maxReceiveCount receives;
- `@app.schedule` functions are ticked on demand.

The local runtime loops over these; tests call them to move events one step at a time.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from chalice.app import DynamoDBEventConfig, ScheduledEventConfig, SQSEventConfig

log = logging.getLogger("lambda_runtime")


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class ServiceRuntime:
    """The event sources of one service, wired to that service's handlers."""

    def __init__(self, app_module: ModuleType, resources: dict[str, Any], session: Any,
                 endpoint_url: str | None, retry_delay: int = 0) -> None:
        self.module = app_module
        self.app = app_module.app
        self.resources = resources
        self.retry_delay = retry_delay
        self.sqs = session.client("sqs", endpoint_url=endpoint_url)
        # moto answers DynamoDB Streams only at an explicit endpoint (architecture §10)
        region = session.region_name or "us-east-1"
        self.streams = session.client(
            "dynamodbstreams",
            endpoint_url=endpoint_url or f"https://streams.dynamodb.{region}.amazonaws.com",
        )
        self._iterators: dict[str, str] = {}  # shard id -> checkpoint
        sources = self.app.event_sources
        self.schedules = [s for s in sources if isinstance(s, ScheduledEventConfig)]
        self.has_stream = any(isinstance(s, DynamoDBEventConfig) for s in sources)
        self.queues = [s for s in sources if isinstance(s, SQSEventConfig) and s.queue]
        self.has_queue = bool(self.queues)
        self._queue_urls: dict[str, tuple[str, str]] = {}

    def _handler(self, name: str) -> Any:
        return getattr(self.module, name)

    # -- stream -> publish_outbox --------------------------------------------------

    def pump_stream(self, max_batches: int = 100) -> int:
        """Feed new stream records to the outbox relay until caught up; returns how many."""
        if not self.has_stream:
            return 0
        arn = self.resources["table_stream_arn"]
        handled = 0
        shards = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        for shard in shards:
            for _ in range(max_batches):
                records = self._pump_shard(arn, shard["ShardId"])
                handled += records
                if not records:
                    break
        return handled

    def _pump_shard(self, arn: str, shard_id: str) -> int:
        """One GetRecords from the shard's checkpoint, as Lambda's poller does.

        The checkpoint is a sequence number, not a held iterator, so the poller survives
        iterators that expire (and moto's, which go stale when a table is touched).
        """
        checkpoint = self._iterators.get(shard_id)
        if checkpoint is None:
            params = {"ShardIteratorType": "TRIM_HORIZON"}
        else:
            kind, sequence = checkpoint.split(":", 1)
            params = {"ShardIteratorType": kind, "SequenceNumber": sequence}
        iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                                   **params)["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator, Limit=100).get("Records", [])
        if not records:
            return 0
        for record in records:
            record["eventSourceARN"] = arn
        try:
            result = self._handler("publish_outbox")(
                {"Records": records}, LambdaContext("publish_outbox")
            ) or {}
        except Exception:  # a crashed invocation retries its batch, as on Lambda
            log.exception("publish_outbox failed; its batch is retried from the checkpoint")
            return 0
        failures = result.get("batchItemFailures") or []
        if failures:  # retry from the first failed record next time, as Lambda does
            self._iterators[shard_id] = f"AT_SEQUENCE_NUMBER:{failures[0]['itemIdentifier']}"
            return 0
        last = records[-1]["dynamodb"]["SequenceNumber"]
        self._iterators[shard_id] = f"AFTER_SEQUENCE_NUMBER:{last}"
        return len(records)

    # -- queue -> handle_events ----------------------------------------------------

    def pump_queue(self, wait_seconds: int = 0) -> int:
        """One batch (<= 10) from each queue the app consumes; returns how many in all."""
        return sum(self._pump(source, wait_seconds) for source in self.queues)

    def _queue(self, name: str) -> tuple[str, str]:
        if name not in self._queue_urls:
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"]["QueueArn"]
            self._queue_urls[name] = (url, arn)
        return self._queue_urls[name]

    def _pump(self, source: SQSEventConfig, wait_seconds: int) -> int:
        url, arn = self._queue(str(source.queue))
        response = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(10, source.batch_size),
            WaitTimeSeconds=wait_seconds, AttributeNames=["All"], MessageAttributeNames=["All"],
        )
        messages = response.get("Messages", [])
        if not messages:
            return 0
        records = [{
            "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
            "attributes": m.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": "us-east-1",
        } for m in messages]
        try:
            result = self._handler(source.name)(
                {"Records": records}, LambdaContext(source.name)
            ) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures") or []}
        except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch, as on Lambda
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start:start + 10]
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)
            ])
        if getattr(self._handler(source.name), "crm_sets_visibility", False):
            return len(messages)  # the function chose each retry's delay itself, as on Lambda
        for message in messages:
            if message["MessageId"] in failed:
                self.sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=self.retry_delay,
                )
        return len(messages)

    # -- schedules -----------------------------------------------------------------

    def tick(self) -> list[str]:
        """Run every scheduled function once (the local runtime calls this on its rate)."""
        ran = []
        for source in self.schedules:
            event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                     "source": "aws.events", "account": "000000000000", "time": "",
                     "region": "us-east-1", "resources": [], "detail": {}}
            self._handler(source.name)(event, LambdaContext(source.name))
            ran.append(source.name)
        return ran
