"""Deploy the notifier to a local moto server with the real AWS CLI, and drive its pipeline.

    with MotoServer() as moto, aws_environment(moto.endpoint):
        deployment = deploy(moto, workdir)        # generate.py, package, deploy
        facts = inspect(deployment)               # what the emulator created, via service APIs
        pipeline = Pipeline(deployment)           # EventBridge -> rule -> queue -> handler -> topic

Only `moto_workarounds` knows about the emulator's gaps; this module does what a user (deploy)
and AWS (the SQS event source mapping) would do.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import json
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import moto_workarounds
from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from emulator import REGION, SCRUBBED, MotoServer, client_environment

ROOT = Path(__file__).resolve().parents[2]
# Deploy another checkout instead of this one (e.g. a scratch copy with a deliberate break).
SOURCE_ENV = "SSM_NOTIFIER_E2E_SOURCE"

STACK_NAME = "ssm-notifier-local"
NOTIFICATION_EMAIL = "ops@example.com"
ARTIFACT_BUCKET = "ssm-notifier-artifacts"
# What README's deploy command passes.
CAPABILITIES = ["--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
PARAMETER_OVERRIDES = {"NotificationEmail": NOTIFICATION_EMAIL}
# The as-is parent deploy is tried in a region of its own, so the half-built stacks moto leaves
# behind when it fails cannot be mistaken for the resources the checks read.
PARENT_TRIAL_REGION = "us-west-2"
CLI_TIMEOUT_SECONDS = 120
HANDLER_MODULE, HANDLER_FUNCTION = "ssm_notifier.notify", "lambda_handler"
DETAIL_TYPE = "EC2 State Manager Instance Association State Change"


class CliError(RuntimeError):
    def __init__(self, call: CliCall) -> None:
        super().__init__(
            f"`{call.shown}` exited {call.returncode}\n{call.stdout[-3000:]}{call.stderr[-3000:]}"
        )
        self.call = call


@dataclass
class CliCall:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def shown(self) -> str:
        return "aws " + " ".join(self.args)


def aws_executable() -> str:
    """The `aws` of the interpreter's own environment (the pinned awscli), else the PATH's."""
    beside = Path(sys.executable).with_name("aws")
    found = str(beside) if beside.exists() else shutil.which("aws")
    if not found:
        raise RuntimeError("the AWS CLI (`aws`) is not installed in this environment")
    return found


@dataclass
class Cli:
    """`aws --endpoint-url http://localhost:PORT ...` in a clean environment, every call kept."""

    endpoint: str
    env: dict[str, str]
    cwd: Path
    calls: list[CliCall] = field(default_factory=list)

    def __call__(self, *args: str, region: str | None = None, check: bool = True) -> CliCall:
        args = ["--endpoint-url", self.endpoint, *(["--region", region] if region else []), *args]
        started = time.monotonic()
        done = subprocess.run(
            [aws_executable(), *args],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
            check=False,
        )
        call = CliCall(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        self.calls.append(call)
        if check and call.returncode != 0:
            raise CliError(call)
        return call


@contextlib.contextmanager
def aws_environment(endpoint: str) -> Iterator[None]:
    """This process's environment set like the CLI's, for boto3 here and the handler; restored.

    The handler makes its own boto3 clients: `AWS_ENDPOINT_URL` is what sends them to moto.
    """
    wanted = client_environment(endpoint)
    saved = {name: os.environ.get(name) for name in [*wanted, *SCRUBBED]}
    try:
        for name in SCRUBBED:
            os.environ.pop(name, None)
        os.environ.update(wanted)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def client(service: str, endpoint: str, region: str = REGION) -> Any:
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=region,
    ).client(service, endpoint_url=endpoint)


# -- deploy -------------------------------------------------------------------------------------


@dataclass
class ParentAttempt:
    """`aws cloudformation deploy` of the packaged parent, as a user would run it."""

    call: CliCall
    stack_status: str
    moto_error: str  # the last error line of the server's log, if moto raised one

    @property
    def succeeded(self) -> bool:
        return self.call.returncode == 0


@dataclass
class Deployment:
    endpoint: str
    workdir: Path
    source: Path
    generate_output: str
    packaged_parent_path: Path
    packaged_parent: dict[str, Any]
    parent_parameters: dict[str, str]
    parent_attempt: ParentAttempt
    children: dict[str, moto_workarounds.ChildStack]
    outputs: dict[str, str]  # the parent's Outputs, as CloudFormation would show them
    resources: dict[str, dict[str, dict[str, str]]]  # child title -> logical id -> resource
    cli: Cli
    detached_schedule_targets: list[moto_workarounds.DetachedTargets]
    event_source_mappings: list[dict[str, Any]]  # as deployed, before the harness disabled them

    def client(self, service: str) -> Any:
        return client(service, self.endpoint)

    def physical_id(self, child: str, logical_id: str) -> str:
        return self.resources[child][logical_id]["PhysicalResourceId"]

    def one(self, child: str, resource_type: str) -> str:
        """The physical id of the child's only resource of that type."""
        (found,) = [
            r["PhysicalResourceId"]
            for r in self.resources[child].values()
            if r["ResourceType"] == resource_type
        ]
        return found


def source_root() -> Path:
    return Path(os.environ.get(SOURCE_ENV) or ROOT).resolve()


# Not copied: version control, environments, caches, and build/ (generate.py writes it anew).
NOT_COPIED = {".git", ".venv", ".tox", ".ci-venv", "build", ".local-e2e"}


def copy_source(source: Path, dest: Path) -> Path:
    """The checkout, copied, so that generate.py (which writes build/ and README.md) and package
    run on the copy and leave the shared work tree as it is."""
    caches = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")

    def ignore(directory: str, names: list[str]) -> set[str]:
        top = Path(directory).resolve() == source.resolve()
        return set(caches(directory, names)) | (NOT_COPIED & set(names) if top else set())

    shutil.copytree(source, dest, ignore=ignore, symlinks=True)
    return dest


def deploy(
    moto: MotoServer, workdir: Path, say: Callable[[str], None] = lambda _: None
) -> Deployment:
    """generate.py, `aws cloudformation package`, then `aws cloudformation deploy`."""
    source = source_root()
    tree = copy_source(source, workdir / "src")
    env = moto.env
    cli = Cli(moto.endpoint, env, tree)

    generated = subprocess.run(
        [sys.executable, "generate.py"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if generated.returncode != 0:
        raise RuntimeError(f"generate.py failed:\n{generated.stdout}{generated.stderr}")
    say(f"$ python generate.py   (source: {source})\n{generated.stdout.rstrip()}")

    cli("s3", "mb", f"s3://{ARTIFACT_BUCKET}")
    packaged_path = workdir / "packaged-parent.yaml"
    cli(
        "cloudformation",
        "package",
        "--template-file",
        "build/parent.yaml",
        "--s3-bucket",
        ARTIFACT_BUCKET,
        "--output-template-file",
        str(packaged_path),
    )
    say(f"$ {cli.calls[-1].shown}")
    packaged = yaml_parse(packaged_path.read_text())

    overrides = [f"{name}={value}" for name, value in PARAMETER_OVERRIDES.items()]
    deploy_parent = cli(
        "cloudformation",
        "deploy",
        "--template-file",
        str(packaged_path),
        "--stack-name",
        STACK_NAME,
        *CAPABILITIES,
        "--parameter-overrides",
        *overrides,
        region=PARENT_TRIAL_REGION,
        check=False,
    )
    attempt = ParentAttempt(
        deploy_parent,
        _stack_status(moto.endpoint, STACK_NAME, PARENT_TRIAL_REGION),
        _last_server_error(moto),
    )
    say(f"$ {deploy_parent.shown}\n  -> exit {deploy_parent.returncode}, {attempt.stack_status}")
    if not attempt.succeeded:
        say(f"  {_last_line(deploy_parent.stderr)}")
        if attempt.moto_error:
            say(f"  moto: {attempt.moto_error}")

    parameters = {
        name: str(spec["Default"])
        for name, spec in packaged.get("Parameters", {}).items()
        if "Default" in spec
    }
    parameters.update(PARAMETER_OVERRIDES)
    cloudformation = client("cloudformation", moto.endpoint)
    s3 = client("s3", moto.endpoint)

    def write_template(name: str, text: str) -> str:
        path = workdir / name
        path.write_text(text)
        return str(path)

    say("moto workaround: each packaged child deployed as a stack of its own")
    scope = moto_workarounds.ParentScope(packaged, parameters, STACK_NAME)
    children = moto_workarounds.deploy_children_one_by_one(
        cli=cli,
        scope=scope,
        read_template=lambda url: _read_s3_url(s3, url),
        write_template=write_template,
        describe_resources=lambda name: cloudformation.describe_stack_resources(StackName=name)[
            "StackResources"
        ],
        get_att=moto_workarounds.service_get_att(lambda service: client(service, moto.endpoint)),
        deploy_arguments=CAPABILITIES,
        say=say,
    )
    resources = {
        title: {
            r["LogicalResourceId"]: r
            for r in cloudformation.describe_stack_resources(StackName=child.stack_name)[
                "StackResources"
            ]
            if r.get("LogicalResourceId")
        }
        for title, child in children.items()
    }
    detached = moto_workarounds.detach_scheduled_rule_targets(client("events", moto.endpoint))
    for item in detached:
        say(f"  schedule-only rule {item.rule} ({item.schedule}): targets taken off in moto")
    mappings = moto_workarounds.disable_event_source_mappings(client("lambda", moto.endpoint))
    for mapping in mappings:
        say(f"  event source mapping {mapping['UUID']}: disabled in moto (the harness polls)")
    return Deployment(
        endpoint=moto.endpoint,
        workdir=workdir,
        source=source,
        generate_output=generated.stdout,
        packaged_parent_path=packaged_path,
        packaged_parent=packaged,
        parent_parameters=parameters,
        parent_attempt=attempt,
        children=children,
        outputs=moto_workarounds.parent_outputs(scope),
        resources=resources,
        cli=cli,
        detached_schedule_targets=detached,
        event_source_mappings=mappings,
    )


def _read_s3_url(s3: Any, url: str) -> str:
    """A TemplateURL that `package` wrote: http://localhost:PORT/BUCKET/KEY (path style)."""
    bucket, key = url.split("://", 1)[1].split("/", 1)[1].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def _stack_status(endpoint: str, stack_name: str, region: str) -> str:
    try:
        stacks = client("cloudformation", endpoint, region).describe_stacks(StackName=stack_name)
    except Exception as error:
        return f"not created ({type(error).__name__})"
    return stacks["Stacks"][0]["StackStatus"]


def _last_server_error(moto: MotoServer) -> str:
    if moto.log_path is None or not moto.log_path.exists():
        return ""
    lines = moto.log_path.read_text(errors="replace").splitlines()
    errors = [line for line in lines if line and not line[0].isspace() and "Error" in line]
    return errors[-1] if errors else ""


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- what the emulator created, through the service APIs ---------------------------------------


def inspect(deployment: Deployment) -> dict[str, Any]:
    """Key properties of what was created, read back from each service (not from CloudFormation)."""
    d = deployment
    s3, iam, ec2 = d.client("s3"), d.client("iam"), d.client("ec2")
    events, sqs, lam = d.client("events"), d.client("sqs"), d.client("lambda")
    logs, sns, kms = d.client("logs"), d.client("sns"), d.client("kms")

    bucket = d.outputs["OutputBucketName"]
    role = d.children["Network"].outputs["InstanceRoleName"]
    rule_name = d.children["Notifications"].outputs["RuleName"]
    function_name = d.outputs["FunctionName"]
    topic_arn = d.outputs["TopicArn"]
    instance_ids = d.outputs["InstanceIds"].split(",")

    function = lam.get_function(FunctionName=function_name)
    code = moto_workarounds.function_code_zip(
        function,
        lambda key: s3.get_object(Bucket=ARTIFACT_BUCKET, Key=key)["Body"].read(),
    )
    log_group = (function["Configuration"].get("LoggingConfig") or {}).get("LogGroup") or (
        d.one("Notifications", "AWS::Logs::LogGroup")
    )
    topic_attributes = sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
    reservations = ec2.describe_instances(InstanceIds=instance_ids)["Reservations"]
    vpc_id = d.children["Network"].outputs["VpcId"]
    return {
        "bucket": {
            "name": bucket,
            "encryption": s3.get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"],
        },
        "instance_role": {
            "name": role,
            "inline_policies": {
                name: iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
                for name in iam.list_role_policies(RoleName=role)["PolicyNames"]
            },
            "attached_policies": [
                p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
            ],
        },
        "network": {
            "vpc": ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["CidrBlock"],
            "subnets": sorted(
                (s["CidrBlock"], s["AvailabilityZone"])
                for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
                    "Subnets"
                ]
            ),
            "instances": [
                {
                    "id": i["InstanceId"],
                    "state": i["State"]["Name"],
                    "subnet": i.get("SubnetId"),
                    "tags": {t["Key"]: t["Value"] for t in i.get("Tags", [])},
                }
                for r in reservations
                for i in r["Instances"]
            ],
        },
        "rule": {
            "name": rule_name,
            "state": events.describe_rule(Name=rule_name)["State"],
            "pattern": json.loads(events.describe_rule(Name=rule_name)["EventPattern"]),
            "targets": events.list_targets_by_rule(Rule=rule_name)["Targets"],
        },
        "queue": _queue_attributes(sqs, d.outputs["QueueUrl"]),
        "dead_letter_queue": _queue_attributes(sqs, d.outputs["DeadLetterQueueUrl"]),
        "function": {
            "configuration": function["Configuration"],
            "code_files": sorted(zipfile.ZipFile(io.BytesIO(code)).namelist()),
            "code_zip": code,
            "event_source_mappings": [
                mapping
                for mapping in d.event_source_mappings
                if mapping["FunctionArn"] == function["Configuration"]["FunctionArn"]
            ],
        },
        "log_group": next(
            group
            for group in logs.describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
            if group["logGroupName"] == log_group
        ),
        "topic": {
            "arn": topic_arn,
            "attributes": topic_attributes,
            "subscriptions": sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"],
            "key_rotation": kms.get_key_rotation_status(KeyId=topic_attributes["KmsMasterKeyId"])[
                "KeyRotationEnabled"
            ],
        },
    }


def _queue_attributes(sqs: Any, url: str) -> dict[str, Any]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    if "RedrivePolicy" in attributes:
        attributes["RedrivePolicy"] = json.loads(attributes["RedrivePolicy"])
    return {"url": url, **attributes}


# -- the pipeline -------------------------------------------------------------------------------


def association_event(
    instance_id: str,
    status: str,
    association_id: str,
    document_name: str = "AWS-UpdateSSMAgent",
    account: str = "123456789012",
    region: str = REGION,
    **detail: str,
) -> dict[str, Any]:
    """An `EC2 State Manager Instance Association State Change` event as AWS documents it."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    failed = status == "Failed"
    body = {
        "association-id": association_id,
        "instance-id": instance_id,
        "document-name": document_name,
        "document-version": "1",
        "targets": json.dumps([{"key": "InstanceIds", "values": [instance_id]}]),
        "creation-date": now,
        "last-successful-execution-date": "" if failed else now,
        "last-execution-date": now,
        "last-updated-date": now,
        "status": status,
        "detailed-status": status,
        "error-code": "ExecutionError" if failed else "",
        "execution-summary": (
            "1 out of 1 plugin processed, 0 success, 1 failed"
            if failed
            else "1 out of 1 plugin processed, 1 success, 0 failed"
        ),
        "output-url": "",
        "instance-association-cwe-version": "1",
        **detail,
    }
    return {
        "source": "aws.ssm",
        "detail-type": DETAIL_TYPE,
        "account": account,
        "region": region,
        # AWS-owned documents' ARNs carry an empty account field (DESIGN.md).
        "resources": [
            f"arn:aws:ec2:{region}:{account}:instance/{instance_id}",
            f"arn:aws:ssm:{region}::document/{document_name}",
        ],
        "detail": body,
    }


@dataclass
class Invocation:
    records: list[dict[str, Any]]
    response: dict[str, Any]
    log_lines: list[dict[str, Any]]
    seconds: float

    @property
    def failed_ids(self) -> list[str]:
        return [item["itemIdentifier"] for item in self.response["batchItemFailures"]]


@dataclass
class Email:
    subject: str
    body: str


class LambdaContext:
    """The parts of the Lambda context object a handler may read, from the deployed function."""

    def __init__(self, configuration: Mapping[str, Any]) -> None:
        self.function_name = configuration["FunctionName"]
        self.function_version = configuration.get("Version", "$LATEST")
        self.invoked_function_arn = configuration["FunctionArn"]
        self.memory_limit_in_mb = configuration["MemorySize"]
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = (configuration.get("LoggingConfig") or {}).get("LogGroup", "")
        self._deadline = time.monotonic() + configuration["Timeout"]

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


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
        self.topic_arn = deployment.outputs["TopicArn"]
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        self.function = self.lam.get_function(FunctionName=deployment.outputs["FunctionName"])
        self._handler: DeployedCode | None = None

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
        configuration = self.function["Configuration"]
        variables = (configuration.get("Environment") or {}).get("Variables", {})
        handler = self._deployed_handler(configuration["Handler"])
        output = io.StringIO()
        started = time.monotonic()
        with _environment(variables), contextlib.redirect_stdout(output):
            response = handler({"Records": records}, LambdaContext(configuration))
        invocation = Invocation(
            records,
            response,
            [json.loads(line) for line in output.getvalue().splitlines() if line.startswith("{")],
            time.monotonic() - started,
        )
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


@contextlib.contextmanager
def _environment(variables: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class DeployedCode:
    """The handler from the deployed zip, not from handler/ of the work tree.

    Its package is imported with the zip's directory first on sys.path, and its modules are put in
    sys.modules only while it runs (`with code:`); any copy imported from elsewhere (the handler's
    unit tests import it from handler/) is set aside meanwhile and put back afterwards.
    """

    def __init__(self, code_dir: Path, entry_point: str) -> None:
        module_name, self.function_name = entry_point.rsplit(".", 1)
        self.package = module_name.split(".", 1)[0]
        self.modules: dict[str, Any] = {}
        self.logger_state: tuple[list[logging.Handler], int, bool] = ([], logging.NOTSET, True)
        with self:
            sys.path.insert(0, str(code_dir))
            try:
                module = importlib.import_module(module_name)
            finally:
                sys.path.remove(str(code_dir))
            origin = Path(module.__file__ or "").resolve()
            if code_dir.resolve() not in origin.parents:
                raise AssertionError(f"{module_name} was imported from {origin}, not the zip")
            self.function = getattr(module, self.function_name)

    def _ours(self) -> list[str]:
        return [n for n in sys.modules if n == self.package or n.startswith(self.package + ".")]

    def __enter__(self) -> DeployedCode:
        self._saved = {name: sys.modules.pop(name) for name in self._ours()}
        sys.modules.update(self.modules)
        # The package's logger is process-wide: the deployed code's handlers must not stay on it
        # (the work tree's copy would not recognise them and would log every line twice).
        logger = logging.getLogger(self.package)
        self._saved_logger = (logger.handlers[:], logger.level, logger.propagate)
        logger.handlers[:], logger.level, logger.propagate = self.logger_state
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.modules = {name: sys.modules.pop(name) for name in self._ours()}
        sys.modules.update(self._saved)
        logger = logging.getLogger(self.package)
        self.logger_state = (logger.handlers[:], logger.level, logger.propagate)
        logger.handlers[:], logger.level, logger.propagate = self._saved_logger

    def __call__(self, event: Any, context: Any) -> Any:
        with self:
            return self.function(event, context)
