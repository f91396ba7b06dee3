"""Helpers for the handler tests: the sample, the stores, log lines, a fake clock, a topic
read back through SQS, stubbed SSM lookups. Events and records come from templates/sample_events.

A module of its own (not conftest) so tests can import it by a name no other conftest shares.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ssm_notifier.log import LOGGER_NAME, LocalFormatter

from templates.sample_events import ACCOUNT, REGION
from templates.state_store import TABLE_KEYS

ASSOCIATION_ID = "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:notifier"
# The pipeline's stores, as the handler tests create them on moto (create_stores).
STATE_TABLE = "notifier-state"
REPORT_BUCKET = "notifier-reports"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/notifications"
STORE_SERVICES = ("dynamodb", "s3", "sqs")

# AWS's documented sample of the event (tests/events/), as the compact JSON an SQS body holds.
SAMPLE_EVENT_PATH = Path(__file__).resolve().parents[1] / "events" / "association_state_change.json"
SAMPLE_BODY = json.dumps(json.loads(SAMPLE_EVENT_PATH.read_text()), separators=(",", ":"))
# Ten seconds before the run time of templates/sample_events.py (RUN_TIME).
EXECUTION_CREATED = datetime(2026, 5, 4, 3, 2, 0, tzinfo=UTC)


def create_stores(region: str = REGION) -> str:
    """The state table, the report bucket and the notification queue, as the template makes them
    (inside a moto mock); returns the queue's URL."""
    import boto3

    boto3.client("dynamodb", region_name=region).create_table(
        TableName=STATE_TABLE,
        BillingMode="PAY_PER_REQUEST",
        **TABLE_KEYS,  # the stack's own (templates/state_store.py)
    )
    boto3.client("s3", region_name=region).create_bucket(Bucket=REPORT_BUCKET)
    return boto3.client("sqs", region_name=region).create_queue(QueueName="notifications")[
        "QueueUrl"
    ]


def store_clients(region: str = REGION) -> dict:
    """moto clients for the stores (DynamoDB, S3, SQS), to complete a clients mapping."""
    import boto3

    return {service: boto3.client(service, region_name=region) for service in STORE_SERVICES}


def report_texts(region: str = REGION) -> dict[str, str]:
    """Every report object in the report bucket, by key."""
    import boto3

    s3 = boto3.client("s3", region_name=region)
    listing = s3.list_objects_v2(Bucket=REPORT_BUCKET).get("Contents", [])
    return {
        item["Key"]: s3.get_object(Bucket=REPORT_BUCKET, Key=item["Key"])["Body"].read().decode()
        for item in listing
    }


def failed_ids(response: dict) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


@dataclass
class FakeClock:
    """A clock that only moves when slept on (or told to), so pacing tests take no time."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class Topic:
    """A moto SNS topic with an SQS subscription, to read back what was published."""

    sns: object
    sqs: object
    arn: str
    queue_url: str

    def published(self) -> list[dict]:
        """Every notification so far, as {"Subject", "Message"} dicts."""
        notes = []
        while batch := self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10
        ).get("Messages", []):
            for message in batch:
                notes.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return notes


def log_lines(records: list[logging.LogRecord]) -> list[dict]:
    """The handler's log records (pytest's `caplog.records`) as the JSON lines they make.

    Formatted with `json.dumps` and no `default=`, as the Lambda runtime's formatter does, so a
    value that is not JSON-safe fails the test.
    """
    formatter = LocalFormatter()
    return [json.loads(formatter.format(r)) for r in records if r.name.startswith(LOGGER_NAME)]


def stub_executions(stubber, association_id: str = ASSOCIATION_ID, executions=None) -> None:
    """Expect DescribeAssociationExecutions; by default one execution created before RUN_TIME."""
    stubber.add_response(
        "describe_association_executions",
        {
            "AssociationExecutions": executions
            if executions is not None
            else [execution("exec-1", EXECUTION_CREATED, association_id)]
        },
        {"AssociationId": association_id, "MaxResults": 50},
    )


def execution(execution_id: str, created: datetime, association_id: str = ASSOCIATION_ID) -> dict:
    return {
        "AssociationId": association_id,
        "AssociationVersion": "1",
        "ExecutionId": execution_id,
        "Status": "Failed",
        "CreatedTime": created,
    }


def stub_output(
    stubber,
    instance_id: str,
    stdout: str,
    stderr: str = "",
    execution_id: str = "exec-1",
    association_id: str = ASSOCIATION_ID,
) -> None:
    """Expect the target lookup, the step listing and GetCommandInvocation (naming the step) of
    one instance of `execution_id`: a one-step AWS-UpdateSSMAgent run."""
    command_id = command_id_of(instance_id)
    stubber.add_response(
        "describe_association_execution_targets",
        {
            "AssociationExecutionTargets": [
                {
                    "AssociationId": association_id,
                    "ExecutionId": execution_id,
                    "ResourceId": instance_id,
                    "ResourceType": "ManagedInstance",
                    "Status": "Failed",
                    "OutputSource": {
                        "OutputSourceId": command_id,
                        "OutputSourceType": "RunCommand",
                    },
                }
            ]
        },
        {
            "AssociationId": association_id,
            "ExecutionId": execution_id,
            "Filters": [{"Key": "ResourceId", "Value": instance_id}],
        },
    )
    stubber.add_response(
        "list_command_invocations",
        {
            "CommandInvocations": [
                {
                    "CommandId": command_id,
                    "InstanceId": instance_id,
                    "Status": "Failed",
                    "CommandPlugins": [{"Name": STEP, "Status": "Failed", "ResponseCode": 1}],
                }
            ]
        },
        {"CommandId": command_id, "InstanceId": instance_id, "Details": True},
    )
    stubber.add_response(
        "get_command_invocation",
        {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Status": "Failed",
            "StandardOutputContent": stdout,
            "StandardErrorContent": stderr,
        },
        {"CommandId": command_id, "InstanceId": instance_id, "PluginName": STEP},
    )


# AWS-UpdateSSMAgent's one step: GetCommandInvocation must name it (InvalidPluginName otherwise).
STEP = "aws:updateSsmAgent"


def command_id_of(instance_id: str) -> str:
    """A Run Command id (a UUID, as the API validates) that names its instance in tests."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, instance_id))


class NamedEc2:
    """EC2's DescribeTags answering a Name tag for each instance of `names`, counting calls."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.calls = 0

    def describe_tags(self, Filters, **_):  # noqa: N803 - boto3's argument name
        self.calls += 1
        ids = next(f["Values"] for f in Filters if f["Name"] == "resource-id")
        return {
            "Tags": [
                {"Key": "Name", "Value": self.names[i], "ResourceId": i, "ResourceType": "instance"}
                for i in ids
                if i in self.names
            ]
        }
