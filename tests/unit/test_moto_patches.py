"""The embedded AWS's moto patches keep moto's (and AWS's) semantics: per-item rollback of a
cancelled transaction, a Query from its partition only, SQS queue attributes computed one at
a time, attribute values written as they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_patches import (
    _wire_ready,
    count_queue_messages_only_when_asked,
    query_only_the_matching_partition,
    rollback_transactions_per_item,
    skip_rules_of_other_sources,
    write_attribute_values_as_they_are,
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


@pytest.fixture
def indexed() -> Iterator[Any]:
    query_only_the_matching_partition()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        attribute = [{"AttributeName": n, "AttributeType": t}
                     for n, t in (("PK", "S"), ("SK", "S"), ("G", "S"), ("GS", "S"), ("N", "N"))]
        client.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST", AttributeDefinitions=attribute,
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                       {"AttributeName": "SK", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[
                {"IndexName": "ByG", "Projection": {"ProjectionType": "ALL"},
                 "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"},
                               {"AttributeName": "GS", "KeyType": "RANGE"}]},
                {"IndexName": "ByN", "Projection": {"ProjectionType": "KEYS_ONLY"},
                 "KeySchema": [{"AttributeName": "N", "KeyType": "HASH"}]}])
        for n in range(60):
            item = {"PK": {"S": f"p{n % 3}"}, "SK": {"S": f"s{n:03d}"}, "N": {"N": str(n % 4)}}
            if n % 2:
                item |= {"G": {"S": f"g{n % 5}"}, "GS": {"S": f"{59 - n:03d}"}}
            client.put_item(TableName=TABLE, Item=item)
        yield client


def _pages(client: Any, **query: Any) -> list[str]:
    keys: list[str] = []
    start: dict[str, Any] = {}
    while True:
        page = client.query(TableName=TABLE, Limit=7, **query, **start)
        keys += [i["SK"]["S"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return keys
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_a_table_query_pages_through_its_partition_in_key_order(indexed: Any) -> None:
    expected = [f"s{n:03d}" for n in range(60) if n % 3 == 1 and n >= 10]
    assert _pages(indexed, KeyConditionExpression="PK = :p AND SK >= :s",
                  ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"S": "s010"}}) == expected
    assert _pages(indexed, KeyConditionExpression="PK = :p AND SK >= :s",
                  ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"S": "s010"}},
                  ScanIndexForward=False) == expected[::-1]
    assert _pages(indexed, KeyConditionExpression="PK = :p",
                  ExpressionAttributeValues={":p": {"S": "nobody"}}) == []


def test_an_index_query_finds_only_items_that_carry_the_index_keys(indexed: Any) -> None:
    expected = sorted((f"{59 - n:03d}", f"s{n:03d}") for n in range(60) if n % 2 and n % 5 == 2)
    assert _pages(indexed, IndexName="ByG", KeyConditionExpression="G = :g",
                  ExpressionAttributeValues={":g": {"S": "g2"}}) == [sk for _, sk in expected]
    numbered = _pages(indexed, IndexName="ByN", KeyConditionExpression="N = :n",
                      ExpressionAttributeValues={":n": {"N": "2.0"}})
    assert sorted(numbered) == sorted(f"s{n:03d}" for n in range(60) if n % 4 == 2)


EVERY_KIND = {
    "PK": {"S": "t#1"}, "SK": {"S": "every-kind"}, "empty": {"S": ""}, "n": {"N": "-1.5e3"},
    "yes": {"BOOL": True}, "no": {"BOOL": False}, "nothing": {"NULL": True},
    "names": {"SS": ["a", "b"]}, "numbers": {"NS": ["1", "2.5"]}, "blob": {"B": b"\x00\xff"},
    "blobs": {"BS": [b"a", b"b"]}, "map": {"M": {"deep": {"L": [{"S": "x"}, {"M": {}},
                                                                  {"B": b"z"}, {"L": []}]},
                                                  "unicode": {"S": "Zoë ✓"}}},
    "list": {"L": [{"N": "1"}, {"NULL": True}, {"M": {"k": {"SS": ["v"]}}}]},
}


def _responses(client: Any, streams: Any) -> list[Any]:
    """What a client reads back of EVERY_KIND, written afresh, through each call that
    returns items."""
    client.put_item(TableName=TABLE, Item=EVERY_KIND)
    key = {"PK": EVERY_KIND["PK"], "SK": EVERY_KIND["SK"]}
    arn = client.describe_table(TableName=TABLE)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    replies = [
        client.get_item(TableName=TABLE, Key=key),
        client.query(TableName=TABLE, KeyConditionExpression="PK = :p",
                     ExpressionAttributeValues={":p": {"S": "t#1"}}),
        client.batch_get_item(RequestItems={TABLE: {"Keys": [key]}}),
        client.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": key}}]),
        client.update_item(TableName=TABLE, Key=key, UpdateExpression="SET touched = :t",
                           ExpressionAttributeValues={":t": {"BOOL": True}},
                           ReturnValues="ALL_NEW"),
        streams.get_records(ShardIterator=iterator),
    ]
    for reply in replies:
        reply.pop("ResponseMetadata", None)
        for record in reply.get("Records", []):
            record["dynamodb"].pop("ApproximateCreationDateTime", None)
    return replies


def test_attribute_values_reach_the_client_as_moto_itself_writes_them(
        dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.core.serialize import JSONSerializer

    write_attribute_values_as_they_are()
    patched = JSONSerializer._serialize_type_structure
    assert getattr(patched, "crm_patched", False)
    streams = boto3.client("dynamodbstreams", region_name="us-east-1",
                           endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com")
    ours = _responses(dynamodb, streams)
    assert ours[0]["Item"] == EVERY_KIND
    assert ours[4]["Attributes"] == {**EVERY_KIND, "touched": {"BOOL": True}}
    monkeypatch.setattr(JSONSerializer, "_serialize_type_structure", patched.crm_original)
    moto_own = _responses(dynamodb, streams)
    assert moto_own[:5] == ours[:5]
    # the first three stream records (the fixture's item, EVERY_KIND, the update) again
    assert moto_own[5]["Records"][:3] == ours[5]["Records"]


def test_only_values_in_wire_form_skip_the_serializer() -> None:
    assert _wire_ready({"M": {"a": {"L": [{"S": "x"}, {"NULL": True}]}}})
    assert not _wire_ready({"B": "AAE="})  # moto's blob encoding decides
    assert not _wire_ready({"M": {"a": {"BS": []}}})
    assert not _wire_ready({"S": None})
    assert not _wire_ready({"S": "a", "N": "1"})
    assert not _wire_ready({"N": 1})


PATTERNS = [
    {"source": ["crm.sales"]},
    {"source": ["crm.sales", "crm.contacts"], "detail-type": ["LeadCreated"]},
    {"detail-type": ["LeadCreated", "DealWon"], "detail": {"tenant_id": ["t1"]}},
    {"source": [{"prefix": "crm."}]},
    {"source": ["crm.sales"], "$or": [{"detail-type": ["DealWon"]}, {"detail": {"x": [1]}}]},
    {"detail": {"tenant_id": [{"anything-but": "t2"}]}},
    {"source": []},
    {},
]
EVENTS = [
    {"source": source, "detail-type": kind, "detail": {"tenant_id": tenant, "x": 1}}
    for source in ("crm.sales", "crm.contacts", "other") for kind in ("LeadCreated", "DealWon")
    for tenant in ("t1", "t2")
] + [{"source": ["crm.sales"], "detail-type": "LeadCreated", "detail": {}}]


def test_rules_match_exactly_the_events_moto_itself_matches() -> None:
    from moto.events.models import EventPattern

    skip_rules_of_other_sources()
    patched = EventPattern.matches_event
    assert getattr(patched, "crm_patched", False)
    for pattern in PATTERNS:
        rule = EventPattern(json.dumps(pattern), pattern)
        for event in EVENTS:
            assert patched(rule, event) == patched.crm_original(rule, event), (pattern, event)
    sales_only = EventPattern(None, {"source": ["crm.sales"]})
    assert patched(sales_only, EVENTS[0]) and not patched(sales_only, EVENTS[4])
