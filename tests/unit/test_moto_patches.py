"""The embedded AWS's per-item transaction rollback keeps moto's (and DynamoDB's) semantics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_patches import rollback_transactions_per_item

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
