"""The sweep against moto's EC2 and SNS, with SSM still stubbed.

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
from notifier_testkit import REGION
from ssm_notifier import sweep
from ssm_notifier.settings import SweepSettings

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

        summary = sweep.run_sweep(
            SweepSettings(topic_arn=topic.arn, documents=(DOCUMENT,)),
            ssm=ssm,
            ec2=ec2,
            sns=topic.sns,
            now=NOW,
        )
        stub.assert_no_pending_responses()

    assert summary["missed"] == 2
    [note] = topic.published()
    assert note["Subject"] == "[SSM] 2 instances missed by AWS-UpdateSSMAgent"
    body = note["Message"]
    assert "3 targeted, 1 ran, 2 missed" in body
    assert f"  {stopped}: stopped (EC2), SSM does not describe stopped instances\n" in body
    assert f"  {unmanaged}: running (EC2), not managed\n" in body
    for absent in (ran, terminated, other_tag, untagged):
        assert absent not in body
