"""The issue-13 prototype end to end on moto: one email, full reports, no second copy, bad alone."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws
from notifier_testkit import REGION
from ssm_notifier import pipeline
from ssm_notifier.deadline import Deadline
from ssm_notifier.instance_names import NameCache

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


# --- Names people use: instances named by their Name tag; a lookup never holds a digest back ---


class Counted:
    """A client proxy that counts the calls made through it."""

    def __init__(self, client: object) -> None:
        self.client = client
        self.calls = 0
        self.requests: list[dict] = []

    def __getattr__(self, name: str) -> object:
        operation = getattr(self.client, name)

        def call(**request: object) -> object:
            self.calls += 1
            self.requests.append(request)
            return operation(**request)

        return call


class TimesOut:
    def __getattr__(self, name: str) -> object:
        def fail(**_: object) -> dict:
            raise ReadTimeoutError(endpoint_url=f"https://ec2.{REGION}.amazonaws.com")

        return fail


def launch(ec2: object, name: str | None) -> str:
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}] if name else []
    return ec2.run_instances(
        ImageId="ami-12c6146b",
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        TagSpecifications=tags,
    )["Instances"][0]["InstanceId"]


def failed_records(*instance_ids: str, run: str = "2026-05-04T03:02:10.000Z") -> list[dict]:
    return [
        sqs_record(association_event(i, "Failed", last_execution_date=run), f"m-{i}-{run}")
        for i in instance_ids
    ]


def test_failing_instances_are_named_and_the_next_invocation_reads_the_cache(world: tuple) -> None:
    clients, resources, inbox_url = world
    moto_ec2 = boto3.client("ec2", region_name=REGION)
    web, untagged = launch(moto_ec2, "web-1"), launch(moto_ec2, None)
    clients = {**clients, "ec2": Counted(moto_ec2)}
    cache = NameCache()

    def process(records: list[dict]) -> dict:
        return pipeline.process(
            records,
            resources,
            clients=clients,
            deadline=Deadline.from_clock(120),
            sleep=lambda _: None,
            instance_names=cache,
        )

    assert process(failed_records(web, untagged)) == {"batchItemFailures": []}
    [email] = emails(clients, inbox_url)
    assert f"  NEW {web} (web-1): Failed\n" in email
    # No Name tag, and SSM (NoSsm) could not be asked: its bare id, the digest regardless.
    assert f"  NEW {untagged}: Failed\n" in email
    assert clients["ec2"].calls == 1  # both ids in one DescribeTags
    # A later run of the same instances: the names come from the sandbox's cache.
    later = failed_records(web, untagged, run="2026-05-05T03:02:10.000Z")
    assert process(later) == {"batchItemFailures": []}
    [second] = emails(clients, inbox_url)
    assert f"{web} (web-1): Failed" in second
    # web-1 came from the cache; only the instance whose lookup did not finish is asked again.
    assert clients["ec2"].calls == 2
    assert clients["ec2"].requests[1]["Filters"][0] == {"Name": "resource-id", "Values": [untagged]}


def test_a_names_lookup_that_times_out_still_sends_the_digest_with_bare_ids(world: tuple) -> None:
    clients, resources, inbox_url = world
    clients = {**clients, "ec2": TimesOut()}
    assert run(clients, resources, failed_records("i-0aaa", "i-0bbb")) == []
    [email] = emails(clients, inbox_url)
    assert "  NEW i-0aaa: Failed\n" in email and "  NEW i-0bbb: Failed\n" in email


def test_names_are_not_looked_up_when_the_time_left_is_needed_to_publish(world: tuple) -> None:
    clients, resources, inbox_url = world
    ec2 = Counted(boto3.client("ec2", region_name=REGION))
    clients = {**clients, "ec2": ec2}
    # Enough for the digest's own stages (claim, report, publish, confirm), not for a name
    # lookup's worst case on top of them.
    seconds = pipeline.START_RESERVE_SECONDS + pipeline.AFTER_RESERVE_SECONDS + 10
    answer = pipeline.process(
        failed_records("i-0aaa"),
        resources,
        clients=clients,
        deadline=Deadline(lambda: seconds),
        sleep=lambda _: None,
    )
    assert answer == {"batchItemFailures": []}
    [email] = emails(clients, inbox_url)
    assert "  NEW i-0aaa: Failed\n" in email
    assert ec2.calls == 0
