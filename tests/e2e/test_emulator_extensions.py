"""The emulator extensions (moto_workarounds items 8 to 10): still needed, and AWS-shaped.

The "still" tests run plain moto in this process (the extensions are registered only in the
server process): when one fails, moto has learned the behaviour, so delete the extension.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from emulator import REGION, MotoServer
from moto import mock_aws
from pipeline import emulator_call

pytestmark = pytest.mark.e2e

ACCOUNT = "123456789012"  # moto's default account


def _clients(*services, endpoint=None):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return [session.client(service, endpoint_url=endpoint) for service in services]


def _queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


def _delivered_event(events, sqs):
    url = sqs.create_queue(QueueName="target")["QueueUrl"]
    events.put_rule(Name="all-ssm", EventPattern=json.dumps({"source": ["aws.ssm"]}))
    events.put_targets(Rule="all-ssm", Targets=[{"Id": "q", "Arn": _queue_arn(sqs, url)}])
    events.put_events(
        Entries=[{"Source": "aws.ssm", "DetailType": "test", "Detail": json.dumps({"a": 1})}]
    )
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    return json.loads(message["Body"])


# -- moto still lacks them -----------------------------------------------------------------------


@mock_aws
def test_moto_still_delivers_events_without_their_account():
    event = _delivered_event(*_clients("events", "sqs"))
    assert "account" not in event, "moto now delivers `account`: delete workaround 8"


@mock_aws
def test_moto_still_lacks_the_association_run_apis():
    (ssm,) = _clients("ssm")
    with pytest.raises(NotImplementedError):
        ssm.describe_association_executions(AssociationId=str(uuid.uuid4()))
    with pytest.raises(NotImplementedError):
        ssm.describe_association_execution_targets(
            AssociationId=str(uuid.uuid4()), ExecutionId=str(uuid.uuid4())
        )
    with pytest.raises(NotImplementedError):
        ssm.list_command_invocations(CommandId=str(uuid.uuid4()), Details=True)


@mock_aws
def test_moto_still_lacks_message_move_tasks():
    (sqs,) = _clients("sqs")
    arn = _queue_arn(sqs, sqs.create_queue(QueueName="dlq")["QueueUrl"])
    with pytest.raises(NotImplementedError):
        sqs.start_message_move_task(SourceArn=arn)


# -- the extended server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with MotoServer() as moto:
        yield moto


def test_extended_server_delivers_the_account_as_aws_does(server):
    event = _delivered_event(*_clients("events", "sqs", endpoint=server.endpoint))
    assert event["account"] == ACCOUNT
    assert {"id", "time", "detail-type", "source", "region", "resources", "detail"} <= set(event)


def test_extended_server_answers_the_association_run_apis_for_a_simulated_run(server):
    ssm, ec2 = _clients("ssm", "ec2", endpoint=server.endpoint)
    failed, fine = (
        i["InstanceId"]
        for i in ec2.run_instances(ImageId="ami-12c6146b", MinCount=2, MaxCount=2)["Instances"]
    )
    association = str(uuid.uuid4())
    run = emulator_call(
        server.endpoint,
        "ssm",
        "AmazonSSM.SimulateAssociationRun",
        {
            "AssociationId": association,
            "DocumentName": "AWS-UpdateSSMAgent",
            "OutputS3BucketName": "out",
            "OutputS3KeyPrefix": "runs",
            "Targets": [
                {"InstanceId": failed, "Status": "Failed", "StandardOutputContent": "no\nluck"},
                {"InstanceId": fine, "Status": "Success", "StandardOutputContent": "done"},
            ],
        },
    )
    (execution,) = ssm.describe_association_executions(AssociationId=association)[
        "AssociationExecutions"
    ]
    assert execution["ExecutionId"] == run["ExecutionId"]
    assert execution["Status"] == "Failed"
    assert json.loads(execution["ResourceCountByStatus"]) == {"Failed": 1, "Success": 1}
    (target,) = ssm.describe_association_execution_targets(
        AssociationId=association,
        ExecutionId=run["ExecutionId"],
        Filters=[{"Key": "ResourceId", "Value": failed}],
    )["AssociationExecutionTargets"]
    assert target["OutputSource"] == {
        "OutputSourceId": run["CommandId"],
        "OutputSourceType": "RunCommand",
    }
    (listed,) = ssm.list_command_invocations(
        CommandId=run["CommandId"], InstanceId=failed, Details=True
    )["CommandInvocations"]
    assert [(p["Name"], p["Status"]) for p in listed["CommandPlugins"]] == [
        ("aws:updateSsmAgent", "Failed")
    ]
    invocation = ssm.get_command_invocation(
        CommandId=run["CommandId"], InstanceId=failed, PluginName="aws:updateSsmAgent"
    )
    assert invocation["Status"] == "Failed" and invocation["ResponseCode"] == 1
    assert invocation["StandardOutputContent"] == "no\nluck"
    urls = {t["InstanceId"]: t["OutputUrl"] for t in run["Targets"]}
    assert invocation["StandardOutputUrl"] == urls[failed]
    assert urls[failed].startswith(f"https://s3.{REGION}.amazonaws.com/out/runs/{run['CommandId']}")
    # The run was sent with moto's own SendCommand: Run Command lists it.
    (command,) = ssm.list_commands(CommandId=run["CommandId"])["Commands"]
    assert command["DocumentName"] == "AWS-UpdateSSMAgent"
    with pytest.raises(ssm.exceptions.AssociationDoesNotExist):
        ssm.describe_association_executions(AssociationId=str(uuid.uuid4()))


def test_extended_server_moves_an_sqs_dead_letter_back_to_its_own_queue(server):
    """Without DestinationArn a message goes back to the queue that dead-lettered it."""
    (sqs,) = _clients("sqs", endpoint=server.endpoint)
    dlq = sqs.create_queue(QueueName="redrive-dlq")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _queue_arn(sqs, dlq), "maxReceiveCount": 1})
    queue = sqs.create_queue(
        QueueName="redrive-source", Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"}
    )["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="again")
    assert sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)  # moved by the redrive
    dlq_arn = _queue_arn(sqs, dlq)
    sqs.start_message_move_task(SourceArn=dlq_arn)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 1
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert message["Body"] == "again"
