"""The sweep against moto's EC2, SNS, DynamoDB (the state table) and SQS (the work queue), with SSM
still stubbed.

moto (5.2.5) implements none of the SSM calls the sweep depends on: CreateAssociation,
ListAssociations, DescribeAssociationExecutions, DescribeAssociationExecutionTargets and
DescribeInstanceInformation all raise NotImplementedError. So SSM stays a botocore Stubber here,
and what moto adds is real EC2 behaviour (run_instances, stop_instances, terminate_instances and
DescribeInstances' tag and state filters with MaxResults) and a real topic, read back through an
SQS subscription. The SSM side is covered call by call in test_sweep_check.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber
from conftest import create_state_table
from notifier_testkit import REGION
from ssm_notifier import sweep
from ssm_notifier.clients import ClientCache
from ssm_notifier.settings import SweepSettings
from sweep_testkit import TABLE

DOCUMENT = "AWS-UpdateSSMAgent"
ASSOCIATION_ID = "11111111-1111-4111-8111-111111111111"
EXECUTION_ID = "aaaaaaaa-0000-4000-8000-000000000001"
NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
# Any image id does for moto's EC2.
IMAGE_ID = "ami-12c6146b"


@pytest.fixture
def ec2(topic):
    """moto's EC2, in the same mock as the `topic` fixture's SNS and SQS."""
    return boto3.client("ec2", region_name=REGION)


def launch(ec2, patch_tag: str | None) -> str:
    tags = (
        {
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Patch", "Value": patch_tag}]}
            ]
        }
        if patch_tag
        else {}
    )
    return ec2.run_instances(
        ImageId=IMAGE_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro", **tags
    )["Instances"][0]["InstanceId"]


def test_stopped_and_unmanaged_tagged_instances_reach_the_topic(topic, ec2) -> None:
    ran = launch(ec2, "yes")
    stopped = launch(ec2, "yes")
    unmanaged = launch(ec2, "yes")
    terminated = launch(ec2, "yes")
    other_tag = launch(ec2, "no")
    untagged = launch(ec2, None)
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.terminate_instances(InstanceIds=[terminated])

    ssm = boto3.client("ssm", region_name=REGION)
    with Stubber(ssm) as stub:
        stub.add_response(
            "list_associations",
            {"Associations": [{"Name": DOCUMENT, "AssociationId": ASSOCIATION_ID}]},
        )
        stub.add_response(
            "describe_association",
            {
                "AssociationDescription": {
                    "Name": DOCUMENT,
                    "AssociationId": ASSOCIATION_ID,
                    "Targets": [{"Key": "tag:Patch", "Values": ["yes"]}],
                    "ScheduleExpression": "rate(1 day)",
                }
            },
        )
        # SSM describes running nodes only; `unmanaged` has no agent or role.
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": [{"InstanceId": ran, "PingStatus": "Online"}]},
            {"Filters": [{"Key": "tag:Patch", "Values": ["yes"]}], "MaxResults": 50},
        )

        stub.add_response(
            "describe_association_executions",
            {
                "AssociationExecutions": [
                    {
                        "AssociationId": ASSOCIATION_ID,
                        "ExecutionId": EXECUTION_ID,
                        "CreatedTime": NOW - timedelta(hours=3),
                    }
                ]
            },
        )
        stub.add_response(
            "describe_association_execution_targets",
            {
                "AssociationExecutionTargets": [
                    {
                        "AssociationId": ASSOCIATION_ID,
                        "ExecutionId": EXECUTION_ID,
                        "ResourceId": ran,
                    }
                ]
            },
        )

        # The missed instances' states, by id: neither is described by SSM.
        stub.add_response(
            "describe_instance_information",
            {"InstanceInformationList": []},
            {
                "Filters": [{"Key": "InstanceIds", "Values": sorted([stopped, unmanaged])}],
                "MaxResults": 50,
            },
        )

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_state_table(dynamodb)
        queue_url = topic.sqs.create_queue(QueueName="sweep-work")["QueueUrl"]
        clients = ClientCache(lambda service: None)
        for name, client in {
            "ssm": ssm,
            "ec2": ec2,
            "sns": topic.sns,
            "dynamodb": dynamodb,
            "sqs": topic.sqs,
        }.items():
            clients.set(name, client)
        settings = SweepSettings(
            topic_arn=topic.arn, documents=(DOCUMENT,), work_queue_url=queue_url, state_table=TABLE
        )
        sweep.handle({"time": "2026-05-04T06:00:00Z"}, settings, clients, now=NOW)
        while messages := topic.sqs.receive_message(QueueUrl=queue_url).get("Messages"):
            for message in messages:
                answer = sweep.handle(
                    {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]},
                    settings,
                    clients,
                    now=NOW,
                )
                assert answer == {"batchItemFailures": []}
                topic.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        stub.assert_no_pending_responses()
    [note] = topic.published()
    assert note["Subject"] == "[SSM] 2 instances missed by AWS-UpdateSSMAgent"
    body = note["Message"]
    assert "3 targeted, 1 ran, 2 missed" in body
    assert f"  {stopped}: stopped (EC2), SSM does not describe stopped instances\n" in body
    assert f"  {unmanaged}: running (EC2), not managed\n" in body
    for absent in (ran, terminated, other_tag, untagged):
        assert absent not in body
