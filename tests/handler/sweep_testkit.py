"""Helpers for the sweep's tests: botocore Stubbers for SSM, EC2 and SNS, moto's DynamoDB and SQS
for the state table and the work queue, and the responses the sweep's calls get, each stubbed with
the request parameters the sweep must send.

Every SSM, EC2 and SNS call the sweep makes must be stubbed, in order, so an unexpected call (or
one with other parameters where they are asserted) fails the test. `run` plays the scheduled
event and then the work queue's event source mapping (one record an invocation) until the queue
is empty. The `aws` fixture is in conftest.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.stub import ANY, Stubber
from notifier_testkit import TOPIC_ARN
from ssm_notifier import sweep
from ssm_notifier.clients import ClientCache
from ssm_notifier.settings import SweepSettings

DOCUMENT = "AWS-UpdateSSMAgent"
ASSOC_A = "11111111-1111-4111-8111-111111111111"
ASSOC_B = "22222222-2222-4222-8222-222222222222"
EXEC_1 = "aaaaaaaa-0000-4000-8000-000000000001"
EXEC_2 = "aaaaaaaa-0000-4000-8000-000000000002"
NOW = datetime(2026, 5, 4, 6, 0, 0, tzinfo=UTC)
# rate(1 day): one day and its grace of 1 hour back, and a minute for clock skew.
SINCE_DAILY = "2026-05-03T04:59:00.000Z"
TABLE = "state"
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
    dynamodb: object = None  # moto's
    sqs: object = None  # moto's
    queue_url: str = ""
    published: list[dict] = field(default_factory=list)
    failed_records: list[dict] = field(default_factory=list)

    def assert_done(self) -> None:
        for stub in (self.ssm_stub, self.ec2_stub, self.sns_stub):
            stub.assert_no_pending_responses()


def settings(
    *documents: str, sweep_period: timedelta = timedelta(days=1), queue_url: str = ""
) -> SweepSettings:
    return SweepSettings(
        topic_arn=TOPIC_ARN,
        documents=documents or (DOCUMENT,),
        sweep_period=sweep_period,
        work_queue_url=queue_url,
        state_table=TABLE,
    )


def clients(aws: Aws) -> ClientCache:
    cache = ClientCache(lambda service: None)
    for service in ("ssm", "ec2", "sns", "dynamodb", "sqs"):
        cache.set(service, getattr(aws, service))
    return cache


def run(
    aws: Aws,
    sweep_settings=None,
    seconds_left=lambda: math.inf,
    now=NOW,
    accounts=None,
    cache: ClientCache | None = None,
) -> dict:
    """One sweep run to its end: plan, every work message (checks get `seconds_left`), collect.
    Returns the collect's summary ({} if none); records handed back are in aws.failed_records.
    `accounts`: Scope=organization's clients per place (accounts.AccountClients or a fake)."""
    chosen = (sweep_settings or settings())._replace(work_queue_url=aws.queue_url)
    cache = cache or clients(aws)
    sweep.Sweep(chosen, cache, now, lambda: math.inf, accounts).plan(now)
    collected: list[dict] = []
    for _ in range(1000):
        messages = aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=1).get(
            "Messages"
        )
        if not messages:
            break
        [message] = messages
        record = {"messageId": message["MessageId"], "body": message["Body"]}
        kind = json.loads(message["Body"])["kind"]
        invocation = sweep.Sweep(
            chosen, cache, now, seconds_left if kind == "check" else (lambda: math.inf), accounts
        )
        answer = invocation.records([record])
        collected.extend(invocation.collected)
        if answer["batchItemFailures"]:
            aws.failed_records.append(record)
        aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return collected[-1] if collected else {}


# Stubbed responses, each with the request parameters the sweep must send


def stub_list(
    aws: Aws,
    *association_ids: str,
    document=DOCUMENT,
    token=None,
    next_token=None,
    exists: bool | None = True,
):
    """One page of ListAssociations. A listing that finds no association at all is followed by
    the sweep's DescribeDocument of the document: it exists (`exists`), or SSM says
    InvalidDocument (False); None stubs no lookup."""
    request = {"AssociationFilterList": [{"key": "Name", "value": document}], "MaxResults": 50}
    if token:
        request["NextToken"] = token
    response = {
        "Associations": [{"Name": document, "AssociationId": a} for a in association_ids],
        **({"NextToken": next_token} if next_token else {}),
    }
    aws.ssm_stub.add_response("list_associations", response, request)
    if not association_ids and not token and not next_token and exists is not None:
        stub_document(aws, document, exists)


def stub_document(aws: Aws, document=DOCUMENT, exists: bool = True) -> None:
    """DescribeDocument: the document (owned by Amazon, as AWS-* are), or InvalidDocument."""
    if exists:
        aws.ssm_stub.add_response(
            "describe_document",
            {"Document": {"Name": document, "Owner": "Amazon", "Status": "Active"}},
            {"Name": document},
        )
    else:
        aws.ssm_stub.add_client_error(
            "describe_document",
            "InvalidDocument",
            "The specified document does not exist.",
            expected_params={"Name": document},
        )


def stub_describe(
    aws: Aws, association_id: str, targets, schedule="rate(1 day)", name="agent", **more
):
    """DescribeAssociation; `more`: further AssociationDescription fields (Date,
    LastExecutionDate, Overview...)."""
    description = {
        "Name": DOCUMENT,
        "AssociationId": association_id,
        "AssociationName": name,
        "Targets": targets,
        **more,
    }
    if schedule:
        description["ScheduleExpression"] = schedule
    aws.ssm_stub.add_response(
        "describe_association",
        {"AssociationDescription": description},
        {"AssociationId": association_id},
    )


def stub_executions(
    aws: Aws, association_id: str, *execution_ids: str, since=SINCE_DAILY, created=RAN_AT
):
    aws.ssm_stub.add_response(
        "describe_association_executions",
        {
            "AssociationExecutions": [
                {"AssociationId": association_id, "ExecutionId": e, "CreatedTime": created}
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


def stub_ec2(aws: Aws, filters, instances: dict[str, str], token=None, next_token=None, names=None):
    """DescribeInstances with `filters`, answering `instances` ({id: state name}), with the Name
    tags in `names` ({id: name})."""
    names = names or {}
    request = {"Filters": filters, "MaxResults": 1000}
    if token:
        request["NextToken"] = token
    aws.ec2_stub.add_response(
        "describe_instances",
        {
            "Reservations": [
                {
                    "Instances": [
                        {
                            "InstanceId": i,
                            "State": {"Name": state},
                            **(
                                {"Tags": [{"Key": "Name", "Value": names[i]}]} if i in names else {}
                            ),
                        }
                        for i, state in instances.items()
                    ]
                }
            ],
            **({"NextToken": next_token} if next_token else {}),
        },
        request,
    )


def stub_nodes(
    aws: Aws, filters, nodes: dict[str, str], token=None, next_token=None, computer_names=None
):
    """DescribeInstanceInformation with `filters` (None: none), answering {id: ping status},
    with the computer names in `computer_names` ({id: name})."""
    computer_names = computer_names or {}
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
                    **({"ComputerName": computer_names[i]} if i in computer_names else {}),
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


def stub_states(aws: Aws, ec2_states: dict[str, str], nodes: dict[str, str], ids=None):
    """The missed instances' states, looked up by id: EC2 (the `i-` ids) then SSM (every id).
    `ec2_states` answers {id: state} (ids it leaves out are unknown to EC2), `nodes` {id: ping}."""
    ids = sorted(ids if ids is not None else set(ec2_states) | set(nodes))
    ec2_ids = [i for i in ids if i.startswith("i-")]
    if ec2_ids:
        stub_ec2(aws, [{"Name": "instance-id", "Values": ec2_ids}], ec2_states)
    stub_nodes(aws, [{"Key": "InstanceIds", "Values": ids}], nodes)


def stub_publish(aws: Aws):
    aws.sns_stub.add_response(
        "publish",
        {"MessageId": "sns-1"},
        {"TopicArn": TOPIC_ARN, "Subject": ANY, "Message": ANY, "MessageAttributes": ANY},
    )
