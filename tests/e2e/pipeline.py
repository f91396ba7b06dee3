"""The pipeline, driven as AWS would drive it: EventBridge -> rule -> queue -> handler -> topic.

    pipeline = Pipeline(deployment)
    pipeline.simulate_association_run(...)   # what State Manager records of a run
    pipeline.put_events([...])               # what State Manager puts on the default bus
    records = pipeline.receive_batch()       # AWS's side of the SQS event source mapping
    invocation = pipeline.invoke(records)    # the deployed code, as the Lambda runtime runs it
    inbox.emails()                           # a test-only subscription on the topic

`association_event` and `sqs_record` shapes come from `templates/sample_events.py`, shared with
the handler tests, generate.py's sample email and the benchmarks.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shlex
import urllib.request
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import moto_workarounds
from aws_cli import CLIENT_TIMEOUT_SECONDS
from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from deploy import ARTIFACT_BUCKET, ROOT, Deployment
from deployed_code import DeployedCode, RuntimeRun, invoke_as_runtime
from emulator import REGION
from readback import function_logging_config

from templates.sample_events import association_event, command_invocation_event

DOCUMENT = "AWS-UpdateSSMAgent"
# What the simulated run of AWS-UpdateSSMAgent printed on each instance: one updates, the other is
# asked for a version that does not exist (the failure the notifier exists to show).
UPDATED_OUTPUT = (
    "Updating amazon-ssm-agent from 3.3.987.0 to 3.3.1142.0\n"
    "Successfully updated amazon-ssm-agent to 3.3.1142.0"
)
FAILED_OUTPUT = (
    "Updating amazon-ssm-agent from 3.3.987.0 to 100000\n"
    "Failed to update amazon-ssm-agent to 100000"
)
FAILED_ERROR = "failed to download manifest: version 100000 of amazon-ssm-agent does not exist"


def now_as_aws_writes_it() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def live_event(
    instance_id: str, status: str, association_id: str, document_name: str = DOCUMENT, **detail: Any
) -> dict[str, Any]:
    """The shared sample event (templates/sample_events.py), dated now as State Manager's are."""
    when = detail.pop("time", None) or now_as_aws_writes_it()
    return association_event(
        instance_id, status, association_id, document_name, time=when, **detail
    )


REPLAY_SECTION = "### Replaying the dead-letter queue"


def readme_replay_commands(
    variables: Mapping[str, str], readme: Path = ROOT / "README.md"
) -> list[list[str]]:
    """The `aws sqs ...` commands of README's replay section, as written there, with the shell
    variables they use set from `variables`; each as the arguments after `aws`."""
    text = readme.read_text()
    section = text[text.index(REPLAY_SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    if block is None:
        raise LookupError(f"README's {REPLAY_SECTION!r} has no sh block")
    commands = []
    for line in block.group(1).splitlines():
        if not line.startswith("aws sqs "):
            continue
        words = shlex.split(line, comments=True)
        commands.append([_substitute(word, variables) for word in words[1:]])
    return commands


def _substitute(word: str, variables: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        if match.group(1) not in variables:
            raise KeyError(f"README's replay command uses ${match.group(1)}, which is not set")
        return variables[match.group(1)]

    return re.sub(r"\$\{?([A-Z_]+)\}?", value, word)


def update_agent_targets(succeeded: str, failed: str) -> list[dict[str, str]]:
    """SimulateAssociationRun's Targets for the agent update: one instance updated, one failed
    with the output AWS-UpdateSSMAgent prints for a version that does not exist."""
    return [
        {"InstanceId": succeeded, "Status": "Success", "StandardOutputContent": UPDATED_OUTPUT},
        {
            "InstanceId": failed,
            "Status": "Failed",
            "StandardOutputContent": FAILED_OUTPUT,
            "StandardErrorContent": FAILED_ERROR,
        },
    ]


def emulator_call(
    endpoint: str,
    service: str,
    target: str,
    body: Mapping[str, Any],
    credentials: botocore.credentials.Credentials | None = None,
    region: str = REGION,
) -> Any:
    """A JSON-protocol call botocore does not know (an emulator extension's), signed as usual
    (with the hub's test credentials, or `credentials`, e.g. a member's assumed role)."""
    request = botocore.awsrequest.AWSRequest(
        "POST",
        endpoint + "/",
        data=json.dumps(body).encode(),
        headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
    )
    credentials = credentials or botocore.credentials.Credentials("testing", "testing", "testing")
    botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
    prepared = request.prepare()
    call = urllib.request.Request(
        prepared.url, data=prepared.body, headers=dict(prepared.headers), method="POST"
    )
    with urllib.request.urlopen(call, timeout=CLIENT_TIMEOUT_SECONDS) as response:
        return json.loads(response.read())


@dataclass
class Invocation:
    records: list[dict[str, Any]]
    response: dict[str, Any]
    run: RuntimeRun  # the request id, and the log as the runtime wrote it

    @property
    def log_lines(self) -> list[dict[str, Any]]:
        """Every JSON log line of the invocation, in order."""
        return self.run.json_lines

    @property
    def seconds(self) -> float:
        return self.run.seconds

    @property
    def failed_ids(self) -> list[str]:
        return [item["itemIdentifier"] for item in self.response["batchItemFailures"]]


@dataclass
class Email:
    subject: str
    body: str


class Pipeline:
    """EventBridge -> the deployed rule -> the deployed queue -> the deployed handler -> topic.

    AWS's side of the SQS event source mapping (moto's does not invoke anything) is done here:
    receive, invoke with the batch shape Lambda sends, delete what the handler did not report as
    failed, leave the rest to come back after the visibility timeout.
    """

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.events = deployment.client("events")
        self.sqs = deployment.client("sqs")
        self.sns = deployment.client("sns")
        self.lam = deployment.client("lambda")
        self.queue_url = deployment.outputs["QueueUrl"]
        self.dead_letter_queue_url = deployment.outputs["DeadLetterQueueUrl"]
        self.dead_letter_queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.dead_letter_queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.topic_arn = deployment.outputs["TopicArn"]
        self.rule_name = deployment.children["Notifications"].outputs["RuleName"]
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.function = self.lam.get_function(FunctionName=deployment.outputs["FunctionName"])
        # moto drops LoggingConfig (SKIPPED_BY_MOTO): the runtime reads it from what was deployed.
        self.configuration = {
            **self.function["Configuration"],
            "LoggingConfig": function_logging_config(
                deployment, self.function["Configuration"]["FunctionName"]
            ),
        }
        self._handler: DeployedCode | None = None

    # State Manager
    def simulate_association_run(
        self, association_id: str, document_name: str, outcomes: list[dict[str, str]]
    ) -> dict[str, Any]:
        """A run of the association on its targets, recorded in the emulator so that the
        association run APIs answer for it (moto_workarounds, item 9). `outcomes` are
        {InstanceId, Status, StandardOutputContent, StandardErrorContent}; returns ExecutionId,
        CommandId, CreatedTime and each target's OutputUrl."""
        return emulator_call(
            self.deployment.endpoint,
            "ssm",
            "AmazonSSM.SimulateAssociationRun",
            {
                "AssociationId": association_id,
                "DocumentName": document_name,
                "OutputS3BucketName": self.deployment.outputs["OutputBucketName"],
                "OutputS3KeyPrefix": self._association_output_prefix(),
                "Targets": outcomes,
            },
        )

    def update_agent_run(
        self, association_id: str, succeeded: str, failed: str
    ) -> list[dict[str, Any]]:
        """A run of AWS-UpdateSSMAgent that succeeds on one instance and fails on the other:
        recorded in the emulator, and returned as the two events State Manager would send."""
        run = self.simulate_association_run(
            association_id, DOCUMENT, update_agent_targets(succeeded, failed)
        )
        urls = {target["InstanceId"]: target["OutputUrl"] for target in run["Targets"]}
        return [
            live_event(
                instance, status, association_id, time=run["CreatedTime"], output_url=urls[instance]
            )
            for instance, status in ((succeeded, "Success"), (failed, "Failed"))
        ]

    # Run Command
    def run_command(
        self, document_name: str, plugin: str, outcomes: list[dict[str, str]]
    ) -> list[dict[str, Any]]:
        """A Run Command command of `document_name` (one step, `plugin`) on the instances of
        `outcomes` ({InstanceId, Status, StandardOutputContent, StandardErrorContent}), recorded in
        the emulator so that ListCommandInvocations and GetCommandInvocation answer for it
        (moto_workarounds, item 9); returned as the invocation events Run Command would send."""
        run = emulator_call(
            self.deployment.endpoint,
            "ssm",
            "AmazonSSM.SimulateCommandRun",
            {
                "DocumentName": document_name,
                "PluginName": plugin,
                "OutputS3BucketName": self.deployment.outputs["OutputBucketName"],
                "OutputS3KeyPrefix": "run-command",
                "Targets": outcomes,
            },
        )
        return [
            command_invocation_event(
                outcome["InstanceId"],
                outcome["Status"],
                run["CommandId"],
                document_name,
                time=run["RequestedDateTime"],
            )
            for outcome in outcomes
        ]

    def _association_output_prefix(self) -> str:
        """The association's OutputS3KeyPrefix as deployed (moto skips the association itself)."""
        child = self.deployment.children.get("Association")
        if child is None:
            return ""
        if "OutputKeyPrefix" in child.parameters:
            return child.parameters["OutputKeyPrefix"]
        template = yaml_parse(Path(child.template_path).read_text())
        return str(template["Parameters"]["OutputKeyPrefix"].get("Default", ""))

    # EventBridge
    def put_events(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        entries = [
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event["resources"],
                "Time": datetime.now(UTC),
            }
            for event in events
        ]
        response = self.events.put_events(Entries=entries)
        if response["FailedEntryCount"]:
            raise AssertionError(f"put_events failed: {response['Entries']}")
        return response

    # The event source mapping's side
    def receive_batch(self, max_messages: int = 100) -> list[dict[str, Any]]:
        """Every message now visible on the queue, as SQS event records."""
        records: list[dict[str, Any]] = []
        while len(records) < max_messages:
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, max_messages - len(records)),
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                break
            records += [self._record(message) for message in messages]
        return records

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """One record exactly as the SQS event source mapping puts it in the Lambda event."""
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": dict(message.get("Attributes", {})),
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": value.get("BinaryValue"),
                    "stringListValues": value.get("StringListValues", []),
                    "binaryListValues": value.get("BinaryListValues", []),
                    "dataType": value["DataType"],
                }
                for name, value in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.queue_arn.split(":")[3],
        }

    def invoke(self, records: list[dict[str, Any]]) -> Invocation:
        """Run the deployed code on the batch, in this process, with the function's environment;
        then delete the records it did not report as failed, as the event source mapping does."""
        handler = self._deployed_handler(self.configuration["Handler"])
        run = invoke_as_runtime(handler, {"Records": records}, self.configuration)
        invocation = Invocation(records, run.response, run)
        failed = set(invocation.failed_ids)
        done = [r for r in records if r["messageId"] not in failed]
        for start in range(0, len(done), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(done[start : start + 10])
                ],
            )
        return invocation

    def reports(self) -> dict[str, str]:
        """Every object in the deployed report bucket (the function's REPORT_BUCKET), by key."""
        bucket = self.configuration["Environment"]["Variables"]["REPORT_BUCKET"]
        s3 = self.deployment.client("s3")
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[item["Key"]] = body.decode("utf-8")
        return found

    def dead_letter_as_eventbridge(self, event: dict[str, Any]) -> str:
        """Write `event` to the dead-letter queue as EventBridge does once a delivery to the queue
        has failed past its retry policy (moto_workarounds, item 11); return the message id."""
        rule_arn = self.events.describe_rule(Name=self.rule_name)["Arn"]
        # The attributes EventBridge documents for a rule target's dead-letter message; a denied
        # delivery (e.g. the queue's key disabled) is dead-lettered without retries.
        attributes = {
            "RULE_ARN": rule_arn,
            "TARGET_ARN": self.queue_arn,
            "ERROR_CODE": "NO_PERMISSIONS",
            "ERROR_MESSAGE": "EventBridge could not send the event to the queue",
            "RETRY_ATTEMPTS": "0",
        }
        return self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                name: {"DataType": "String", "StringValue": value}
                for name, value in attributes.items()
            },
        )["MessageId"]

    def expire_visibility(self, records: list[dict[str, Any]]) -> None:
        """What the visibility timeout does to records left on the queue: make them visible."""
        for record in records:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url,
                ReceiptHandle=record["receiptHandle"],
                VisibilityTimeout=0,
            )

    def queue_depth(self, url: str | None = None) -> dict[str, int]:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return {
            "visible": int(attributes["ApproximateNumberOfMessages"]),
            "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        }

    def _deployed_handler(self, entry_point: str) -> DeployedCode:
        if self._handler is None:
            code = moto_workarounds.function_code_zip(
                self.function,
                lambda key: (
                    self.deployment.client("s3")
                    .get_object(Bucket=ARTIFACT_BUCKET, Key=key)["Body"]
                    .read()
                ),
            )
            digest = hashlib.sha256(code).hexdigest()[:12]
            code_dir = self.deployment.workdir / f"function-{digest}"
            if not code_dir.exists():
                zipfile.ZipFile(io.BytesIO(code)).extractall(code_dir)
            self._handler = DeployedCode(code_dir, entry_point)
        return self._handler

    # A test-only subscription: the email subscription cannot be read back
    def subscribe_inbox(self, name: str = "e2e-inbox") -> Inbox:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        subscription = self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return Inbox(self.sqs, url, subscription)


@dataclass
class Inbox:
    sqs: Any
    url: str
    subscription_arn: str

    def emails(self) -> list[Email]:
        """What the topic sent since the last call (SNS's JSON envelope unwrapped)."""
        found = []
        while True:
            messages = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not messages:
                return found
            for message in messages:
                envelope = json.loads(message["Body"])
                found.append(Email(envelope.get("Subject", ""), envelope["Message"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
