"""Helpers for the handler tests: events, records, a fake clock, a topic read back through SQS.

A module of its own (not conftest) so tests can import it by a name no other conftest shares.
"""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

REGION = "us-east-1"
ACCOUNT = "123456789012"
ASSOCIATION_ID = "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:notifier"

# AWS's documented sample of the event, verbatim.
SAMPLE_BODY = (
    '{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 State Manager '
    'Instance Association State Change","source":"aws.ssm","account":"123456789012","time":'
    '"2017-02-23T15:23:48Z","region":"us-east-1","resources":["arn:aws:ec2:us-east-1:123456789012:'
    'instance/i-12345678","arn:aws:ssm:us-east-1:123456789012:document/my-documentName"],"detail":'
    '{"association-id":"34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3","instance-id":"i-12345678",'
    '"document-name":"my-documentName","document-version":"1","targets":"[{\\"key\\":\\"instanceids'
    '\\",\\"values\\":[\\"i-12345678\\"]}]","creation-date":"2017-02-13T17:22:54.458Z",'
    '"last-successful-execution-date":"2017-02-13T17:22:54.458Z","last-execution-date":'
    '"2017-02-13T17:22:54.458Z","last-updated-date":"2017-02-13T17:22:54.458Z","status":"Success",'
    '"detailed-status":"Success","error-code":"testErrorCode","execution-summary":'
    '"testExecutionSummary","output-url":"sampleurl","instance-association-cwe-version":"1"}}'
)
RUN_TIME = "2026-05-04T03:02:10.000Z"
EXECUTION_CREATED = datetime(2026, 5, 4, 3, 2, 0, tzinfo=UTC)


def make_event(
    instance_id: str = "i-0aaa",
    status: str = "Success",
    association_id: str = ASSOCIATION_ID,
    document_name: str = "AWS-UpdateSSMAgent",
    **detail: object,
) -> dict:
    """An AWS-UpdateSSMAgent event as EventBridge sends it (document ARN with an empty account)."""
    return {
        "version": "0",
        "id": f"evt-{instance_id}-{status}",
        "detail-type": "EC2 State Manager Instance Association State Change",
        "source": "aws.ssm",
        "account": ACCOUNT,
        "time": RUN_TIME,
        "region": REGION,
        "resources": [
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}",
            f"arn:aws:ssm:{REGION}::document/{document_name}",
        ],
        "detail": {
            "association-id": association_id,
            "instance-id": instance_id,
            "document-name": document_name,
            "document-version": "$DEFAULT",
            "last-execution-date": RUN_TIME,
            "status": status,
            "detailed-status": status,
            "error-code": "ExecutionError" if status == "Failed" else "",
            "execution-summary": "1 out of 1 plugin processed",
            "output-url": "",
            **detail,
        },
    }


def make_record(body: dict | str, message_id: str) -> dict:
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "-",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:notifier-queue",
        "awsRegion": REGION,
    }


def failed_ids(response: dict) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def with_detail(event: dict, **detail: object) -> dict:
    changed = copy.deepcopy(event)
    changed["detail"].update(detail)
    return changed


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


def log_lines(text: str) -> list[dict]:
    """The JSON log lines in captured stdout."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


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
    """Expect the target lookup and GetCommandInvocation of one instance of `execution_id`."""
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
        "get_command_invocation",
        {
            "CommandId": command_id,
            "InstanceId": instance_id,
            "Status": "Failed",
            "StandardOutputContent": stdout,
            "StandardErrorContent": stderr,
        },
        {"CommandId": command_id, "InstanceId": instance_id},
    )


def command_id_of(instance_id: str) -> str:
    """A Run Command id (a UUID, as the API validates) that names its instance in tests."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, instance_id))
