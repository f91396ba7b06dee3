"""The issue-13 prototype end to end on moto: one email, full reports, no second copy, bad alone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from notifier_testkit import REGION
from ssm_notifier import pipeline
from ssm_notifier.deadline import Deadline

from templates.sample_events import association_event, sqs_record
from templates.state_store import TABLE_KEYS


class NoSsm:
    """Every lookup fails: the digest goes out with "output not fetched"."""

    def __getattr__(self, name: str) -> object:
        def fail(**_: object) -> dict:
            raise RuntimeError("no SSM here")

        return fail


@pytest.fixture
def world() -> Iterator[tuple[dict, pipeline.Resources, str]]:
    with mock_aws():
        clients = {s: boto3.client(s, region_name=REGION) for s in ("sns", "sqs", "dynamodb", "s3")}
        clients["ssm"] = NoSsm()
        topic = clients["sns"].create_topic(Name="notifier")["TopicArn"]
        inbox_url = clients["sqs"].create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = clients["sqs"].get_queue_attributes(
            QueueUrl=inbox_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        clients["sns"].subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
        queue_url = clients["sqs"].create_queue(QueueName="queue")["QueueUrl"]
        clients["dynamodb"].create_table(
            TableName="state",
            BillingMode="PAY_PER_REQUEST",
            **TABLE_KEYS,  # the stack's own (templates/state_store.py)
        )
        clients["s3"].create_bucket(Bucket="reports")
        resources = pipeline.Resources(topic, "state", "reports", queue_url, REGION)
        yield clients, resources, inbox_url


def emails(clients: dict, inbox_url: str) -> list[str]:
    bodies = []
    while (
        batch := clients["sqs"]
        .receive_message(QueueUrl=inbox_url, MaxNumberOfMessages=10)
        .get("Messages", [])
    ):
        for message in batch:
            bodies.append(json.loads(message["Body"])["Message"])
            clients["sqs"].delete_message(
                QueueUrl=inbox_url, ReceiptHandle=message["ReceiptHandle"]
            )
    return bodies


def run(clients: dict, resources: pipeline.Resources, records: list[dict]) -> list[str]:
    answer = pipeline.process(
        records, resources, clients=clients, deadline=Deadline.from_clock(120), sleep=lambda _: None
    )
    return [item["itemIdentifier"] for item in answer["batchItemFailures"]]


def test_a_burst_gives_one_email_full_reports_and_no_second_copy(world: tuple) -> None:
    clients, resources, inbox_url = world
    records = [
        sqs_record(
            association_event(
                f"i-{a:08x}{n:09x}",
                "Failed" if n == 0 else "Success",
                association_id=f"assoc-{a}",
                account=f"{a:012d}",
            ),
            f"m-{a}-{n}",
        )
        for a in range(30)
        for n in range(5)
    ]
    records.append(sqs_record(association_event("i-\ud800", "Failed"), "m-bad"))
    assert run(clients, resources, records) == ["m-bad"]
    [email] = emails(clients, inbox_url)
    assert email.count("  NEW i-") == 30
    keys = [o["Key"] for o in clients["s3"].list_objects_v2(Bucket="reports")["Contents"]]
    assert len(keys) == 31  # one per association and the index
    # The whole batch again (a redelivery): nothing new goes out, nothing fails.
    assert run(clients, resources, records[:-1]) == []
    assert emails(clients, inbox_url) == []


def test_out_of_time_at_the_start_re_enqueues_instead_of_failing(world: tuple) -> None:
    clients, resources, inbox_url = world
    records = [sqs_record(association_event("i-0aaa", "Failed"), "m-1")]
    answer = pipeline.process(
        records, resources, clients=clients, deadline=Deadline.from_clock(20), sleep=lambda _: None
    )
    assert answer == {"batchItemFailures": []}
    requeued = clients["sqs"].receive_message(QueueUrl=resources.queue_url)["Messages"]
    assert [m["Body"] for m in requeued] == [records[0]["body"]]
    assert emails(clients, inbox_url) == []
