"""The emulator extensions (moto_workarounds items 8 to 10, 12, 13, and the bus name of 2 and 3):
still needed, and AWS-shaped.

The "still" tests run plain moto in this process (the extensions are registered only in the
server process): when one fails, moto has learned the behaviour, so delete the extension.
"""

from __future__ import annotations

import json
import uuid

import boto3
import botocore.credentials
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


@mock_aws
def test_moto_still_lacks_the_sweeps_listings():
    (ssm,) = _clients("ssm")
    with pytest.raises(NotImplementedError):
        ssm.list_associations()
    with pytest.raises(NotImplementedError):
        ssm.describe_instance_information()


@mock_aws
def test_moto_still_lacks_aws_owned_documents():
    (ssm,) = _clients("ssm")
    with pytest.raises(ssm.exceptions.InvalidDocument):
        ssm.describe_document(Name="AWS-UpdateSSMAgent")


@mock_aws
def test_moto_still_lists_a_bus_without_its_name():
    (cloudformation,) = _clients("cloudformation")
    bus = {"Type": "AWS::Events::EventBus", "Properties": {"Name": "hub"}}
    cloudformation.create_stack(
        StackName="bus", TemplateBody=json.dumps({"Resources": {"Bus": bus}})
    )
    (listed,) = cloudformation.describe_stack_resources(StackName="bus")["StackResources"]
    assert "PhysicalResourceId" not in listed, "moto names the bus now: delete the bus workarounds"


# -- the extended server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    with MotoServer() as moto:
        yield moto


def test_extended_server_describes_aws_owned_documents_and_no_misspelled_one(server):
    (ssm,) = _clients("ssm", endpoint=server.endpoint)
    document = ssm.describe_document(Name="AWS-UpdateSSMAgent")["Document"]
    assert (document["Name"], document["Owner"], document["Status"]) == (
        "AWS-UpdateSSMAgent",
        "Amazon",
        "Active",
    )
    with pytest.raises(ssm.exceptions.InvalidDocument):
        ssm.describe_document(Name="AWS-UpdateSSMAgnet")


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


def _member_clients(endpoint, account, *services, region=REGION):
    (sts,) = _clients("sts", endpoint=endpoint)
    given = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="extension-test",
    )["Credentials"]
    session = boto3.session.Session(
        aws_access_key_id=given["AccessKeyId"],
        aws_secret_access_key=given["SecretAccessKey"],
        aws_session_token=given["SessionToken"],
        region_name=region,
    )
    credentials = botocore.credentials.Credentials(
        given["AccessKeyId"], given["SecretAccessKey"], given["SessionToken"]
    )
    return credentials, [session.client(s, endpoint_url=endpoint) for s in services]


def test_extended_server_keeps_runs_and_associations_per_account_and_region(server):
    member = "210987654321"
    credentials, (member_ssm,) = _member_clients(server.endpoint, member, "ssm")
    association = str(uuid.uuid4())
    emulator_call(
        server.endpoint,
        "ssm",
        "AmazonSSM.SimulateAssociationRun",
        {
            "AssociationId": association,
            "DocumentName": "AWS-UpdateSSMAgent",
            "Targets": [{"InstanceId": "i-0member", "Status": "Success"}],
        },
        credentials,
    )
    assert member_ssm.describe_association_executions(AssociationId=association)[
        "AssociationExecutions"
    ]
    # The hub's own credentials do not see the member's run, as on AWS.
    (hub_ssm,) = _clients("ssm", endpoint=server.endpoint)
    with pytest.raises(hub_ssm.exceptions.AssociationDoesNotExist):
        hub_ssm.describe_association_executions(AssociationId=association)
    reads = emulator_call(server.endpoint, "ssm", "AmazonSSM.ListSimulatedRunReads", {})
    assert {
        "Account": member,
        "Region": REGION,
        "Action": "DescribeAssociationExecutions",
        "AssociationId": association,
    } in reads["Reads"]

    planted = emulator_call(
        server.endpoint,
        "ssm",
        "AmazonSSM.PlantAssociation",
        {
            "Name": "AWS-UpdateSSMAgent",
            "Targets": [{"Key": "InstanceIds", "Values": ["i-0member"]}],
            "ScheduleExpression": "rate(1 day)",
            "ManagedNodes": [{"InstanceId": "i-0member", "PingStatus": "Online"}],
        },
        credentials,
    )
    (listed,) = member_ssm.list_associations(
        AssociationFilterList=[{"key": "Name", "value": "AWS-UpdateSSMAgent"}]
    )["Associations"]
    assert listed["AssociationId"] == planted["AssociationId"]
    described = member_ssm.describe_association(AssociationId=planted["AssociationId"])
    assert described["AssociationDescription"]["ScheduleExpression"] == "rate(1 day)"
    nodes = member_ssm.describe_instance_information()["InstanceInformationList"]
    assert [node["InstanceId"] for node in nodes] == ["i-0member"]
    assert hub_ssm.list_associations()["Associations"] == []


def test_extended_server_forwards_an_event_to_another_accounts_bus_as_it_was_put(server):
    events, sqs = _clients("events", "sqs", endpoint=server.endpoint)
    bus_arn = events.create_event_bus(Name="forwarded-to")["EventBusArn"]
    url = sqs.create_queue(QueueName="forwarded")["QueueUrl"]
    events.put_rule(
        Name="hub", EventBusName="forwarded-to", EventPattern=json.dumps({"source": ["aws.ssm"]})
    )
    events.put_targets(
        Rule="hub", EventBusName="forwarded-to", Targets=[{"Id": "q", "Arn": _queue_arn(sqs, url)}]
    )
    member = "210987654322"
    _, (member_events,) = _member_clients(server.endpoint, member, "events", region="eu-west-1")
    member_events.put_rule(Name="forward", EventPattern=json.dumps({"source": ["aws.ssm"]}))
    member_events.put_targets(
        Rule="forward",
        Targets=[{"Id": "hub", "Arn": bus_arn, "RoleArn": f"arn:aws:iam::{member}:role/f"}],
    )
    resource = f"arn:aws:ec2:eu-west-1:{member}:instance/i-0abc"
    member_events.put_events(
        Entries=[
            {
                "Source": "aws.ssm",
                "DetailType": "test",
                "Detail": json.dumps({"a": 1}),
                "Resources": [resource],
            }
        ]
    )
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    event = json.loads(message["Body"])
    assert (event["account"], event["region"], event["resources"]) == (
        member,
        "eu-west-1",
        [resource],
    )
