"""The embedded AWS's moto patches keep moto's (and AWS's) semantics: per-item rollback of a
cancelled transaction, SQS queue attributes computed one at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_patches import (
    count_queue_messages_only_when_asked,
    rollback_transactions_per_item,
)

TABLE = "patched"


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    rollback_transactions_per_item()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                  {"AttributeName": "SK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                       {"AttributeName": "SK", "KeyType": "RANGE"}],
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        client.put_item(TableName=TABLE, Item={"PK": {"S": "t#1"}, "SK": {"S": "a"},
                                               "n": {"N": "1"}, "s": {"S": "text"}})
        yield client


def _items(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=TABLE)["Items"], key=lambda i: i["SK"]["S"])


def _table() -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends["123456789012"]["us-east-1"].tables[TABLE]


def _stream_records(client: Any) -> int:
    return len(_table().stream_shard.items)


def _update(sk: str, expression: str, values: dict[str, Any]) -> dict[str, Any]:
    return {"Update": {"TableName": TABLE, "Key": {"PK": {"S": "t#1"}, "SK": {"S": sk}},
                       "UpdateExpression": expression, "ExpressionAttributeValues": values}}


def _put(sk: str) -> dict[str, Any]:
    return {"Put": {"TableName": TABLE, "Item": {"PK": {"S": "t#1"}, "SK": {"S": sk}}}}


def test_a_cancelled_condition_leaves_every_item_and_the_stream_as_they_were(dynamodb: Any) -> None:
    before, records, table = _items(dynamodb), _stream_records(dynamodb), _table()
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[
            _update("a", "SET n = :v", {":v": {"N": "2"}}),
            _put("b"),
            {"ConditionCheck": {"TableName": TABLE, "Key": {"PK": {"S": "t#1"}, "SK": {"S": "c"}},
                                "ConditionExpression": "attribute_exists(PK)"}},
        ])
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in raised.value.response["CancellationReasons"]] == [
        "None", "None", "ConditionalCheckFailed"]
    assert _items(dynamodb) == before
    assert _stream_records(dynamodb) == records
    assert _table() is table  # rolled back in place: moto's whole-table copy was not taken


def test_a_write_that_fails_after_others_were_applied_is_rolled_back(dynamodb: Any) -> None:
    before = _items(dynamodb)
    with pytest.raises(ClientError):
        dynamodb.transact_write_items(TransactItems=[
            _put("b"),
            _update("a", "SET n = :v ADD s :one", {":v": {"N": "5"}, ":one": {"N": "1"}}),
        ])
    assert _items(dynamodb) == before


def test_a_committed_transaction_writes_every_item_and_its_stream_records(dynamodb: Any) -> None:
    records = _stream_records(dynamodb)
    dynamodb.transact_write_items(TransactItems=[
        _update("a", "SET n = :v", {":v": {"N": "2"}}), _put("b")])
    assert [(i["SK"]["S"], i.get("n")) for i in _items(dynamodb)] == [
        ("a", {"N": "2"}), ("b", None)]
    assert _stream_records(dynamodb) == records + 2


def test_the_same_item_twice_is_refused_and_nothing_is_written(dynamodb: Any) -> None:
    before = _items(dynamodb)
    with pytest.raises(ClientError) as raised:
        dynamodb.transact_write_items(TransactItems=[_put("b"), _put("b")])
    assert raised.value.response["Error"]["Code"] == "ValidationException"
    assert _items(dynamodb) == before


@pytest.fixture
def sqs() -> Iterator[Any]:
    count_queue_messages_only_when_asked()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def test_queue_attributes_read_one_by_one_are_those_moto_reports(sqs: Any) -> None:
    dead = sqs.create_queue(QueueName="dead")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="work", Attributes={
        "VisibilityTimeout": "7", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dead_arn, "maxReceiveCount": 3})})["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)

    every = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (every["ApproximateNumberOfMessages"], every["ApproximateNumberOfMessagesNotVisible"],
            every["ApproximateNumberOfMessagesDelayed"]) == ("2", "1", "1")
    assert json.loads(every["RedrivePolicy"])["maxReceiveCount"] == 3
    for name, value in every.items():
        assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"] == {
            name: value}


def test_a_fifo_queue_still_deduplicates_by_content(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="work.fifo", Attributes={
        "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["same"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["FifoQueue"] == "true"
