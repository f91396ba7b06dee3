"""Helpers for the sweep's tests: botocore Stubbers for SSM, EC2 and SNS, and the responses the
sweep's calls get, each stubbed with the request parameters the sweep must send.

Every call the sweep makes must be stubbed, in order, so an unexpected call (or one with other
parameters where they are asserted) fails the test. The `aws` fixture is in conftest.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.stub import ANY, Stubber
from notifier_testkit import TOPIC_ARN
from ssm_notifier import sweep
from ssm_notifier.settings import SweepSettings

DOCUMENT = "AWS-UpdateSSMAgent"
ASSOC_A = "11111111-1111-4111-8111-111111111111"
ASSOC_B = "22222222-2222-4222-8222-222222222222"
EXEC_1 = "aaaaaaaa-0000-4000-8000-000000000001"
EXEC_2 = "aaaaaaaa-0000-4000-8000-000000000002"
NOW = datetime(2026, 5, 4, 6, 0, 0, tzinfo=UTC)
# rate(1 day) and its grace of 1 hour.
SINCE_DAILY = "2026-05-03T05:00:00.000Z"
RAN_AT = NOW - timedelta(minutes=10)
LAST_SUCCESS = datetime(2026, 5, 4, 3, 1, 0, tzinfo=UTC)
TAG_TARGET = [{"Key": "tag:Patch", "Values": ["yes"]}]
TAGGED_STATES = ["pending", "running", "stopping", "stopped"]


@dataclass
class Aws:
    """Stubbed clients; `published` holds the parameters of every sns.publish call."""

    ssm: object
    ec2: object
    sns: object
    ssm_stub: Stubber
    ec2_stub: Stubber
    sns_stub: Stubber
    published: list[dict] = field(default_factory=list)

    def assert_done(self) -> None:
        for stub in (self.ssm_stub, self.ec2_stub, self.sns_stub):
            stub.assert_no_pending_responses()


def settings(*documents: str, sweep_period: timedelta = timedelta(days=1)) -> SweepSettings:
    return SweepSettings(
        topic_arn=TOPIC_ARN, documents=documents or (DOCUMENT,), sweep_period=sweep_period
    )


def run(aws: Aws, sweep_settings=None, seconds_left=lambda: math.inf) -> dict:
    return sweep.run_sweep(
        sweep_settings or settings(),
        ssm=aws.ssm,
        ec2=aws.ec2,
        sns=aws.sns,
        now=NOW,
        seconds_left=seconds_left,
    )


# Stubbed responses, each with the request parameters the sweep must send


def stub_list(aws: Aws, *association_ids: str, document=DOCUMENT, token=None, next_token=None):
    request = {"AssociationFilterList": [{"key": "Name", "value": document}], "MaxResults": 50}
    if token:
        request["NextToken"] = token
    response = {
        "Associations": [{"Name": document, "AssociationId": a} for a in association_ids],
        **({"NextToken": next_token} if next_token else {}),
    }
    aws.ssm_stub.add_response("list_associations", response, request)


def stub_describe(aws: Aws, association_id: str, targets, schedule="rate(1 day)", name="agent"):
    description = {
        "Name": DOCUMENT,
        "AssociationId": association_id,
        "AssociationName": name,
        "Targets": targets,
    }
    if schedule:
        description["ScheduleExpression"] = schedule
    aws.ssm_stub.add_response(
        "describe_association",
        {"AssociationDescription": description},
        {"AssociationId": association_id},
    )


def stub_executions(aws: Aws, association_id: str, *execution_ids: str, since=SINCE_DAILY):
    aws.ssm_stub.add_response(
        "describe_association_executions",
        {
            "AssociationExecutions": [
                {"AssociationId": association_id, "ExecutionId": e, "CreatedTime": RAN_AT}
                for e in execution_ids
            ]
        },
        {
            "AssociationId": association_id,
            "Filters": [{"Key": "CreatedTime", "Value": since, "Type": "GREATER_THAN"}],
            "MaxResults": 50,
        },
    )


def stub_ran(aws: Aws, association_id, execution_id, *instance_ids, token=None, next_token=None):
    request = {"AssociationId": association_id, "ExecutionId": execution_id, "MaxResults": 50}
    if token:
        request["NextToken"] = token
    aws.ssm_stub.add_response(
        "describe_association_execution_targets",
        {
            "AssociationExecutionTargets": [
                {
                    "AssociationId": association_id,
                    "ExecutionId": execution_id,
                    "ResourceId": instance_id,
                    "ResourceType": "ManagedInstance",
                    "Status": "Success",
                }
                for instance_id in instance_ids
            ],
            **({"NextToken": next_token} if next_token else {}),
        },
        request,
    )


def stub_ec2(aws: Aws, filters, instances: dict[str, str], token=None, next_token=None):
    """DescribeInstances with `filters`, answering `instances` ({id: state name})."""
    request = {"Filters": filters, "MaxResults": 1000}
    if token:
        request["NextToken"] = token
    aws.ec2_stub.add_response(
        "describe_instances",
        {
            "Reservations": [
                {
                    "Instances": [
                        {"InstanceId": i, "State": {"Name": state}}
                        for i, state in instances.items()
                    ]
                }
            ],
            **({"NextToken": next_token} if next_token else {}),
        },
        request,
    )


def stub_nodes(aws: Aws, filters, nodes: dict[str, str], token=None, next_token=None):
    """DescribeInstanceInformation with `filters` (None: none), answering {id: ping status}."""
    request = {"MaxResults": 50}
    if filters is not None:
        request["Filters"] = filters
    if token:
        request["NextToken"] = token
    aws.ssm_stub.add_response(
        "describe_instance_information",
        {
            "InstanceInformationList": [
                {
                    "InstanceId": i,
                    "PingStatus": ping,
                    **({"LastSuccessfulAssociationExecutionDate": LAST_SUCCESS} if ping else {}),
                }
                for i, ping in nodes.items()
            ],
            **({"NextToken": next_token} if next_token else {}),
        },
        request,
    )


def stub_tagged(aws: Aws, ec2_instances: dict[str, str], nodes: dict[str, str]):
    stub_ec2(
        aws,
        [
            {"Name": "tag:Patch", "Values": ["yes"]},
            {"Name": "instance-state-name", "Values": TAGGED_STATES},
        ],
        ec2_instances,
    )
    stub_nodes(aws, [{"Key": "tag:Patch", "Values": ["yes"]}], nodes)


def stub_publish(aws: Aws):
    aws.sns_stub.add_response(
        "publish",
        {"MessageId": "sns-1"},
        {"TopicArn": TOPIC_ARN, "Subject": ANY, "Message": ANY},
    )
