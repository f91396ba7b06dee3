"""Deferred records go back to moto's queue as new messages; only hopeless ones are failed."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from notifier_testkit import REGION
from ssm_notifier.defer import DEFERRALS_ATTRIBUTE, deferrals_of, requeue

from templates.sample_events import association_event, sqs_record


@pytest.fixture
def queue() -> Iterator[tuple[object, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        yield sqs, sqs.create_queue(QueueName="inbox")["QueueUrl"]


def deferred(record: dict, times: int) -> dict:
    record["messageAttributes"] = {
        DEFERRALS_ATTRIBUTE: {"stringValue": str(times), "dataType": "Number"}
    }
    return record


def test_deferred_records_are_sent_again_with_their_count_and_reported_done(
    queue: tuple[object, str],
) -> None:
    sqs, url = queue
    records = [sqs_record(association_event(f"i-{n}"), f"m-{n}") for n in range(23)]
    records[5] = deferred(records[5], 3)
    result = requeue(sqs, url, records)
    assert result.requeued == [f"m-{n}" for n in range(23)] and result.failed == []
    received = []
    while batch := sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", []):
        received.extend(batch)
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(m["Body"] for m in received) == sorted(r["body"] for r in records)
    counts = sorted(
        int(m["MessageAttributes"][DEFERRALS_ATTRIBUTE]["StringValue"]) for m in received
    )
    assert counts == [1] * 22 + [4]


def test_a_record_deferred_too_often_is_failed_the_ordinary_way(queue: tuple[object, str]) -> None:
    sqs, url = queue
    hopeless = deferred(sqs_record(association_event(), "m-1"), 10)
    assert deferrals_of(hopeless) == 10
    assert requeue(sqs, url, [hopeless]) == ([], ["m-1"])


def test_a_send_that_fails_leaves_the_records_failed(queue: tuple[object, str]) -> None:
    sqs, _ = queue
    missing = "https://sqs.us-east-1.amazonaws.com/123456789012/missing"
    records = [sqs_record(association_event(), "m-1")]
    assert requeue(sqs, missing, records) == ([], ["m-1"])


def test_an_odd_attribute_counts_as_never_deferred() -> None:
    assert deferrals_of({"messageAttributes": {DEFERRALS_ATTRIBUTE: {"stringValue": "x"}}}) == 0
    assert deferrals_of({}) == 0


def test_the_pipelines_longest_defer_is_the_one_defer_applies() -> None:
    """pipeline keeps its own copy (defer is imported only when something is deferred)."""
    from ssm_notifier import defer, pipeline

    assert pipeline.MAX_DEFER_SECONDS == defer.MAX_DELAY == 900
