"""`python -m infra.redrive` moves a DLQ's messages back to their queue, losing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import redrive

REGION = "us-east-1"


@pytest.fixture
def sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("sqs", region_name=REGION)


def _queue_with_dlq(sqs: Any, name: str) -> tuple[str, str]:
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    queue_url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy})[
        "QueueUrl"]
    return queue_url, dlq_url


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)


def _put(sqs: Any, dlq_url: str, count: int) -> None:
    for index in range(count):
        sqs.send_message(
            QueueUrl=dlq_url,
            MessageBody=json.dumps({"detail": {"metadata": {"event_id": f"evt_{index}"}}}),
            MessageAttributes={"origin": {"DataType": "String", "StringValue": f"m{index}"}},
        )


def test_redrive_moves_every_message_back(sqs: Any) -> None:
    queue_url, dlq_url = _queue_with_dlq(sqs, "crm-redrive-platform-events")
    _put(sqs, dlq_url, 3)

    result = redrive.redrive(sqs, "crm-redrive-platform-events-dlq", wait_seconds=0)

    assert result.count == 3
    assert result.source_url == queue_url
    moved = _drain(sqs, queue_url)
    assert sorted(json.loads(m["Body"])["detail"]["metadata"]["event_id"] for m in moved) == [
        "evt_0", "evt_1", "evt_2"]
    assert sorted(m["MessageAttributes"]["origin"]["StringValue"] for m in moved) == [
        "m0", "m1", "m2"]
    assert _drain(sqs, dlq_url) == []


def test_redrive_respects_max(sqs: Any) -> None:
    queue_url, dlq_url = _queue_with_dlq(sqs, "crm-redrive-max-events")
    _put(sqs, dlq_url, 3)
    assert redrive.redrive(sqs, dlq_url, max_messages=2, wait_seconds=0).count == 2
    assert len(_drain(sqs, queue_url)) == 2


def test_source_found_through_redrive_policy_when_names_do_not_match(sqs: Any) -> None:
    dlq_url = sqs.create_queue(QueueName="parking-lot")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    source_url = sqs.create_queue(QueueName="work", Attributes={"RedrivePolicy": policy})[
        "QueueUrl"]
    assert redrive.source_queue(sqs, dlq_url) == source_url


def test_a_queue_nobody_dead_letters_into_is_refused(sqs: Any) -> None:
    lonely = sqs.create_queue(QueueName="lonely-dlq")["QueueUrl"]
    with pytest.raises(redrive.RedriveError, match="no queue has lonely-dlq"):
        redrive.redrive(sqs, lonely, wait_seconds=0)


def test_cli_uses_the_local_runtime_endpoint_only_when_it_runs(tmp_path: Path) -> None:
    missing = tmp_path / "local.json"
    assert redrive.resolve_endpoint(None, missing) == redrive.Endpoint(None, None)
    missing.write_text(json.dumps({"aws_endpoint_url": "http://127.0.0.1:5999",
                                   "region": "eu-west-1"}), encoding="utf-8")
    assert redrive.resolve_endpoint(None, missing) == redrive.Endpoint(
        "http://127.0.0.1:5999", "eu-west-1")
    assert redrive.resolve_endpoint("http://x:1", missing).url == "http://x:1"


def test_cli_prints_how_many_moved(
    sqs: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(redrive, "LOCAL_CONFIG", tmp_path / "absent.json")
    queue_url, dlq_url = _queue_with_dlq(sqs, "crm-redrive-cli-events")
    _put(sqs, dlq_url, 3)
    assert redrive.main(["crm-redrive-cli-events-dlq", "--region", REGION]) == 0
    assert "moved 3 message(s)" in capsys.readouterr().out
    assert len(_drain(sqs, queue_url)) == 3
