"""`tox -e org`: the organization deploy on one local emulator, from a member's event to the inbox.

    python tests/e2e/org_demo.py [--keep DIR]

On one moto server (taught first what it lacks: emulator_extensions): an organization (the
management account is the hub, two target OUs with three member accounts, a third OU whose
member gets no spoke), two regions. The hub is deployed with the real AWS CLI, Scope=organization
(generate.py, `aws cloudformation package`, each nested stack with `aws cloudformation deploy`:
moto cannot nest, moto_workarounds 1). moto skips the AWS::CloudFormation::StackSet inside the
hub stack, so the harness creates that StackSet through the CloudFormation API from the hub
stack's own properties (workaround 14); moto's service-managed StackSet then deploys the spoke
template into every member account of the target OUs in both regions, as AWS does.

Then: association events are put on the default bus of member accounts; the spokes' rules forward
them to the hub bus (moto rebuilds forwarded events: workaround 13 keeps their account and region
as AWS does), the hub rule to the queue; the deployed notifier runs on what the queue holds
(as tests/e2e/pipeline.py runs it) and its digests reach a test subscription of the topic. The
failed runs' output is read in the member account through the spoke's reader role (the emulator
serves those reads only to that account's credentials and records them). The deployed sweep runs
as AWS runs it (its code from the zip, in this process: `DeployedSweep`): the scheduled event plans
a run over the StackSet's instances and the hub's own place (one "list" unit each, which lists
that place's associations through its reader role and queues their checks); each unit of work on
its queue is one invocation with the SQS event the event source mapping would send; the last
queues the collect, whose one digest names the instance planted as missed in a
member (under its account and region) and, from coverage.py, the member that has no spoke.

Last line: the counts, each read from what the emulator holds (queue receipts, the topic
subscription's messages, the reads served per account, the StackSet's instances):
`org: accounts=N regions=N events_forwarded=N emails=N accounts_in_emails=N
enriched_cross_account=N missed_cross_account=N silent_reported=N`.
Exits non-zero if any step does not do what it should.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import shutil
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# The harness's modules by their plain names; the project root; the handler package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "handler"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3
import botocore.config
import botocore.credentials
import moto_workarounds
from aws_cli import aws_environment
from awscli.customizations.cloudformation.yamlhelper import yaml_parse
from deploy import ARTIFACT_BUCKET, Deployment, deploy
from deployed_code import DeployedCode, invoke_as_runtime
from emulator import REGION, MotoServer
from pipeline import (
    FAILED_OUTPUT,
    Pipeline,
    emulator_call,
    live_event,
    update_agent_targets,
)
from readback import function_logging_config

HUB_REGION = REGION
OTHER_REGION = "eu-west-1"
REGIONS = (HUB_REGION, OTHER_REGION)
ACCESS_ROLE = "OrganizationAccountAccessRole"
DOCUMENT = "AWS-UpdateSSMAgent"
IMAGE_ID = "ami-12c6146b"  # any image id does for moto's EC2
# Where member events are put (account index, region): a failed and a successful run each.
SENDING = ((0, HUB_REGION), (1, OTHER_REGION), (2, HUB_REGION))
# Where an instance is planted that the association never ran on.
MISSED_AT = (1, OTHER_REGION)


def say(text: str = "") -> None:
    print(text, flush=True)


def check(ok: bool, what: str) -> None:
    say(f"  [{'ok' if ok else 'FAILED'}] {what}")
    if not ok:
        raise SystemExit(f"org demo failed: {what}")


@dataclass
class Organization:
    management: str
    organization_id: str
    target_ous: list[str]
    members: list[str]  # accounts in the target OUs
    spokeless: str  # an account in an OU the StackSet does not target
    names: dict[str, str] = field(default_factory=dict)


class Emulator:
    """Clients on the one server: the hub's (moto's default account), or a member's."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._credentials: dict[str, dict[str, str]] = {}

    def hub(self, service: str, region: str = HUB_REGION) -> Any:
        return self._client(service, region, {})

    def member(self, account: str, service: str, region: str) -> Any:
        return self._client(service, region, self.member_credentials(account))

    def member_credentials(self, account: str) -> dict[str, str]:
        """The member's own credentials, through its access role (as an administrator would)."""
        if account not in self._credentials:
            given = self.hub("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", RoleSessionName="org-demo"
            )["Credentials"]
            self._credentials[account] = {
                "aws_access_key_id": given["AccessKeyId"],
                "aws_secret_access_key": given["SecretAccessKey"],
                "aws_session_token": given["SessionToken"],
            }
        return self._credentials[account]

    def call_as_member(self, account: str, target: str, body: dict, region: str) -> Any:
        """An emulator extension's test-only SSM action, signed with the member's credentials."""
        given = self.member_credentials(account)
        credentials = botocore.credentials.Credentials(
            given["aws_access_key_id"],
            given["aws_secret_access_key"],
            given["aws_session_token"],
        )
        return emulator_call(self.endpoint, "ssm", target, body, credentials, region)

    def _client(self, service: str, region: str, credentials: dict[str, str]) -> Any:
        session = boto3.session.Session(
            aws_access_key_id=credentials.get("aws_access_key_id", "testing"),
            aws_secret_access_key=credentials.get("aws_secret_access_key", "testing"),
            aws_session_token=credentials.get("aws_session_token", "testing"),
            region_name=region,
        )
        return session.client(
            service,
            endpoint_url=self.endpoint,
            config=botocore.config.Config(connect_timeout=10, read_timeout=30),
        )


def build_organization(aws: Emulator) -> Organization:
    organizations = aws.hub("organizations")
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root = organizations.list_roots()["Roots"][0]["Id"]

    def new_ou(name: str) -> str:
        return organizations.create_organizational_unit(ParentId=root, Name=name)[
            "OrganizationalUnit"
        ]["Id"]

    targets = [new_ou("Workloads"), new_ou("Sandbox")]
    unmanaged = new_ou("Unmanaged")
    names = {organization["MasterAccountId"]: "management"}

    def new_account(name: str, ou: str) -> str:
        status = organizations.create_account(Email=f"{name}@example.com", AccountName=name)[
            "CreateAccountStatus"
        ]
        account = status["AccountId"]
        organizations.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
        names[account] = name
        return account

    members = [new_account(f"member{i}", targets[i % 2]) for i in range(3)]
    spokeless = new_account("no-spoke", unmanaged)
    return Organization(
        organization["MasterAccountId"], organization["Id"], targets, members, spokeless, names
    )


# -- workarounds 14 and 15: the StackSet through the API --------------------------------------


def _evaluate(value: Any, parameters: dict[str, str], stack_name: str) -> Any:
    """The few intrinsic functions of the hub stack's StackSet properties."""
    if isinstance(value, list):
        return [_evaluate(item, parameters, stack_name) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        return re.sub(
            r"\$\{([A-Za-z0-9:]+)\}",
            lambda name: stack_name if name[1] == "AWS::StackName" else parameters[name[1]],
            value["Fn::Sub"],
        )
    if set(value) == {"Fn::Join"}:
        separator, items = value["Fn::Join"]
        items = _evaluate(items, parameters, stack_name)
        return separator.join(items.split(",") if isinstance(items, str) else items)
    return {key: _evaluate(item, parameters, stack_name) for key, item in value.items()}


def create_spokes(aws: Emulator, deployment: Deployment, organization: Organization) -> str:
    """The hub stack's StackSet, created through the API with that stack's own properties
    (moto skips AWS::CloudFormation::StackSet in a stack: workaround 14); returns its name."""
    hub = deployment.children["Hub"]
    template = yaml_parse(Path(hub.template_path).read_text())
    declared = template["Parameters"]
    parameters = {
        name: str(spec["Default"]) for name, spec in declared.items() if "Default" in spec
    }
    parameters.update(hub.parameters)
    for name, spec in declared.items():  # a list parameter's Ref is a list
        if spec["Type"] == "CommaDelimitedList":
            parameters[name] = [item for item in parameters.get(name, "").split(",") if item]
    properties = _evaluate(
        template["Resources"]["SpokeStackSet"]["Properties"], parameters, hub.stack_name
    )
    body = properties["TemplateBody"]
    passed = {p["ParameterKey"]: p["ParameterValue"] for p in properties["Parameters"]}
    # Workaround 15: moto splits a CommaDelimitedList it is given, not its Default; each list the
    # StackSet leaves at its default is passed explicitly with that default.
    for name, spec in json.loads(body)["Parameters"].items():
        if spec["Type"] == "CommaDelimitedList" and name not in passed:
            passed[name] = str(spec.get("Default", ""))
    (group,) = properties["StackInstancesGroup"]
    cloudformation = aws.hub("cloudformation")
    cloudformation.create_stack_set(
        StackSetName=properties["StackSetName"],
        Description=properties["Description"],
        TemplateBody=body,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(passed.items())],
        Capabilities=properties["Capabilities"],
        PermissionModel=properties["PermissionModel"],
        AutoDeployment={
            "Enabled": properties["AutoDeployment"]["Enabled"],
            "RetainStacksOnAccountRemoval": properties["AutoDeployment"][
                "RetainStacksOnAccountRemoval"
            ]
            == "true",
        },
        CallAs=properties["CallAs"],
        ManagedExecution=properties["ManagedExecution"],
    )
    preferences = properties["OperationPreferences"]
    cloudformation.create_stack_instances(
        StackSetName=properties["StackSetName"],
        DeploymentTargets={
            "OrganizationalUnitIds": group["DeploymentTargets"]["OrganizationalUnitIds"]
        },
        Regions=group["Regions"],
        OperationPreferences={
            "RegionConcurrencyType": preferences["RegionConcurrencyType"],
            "FailureTolerancePercentage": int(preferences["FailureTolerancePercentage"]),
            "MaxConcurrentPercentage": int(preferences["MaxConcurrentPercentage"]),
        },
        CallAs=properties["CallAs"],
    )
    return properties["StackSetName"]


# -- a member's association runs --------------------------------------------------------------


def launch(aws: Emulator, account: str, region: str, count: int) -> list[str]:
    reservation = aws.member(account, "ec2", region).run_instances(
        ImageId=IMAGE_ID, MinCount=count, MaxCount=count, InstanceType="t3.micro"
    )
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def member_run(aws: Emulator, account: str, region: str) -> list[dict[str, Any]]:
    """A run of the agent update in the member: one instance updated, one failed; recorded in
    the member's account and region; returned as the two events State Manager would put."""
    succeeded, failed = launch(aws, account, region, 2)
    association = str(uuid.uuid4())
    run = aws.call_as_member(
        account,
        "AmazonSSM.SimulateAssociationRun",
        {
            "AssociationId": association,
            "DocumentName": DOCUMENT,
            "Targets": update_agent_targets(succeeded, failed),
        },
        region,
    )
    return [
        live_event(
            instance, status, association, time=run["CreatedTime"], region=region, account=account
        )
        for instance, status in ((succeeded, "Success"), (failed, "Failed"))
    ]


def put_on_default_bus(events_client: Any, events: list[dict[str, Any]]) -> None:
    response = events_client.put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "Resources": event["resources"],
                "Time": datetime.now(UTC),
            }
            for event in events
        ]
    )
    if response["FailedEntryCount"]:
        raise SystemExit(f"put_events failed: {response['Entries']}")


def plant_missed_instance(aws: Emulator, account: str, region: str) -> str:
    """An association of the watched document on two instances; its one run reached one of
    them, the other was stopped (no run, no event). Returns the missed instance's id."""
    ran, missed = launch(aws, account, region, 2)
    aws.member(account, "ec2", region).stop_instances(InstanceIds=[missed])
    planted = aws.call_as_member(
        account,
        "AmazonSSM.PlantAssociation",
        {
            "Name": DOCUMENT,
            "Targets": [{"Key": "InstanceIds", "Values": [ran, missed]}],
            "ScheduleExpression": "rate(1 day)",
            "ManagedNodes": [{"InstanceId": ran, "PingStatus": "Online"}],
        },
        region,
    )
    aws.call_as_member(
        account,
        "AmazonSSM.SimulateAssociationRun",
        {
            "AssociationId": planted["AssociationId"],
            "DocumentName": DOCUMENT,
            "Targets": [{"InstanceId": ran, "Status": "Success"}],
        },
        region,
    )
    return missed


# -- the run ----------------------------------------------------------------------------------


def run(moto: MotoServer, workdir: Path) -> str:
    started = time.monotonic()
    aws = Emulator(moto.endpoint)

    say("== The organization")
    organization = build_organization(aws)
    for account, name in organization.names.items():
        say(f"  {account} {name}")
    check(len(organization.members) >= 3, "at least three member accounts in the target OUs")

    say("\n== The hub, deployed with the AWS CLI (Scope=organization)")
    overrides = {
        "Scope": "organization",
        "FleetMode": "existing",
        "OrganizationId": organization.organization_id,
        "TargetOrganizationalUnitIds": ",".join(organization.target_ous),
        "SpokeRegions": ",".join(REGIONS),
    }
    deployment = deploy(moto, workdir, say=lambda text: say(_indent(text)), overrides=overrides)
    check("Hub" in deployment.children, "the parent nests the hub stack under Scope=organization")
    notifications = deployment.children["Notifications"]
    hub_bus_arn = notifications.outputs["HubEventBusArn"]
    check(hub_bus_arn.endswith(":event-bus/" + notifications.outputs["HubEventBusName"]), "hub bus")

    say("\n== The spokes, through the StackSet API (moto skips the StackSet in a stack)")
    stack_set = create_spokes(aws, deployment, organization)
    cloudformation = aws.hub("cloudformation")
    instances = cloudformation.list_stack_instances(StackSetName=stack_set)["Summaries"]
    placed = {(i["Account"], i["Region"]) for i in instances}
    for account, region in sorted(placed):
        say(f"  spoke {account} {region}: {organization.names.get(account, '?')}")
    expected = {(a, r) for a in organization.members for r in REGIONS}
    check(placed == expected, "a spoke in every member of the target OUs, in every region")
    check(organization.management not in {a for a, _ in placed}, "none in the management account")
    reader = aws.member(organization.members[0], "iam", OTHER_REGION).get_role(
        RoleName=f"ssm-notifier-reader-{OTHER_REGION}"
    )
    check(bool(reader["Role"]["Arn"]), "the spoke's named reader role exists in the member")

    say("\n== Association events in member accounts, and one in the hub's own account")
    pipeline = Pipeline(deployment)
    inbox = pipeline.subscribe_inbox("org-inbox")
    put_where: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for index, region in SENDING:
        account = organization.members[index]
        events = member_run(aws, account, region)
        put_on_default_bus(aws.member(account, "events", region), events)
        put_where[(account, region)] = events
        say(f"  {account} {region}: {len(events)} events put on its default bus")
    hub_event = live_event("i-0hub00000000000001", "Success", str(uuid.uuid4()))
    put_on_default_bus(aws.hub("events"), [hub_event])
    say(f"  {organization.management} {HUB_REGION}: 1 event (the hub's own default-bus rule)")
    aws.member(organization.spokeless, "events", HUB_REGION).put_events(
        Entries=[
            {
                "Source": "aws.ssm",
                "DetailType": hub_event["detail-type"],
                "Detail": json.dumps(hub_event["detail"]),
            }
        ]
    )
    say(f"  {organization.spokeless} {HUB_REGION}: 1 event, no spoke to forward it")

    records = pipeline.receive_batch()
    bodies = [json.loads(record["body"]) for record in records]
    arrived = {(body.get("account"), body.get("region")) for body in bodies}
    forwarded = [b for b in bodies if b.get("account") != organization.management]
    check(arrived == {*put_where, (organization.management, HUB_REGION)}, "each place's events")
    check(
        len(forwarded) == sum(len(events) for events in put_where.values()),
        "every member event forwarded, with its account and region (workaround 13)",
    )
    check(organization.spokeless not in {b.get("account") for b in bodies}, "none without spoke")

    say("\n== The deployed notifier on the queue's batch")
    invocation = pipeline.invoke(records)
    check(invocation.failed_ids == [], "no record handed back")
    notifier_emails = inbox.emails()
    for email in notifier_emails:
        say(f"  email: {email.subject}")
    reads = emulator_call(moto.endpoint, "ssm", "AmazonSSM.ListSimulatedRunReads", {})["Reads"]
    enriched, named = set(), set()
    for (account, region), _events in put_where.items():
        served = any(
            r["Account"] == account
            and r["Region"] == region
            and r["Action"] == "GetCommandInvocation"
            for r in reads
        )
        # The digest heads each association's section "== ACCOUNT (NAME) REGION association ...",
        # the name read from Organizations.
        headings = [
            heading
            for e in notifier_emails
            for section in re.split(r"^== ", e.body, flags=re.MULTILINE)[1:]
            if FAILED_OUTPUT.splitlines()[-1] in section
            and (heading := re.match(rf"{account}(?: \((?P<name>[^)]*)\))? {region} ", section))
        ]
        if served and headings:
            enriched.add((account, region))
        if any(heading["name"] == organization.names.get(account) for heading in headings):
            named.add((account, region))
    check(enriched == set(put_where), "each member's failed output read there and emailed")
    check(named == set(put_where), "each member's section named by its Organizations account name")
    check(
        all(len(e.subject) < 100 and e.subject.isascii() for e in notifier_emails)
        and any(" accounts, " in e.subject for e in notifier_emails),
        "subjects say how many accounts and regions, within SNS's limit",
    )
    check(
        not any(r["Account"] == organization.management for r in reads),
        "no member run read with the hub's own credentials",
    )

    say("\n== The deployed sweep: plan, a unit of work per association on its queue, collect")
    missed_account, missed_region = organization.members[MISSED_AT[0]], MISSED_AT[1]
    missed_instance = plant_missed_instance(aws, missed_account, missed_region)
    sweep = DeployedSweep(deployment)
    check(
        sweep.variables.get("SCOPE") == "organization", "the sweep function runs organization-wide"
    )
    check(sweep.variables.get("SPOKE_STACK_SET_NAME") == stack_set, "it knows the spokes' StackSet")
    planned = sweep.scheduled(datetime.now(UTC))
    say(f"  plan: {planned}")
    check(planned.get("places") == len(placed) + 1, "a place for every spoke and the hub's own")
    work = sweep.drain()
    listed = {(m["account"], m["region"]) for m in work if m["kind"] == "list"}
    check(
        listed == placed | {(organization.management, HUB_REGION)},
        "one list unit per place, each an invocation of its own",
    )
    checks = [message for message in work if message["kind"] == "check"]
    for message in checks:
        say(f"  check {message.get('account')} {message.get('region')}: {message['unit']}")
    check(
        any(
            m.get("account") == missed_account and m.get("region") == missed_region for m in checks
        ),
        "a check unit for the member's association, carrying its account and region",
    )
    check(
        [m["kind"] for m in work].count("collect") == 1 and work[-1]["kind"] == "collect",
        "the last unit queued one collect",
    )
    check(sweep.failed == [], "no work message handed back")
    sweep_emails = inbox.emails()
    digests = [email for email in sweep_emails if email.body.startswith(SWEEP_DIGEST)]
    for email in sweep_emails:
        say(f"  email: {email.subject}")
    check(len(digests) == 1 and digests == sweep_emails, "one sweep digest for the organization")
    [digest] = digests
    say(_indent(digest.body))
    missed_cross = [
        (account, region, instance)
        for account, region, instance in missed_in_digest(digest.body)
        if account != organization.management
    ]
    check(
        (missed_account, missed_region, missed_instance) in missed_cross,
        f"the instance planted as missed in {missed_account} {missed_region} is in the digest, "
        "under its account and region",
    )

    say("\n== Coverage, as the sweep's digest says it")
    coverage = coverage_lines(digest.body)
    check(
        f"Coverage: {len(placed) + 1} account-regions should report" in digest.body,
        "every StackSet instance and the hub's own region expected",
    )
    check(
        any(line.startswith(f"no spoke: {organization.spokeless}") for line in coverage),
        "the member with no spoke is named",
    )
    silent_reported = len(coverage)

    emails = notifier_emails + sweep_emails
    accounts_in_emails = {
        match
        for email in emails
        # The notifier's sections ("== ACCOUNT REGION ...") and the sweep's ("Account: ACCOUNT").
        for match in re.findall(r"^(?:== |Account: +)(\d{12})", email.body, re.MULTILINE)
        if match != organization.management
    }
    say(f"\n(run time {time.monotonic() - started:.0f} s)")
    return (
        f"org: accounts={len(organization.names)} regions={len(REGIONS)} "
        f"events_forwarded={len(forwarded)} emails={len(emails)} "
        f"accounts_in_emails={len(accounts_in_emails)} enriched_cross_account={len(enriched)} "
        f"missed_cross_account={len(missed_cross)} silent_reported={silent_reported}"
    )


SWEEP_DIGEST = "SSM missed-instance sweep:"


class DeployedSweep:
    """The deployed sweep function, run in this process as AWS runs it (the code from its zip,
    its environment and context: deployed_code): its schedule's event, then its work queue's
    event source mapping (BatchSize 1: one record an invocation, deleted unless handed back)
    until the queue is empty. moto's event source mapping invokes nothing; this does its part."""

    def __init__(self, deployment: Deployment) -> None:
        name = deployment.children["Sweep"].outputs["SweepFunctionName"]
        function = deployment.client("lambda").get_function(FunctionName=name)
        self.configuration = {
            **function["Configuration"],
            "LoggingConfig": function_logging_config(deployment, name),
        }
        self.variables = self.configuration["Environment"]["Variables"]
        self.sqs = deployment.client("sqs")
        self.queue_url = self.variables["WORK_QUEUE_URL"]
        self.queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        code = moto_workarounds.function_code_zip(
            function,
            lambda key: (
                deployment.client("s3").get_object(Bucket=ARTIFACT_BUCKET, Key=key)["Body"].read()
            ),
        )
        code_dir = deployment.workdir / f"sweep-{hashlib.sha256(code).hexdigest()[:12]}"
        zipfile.ZipFile(io.BytesIO(code)).extractall(code_dir)
        self.code = DeployedCode(code_dir, self.configuration["Handler"])
        self.failed: list[dict[str, Any]] = []

    def scheduled(self, when: datetime) -> dict[str, Any]:
        """The invocation the sweep's schedule makes (an EventBridge Scheduled Event)."""
        account = self.queue_arn.split(":")[4]
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": HUB_REGION,
            "resources": [],
            "detail": {},
        }
        return invoke_as_runtime(self.code, event, self.configuration).response

    def drain(self, most: int = 200) -> list[dict[str, Any]]:
        """Every work message, one an invocation, in the order the queue gives them (what was
        queued meanwhile too); returns their bodies."""
        done: list[dict[str, Any]] = []
        for _ in range(most):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=1,
                MessageSystemAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not messages:
                return done
            [message] = messages
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": dict(message.get("Attributes", {})),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": self.queue_arn,
                "awsRegion": HUB_REGION,
            }
            answer = invoke_as_runtime(self.code, {"Records": [record]}, self.configuration)
            if answer.response.get("batchItemFailures"):
                self.failed.append(record)
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
            done.append(json.loads(message["Body"]))
        raise SystemExit(f"org demo failed: more than {most} work messages")


def missed_in_digest(body: str) -> list[tuple[str, str, str]]:
    """(account, region, instance) of every missed instance the digest lists, read from its
    Account:/Region: group lines and its instance lines."""
    account = region = ""
    found = []
    for line in body.splitlines():
        if heading := re.match(r"^Account: +(\d{12})", line):
            account = heading[1]
        elif heading := re.match(r"^Region: +(\S+)$", line):
            region = heading[1]
        elif (instance := re.match(r"^  ((?:i|mi)-[0-9a-f]+): ", line)) and account:
            found.append((account, region, instance[1]))
    return found


def coverage_lines(body: str) -> list[str]:
    """The coverage lines of a sweep digest: silent spokes, spokes not CURRENT, no spoke."""
    return [
        line.strip()
        for line in body.splitlines()
        if re.match(r"^  (silent|spoke [a-z_]+|no spoke): ", line)
    ]


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the work files (templates, logs) here")
    arguments = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="ssm-notifier-org-"))
    try:
        with MotoServer(log_path=workdir / "moto.log") as moto, aws_environment(moto.endpoint):
            line = run(moto, workdir)
    finally:
        if arguments.keep:
            shutil.copytree(workdir, arguments.keep, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
