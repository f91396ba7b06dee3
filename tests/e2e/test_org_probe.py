"""What the emulator (moto, in process) really does for an organization, probed once.

Each test states one behaviour of moto 5.2.5 that `tox -e org` will build on, or one gap it
must work around; a test fails when moto changes, so the list below stays true:

- Organizations: an organization, OUs (nested too) and member accounts moved into them, with
  AWS's id shapes; account names readable from the management account.
- STS: assuming any role ARN of a member gives that account's credentials (no role or trust
  check), and resources made with them live in that account only.
- EventBridge: a member's rule whose target is the hub's bus ARN delivers into the hub bus's
  rules, also from another region; what arrives is rebuilt (no "account" field, the hub's region,
  no resources, a new id). A bus policy is stored but not enforced: an outsider's events arrive.
- CloudFormation: a SERVICE_MANAGED StackSet with OrganizationalUnitIds creates the spoke's
  resources (named role, rule, queue) in every account of the OUs and their child OUs, one level
  down only, in every region, as hidden stacks; those spokes forward into the hub. Automatic
  deployment is not implemented; the AWS::CloudFormation::StackSet and
  AWS::Events::EventBusPolicy resource types are skipped in a stack (it still completes); a
  CommaDelimitedList parameter left at its Default is not split into a list.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from typing import Any, NamedTuple

import boto3
import pytest

from templates import common, hub, names, spoke
from templates.config import Config
from templates.notifications import DETAIL_TYPE

pytestmark = pytest.mark.e2e

moto = pytest.importorskip("moto")

HUB_REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
MEMBERS = 3
ACCESS_ROLE = "OrganizationAccountAccessRole"


class Org(NamedTuple):
    management: str
    organization_id: str
    root_id: str
    ou_ids: list[str]
    members: list[str]  # account ids, in OUs
    nested_member: str  # in an OU under ou_ids[0]
    deep_member: str  # in an OU two levels under ou_ids[0]


def session(account: str | None = None, region: str = HUB_REGION) -> boto3.Session:
    """The management account's session, or a member's through its access role."""
    if account is None:
        return boto3.Session(region_name=region)
    credentials = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", RoleSessionName="probe"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


@pytest.fixture
def aws(monkeypatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", HUB_REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    with moto.mock_aws():
        yield


@pytest.fixture
def org(aws) -> Org:
    organizations = boto3.client("organizations", region_name=HUB_REGION)
    organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
    root_id = organizations.list_roots()["Roots"][0]["Id"]
    ou_ids = [
        organizations.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"][
            "Id"
        ]
        for name in ("Workloads", "Sandbox")
    ]
    nested_ou = organizations.create_organizational_unit(ParentId=ou_ids[0], Name="Team")[
        "OrganizationalUnit"
    ]["Id"]

    def new_account(index: int, parent: str) -> str:
        status = organizations.create_account(
            Email=f"member{index}@example.com", AccountName=f"member{index}"
        )["CreateAccountStatus"]
        assert status["State"] == "SUCCEEDED"  # at once: no polling needed on the emulator
        account = status["AccountId"]
        organizations.move_account(
            AccountId=account, SourceParentId=root_id, DestinationParentId=parent
        )
        return account

    members = [new_account(i, ou_ids[i % 2]) for i in range(MEMBERS)]
    deep_ou = organizations.create_organizational_unit(ParentId=nested_ou, Name="Project")[
        "OrganizationalUnit"
    ]["Id"]
    nested = new_account(MEMBERS, nested_ou)
    deep = new_account(MEMBERS + 1, deep_ou)
    return Org(
        organization["MasterAccountId"],
        organization["Id"],
        root_id,
        ou_ids,
        members,
        nested,
        deep,
    )


def test_organization_accounts_and_ous_have_aws_shapes(org):
    assert re.fullmatch(r"o-[a-z0-9]{10,32}", org.organization_id)
    assert re.fullmatch(r"r-[0-9a-z]{4,32}", org.root_id)
    for ou in org.ou_ids:
        assert re.fullmatch(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", ou)
        assert re.fullmatch(hub.OU_ID_PATTERN, ou)
    assert re.fullmatch(spoke.ORGANIZATION_ID_PATTERN, org.organization_id)
    assert len(set(org.members)) == MEMBERS and org.management not in org.members
    assert org.nested_member not in org.members and org.deep_member not in org.members
    organizations = boto3.client("organizations", region_name=HUB_REGION)
    in_first_ou = organizations.list_accounts_for_parent(ParentId=org.ou_ids[0])["Accounts"]
    assert {a["Id"] for a in in_first_ou} == {org.members[0], org.members[2]}
    # What a digest labels an account with: its name, from the management account.
    assert organizations.describe_account(AccountId=org.members[1])["Account"]["Name"] == "member1"
    every = {a["Id"] for a in organizations.list_accounts()["Accounts"]}
    assert every == {org.management, *org.members, org.nested_member, org.deep_member}


def test_assume_role_gives_the_member_accounts_credentials_without_a_trust_check(org):
    member = session(org.members[0])
    assert member.client("sts").get_caller_identity()["Account"] == org.members[0]
    # Resources made with those credentials live in the member, not in the management account.
    member.client("sqs").create_queue(QueueName="only-in-member")
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []
    # No such role was ever created in the member: moto hands out credentials regardless,
    # so a spoke's reader-role trust policy is not exercised by the emulator.
    stranger = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{org.members[1]}:role/never-created", RoleSessionName="probe"
    )
    assert stranger["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{org.members[1]}:")


def _hub_bus_with_queue(bus_name: str = "hub") -> tuple[str, str]:
    """The hub's bus, a rule on it for association events, a queue it delivers to."""
    events = boto3.client("events")
    bus_arn = events.create_event_bus(Name=bus_name)["EventBusArn"]
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="hub-queue")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="hub-rule",
        EventBusName=bus_name,
        EventPattern=json.dumps({"source": ["aws.ssm"], "detail-type": [DETAIL_TYPE]}),
    )
    events.put_targets(
        Rule="hub-rule", EventBusName=bus_name, Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    return bus_arn, queue_url


def _association_event(account: str, region: str, instance: str) -> dict[str, Any]:
    return {
        "Source": "aws.ssm",
        "DetailType": DETAIL_TYPE,
        "Resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance}"],
        "Detail": json.dumps(
            {
                "association-id": "11111111-2222-3333-4444-555555555555",
                "instance-id": instance,
                "document-name": "AWS-UpdateSSMAgent",
                "status": "Failed",
            }
        ),
    }


def _received(queue_url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_a_members_rule_delivers_into_the_hub_bus_rules_across_accounts_and_regions(org):
    bus_arn, queue_url = _hub_bus_with_queue()
    for account, region in [(org.members[0], HUB_REGION), (org.members[1], OTHER_REGION)]:
        events = session(account, region).client("events")
        events.put_rule(
            Name="forward",
            EventPattern=json.dumps(
                common.association_event_pattern(["AWS-UpdateSSMAgent"], ["Success", "Failed"])
            ),
        )
        events.put_targets(
            Rule="forward",
            Targets=[
                {
                    "Id": "hub",
                    "Arn": bus_arn,
                    "RoleArn": f"arn:aws:iam::{account}:role/forward",
                }
            ],
        )
        events.put_events(Entries=[_association_event(account, region, f"i-{account[-6:]}")])

    arrived = _received(queue_url)
    assert len(arrived) == 2
    sources = {event["detail"]["instance-id"] for event in arrived}
    assert sources == {f"i-{org.members[0][-6:]}", f"i-{org.members[1][-6:]}"}
    for event in arrived:
        # Fidelity gap: the event is rebuilt on the hub bus. Real EventBridge keeps the sending
        # account, region, resources and id; moto re-puts only source, detail-type and detail
        # (resources dropped, a new id and time, the hub's region), and its default target input
        # has no "account" field at all (for any rule target, same-account ones too). A test
        # that needs the member must find it another way (the instance id it planted, or the
        # harness's own record of what it put where). moto also accepts "aws.ssm" as a PutEvents
        # source, which real EventBridge refuses to customers.
        assert "account" not in event
        assert event["region"] == HUB_REGION
        assert event["resources"] == []
        assert event["source"] == "aws.ssm" and event["detail-type"] == DETAIL_TYPE


def test_bus_policy_is_stored_but_not_enforced(org):
    bus_arn, queue_url = _hub_bus_with_queue()
    events = boto3.client("events")
    events.put_permission(
        EventBusName="hub",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OrganizationPutsEvents",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "events:PutEvents",
                        "Resource": bus_arn,
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org.organization_id}},
                    }
                ],
            }
        ),
    )
    stored = json.loads(events.describe_event_bus(Name="hub")["Policy"])
    assert stored["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": org.organization_id}
    }
    # An account outside the organization forwards to the bus anyway.
    outsider = "999999999999"
    assert outsider not in [*org.members, org.management]
    foreign = session(outsider).client("events")
    foreign.put_rule(Name="forward", EventPattern=json.dumps({"source": ["aws.ssm"]}))
    foreign.put_targets(Rule="forward", Targets=[{"Id": "hub", "Arn": bus_arn}])
    foreign.put_events(Entries=[_association_event(outsider, HUB_REGION, "i-outsider")])
    assert [e["detail"]["instance-id"] for e in _received(queue_url)] == ["i-outsider"]


def _spoke_parameters(bus_arn: str, org: Org) -> list[dict[str, str]]:
    """Every CommaDelimitedList parameter is passed: moto splits a passed value into a list but
    leaves a Default as the string "a,b" (test_a_list_parameters_default_stays_a_string)."""
    role = f"arn:aws:iam::{org.management}:role/"
    return [
        {"ParameterKey": names.WATCHED_DOCUMENTS, "ParameterValue": "AWS-UpdateSSMAgent"},
        {"ParameterKey": names.WATCHED_STATUSES, "ParameterValue": "Success,Failed"},
        {"ParameterKey": spoke.INSTANCE_ROLE_NAMES, "ParameterValue": ""},
        {"ParameterKey": spoke.HUB_EVENT_BUS_ARN, "ParameterValue": bus_arn},
        {"ParameterKey": spoke.HUB_NOTIFIER_ROLE_ARN, "ParameterValue": role + "notifier"},
        {"ParameterKey": spoke.HUB_SWEEP_ROLE_ARN, "ParameterValue": role + "sweep"},
        {"ParameterKey": spoke.ORGANIZATION_ID, "ParameterValue": org.organization_id},
    ]


def test_a_service_managed_stack_set_deploys_working_spokes_into_every_member_and_region(org):
    bus_arn, queue_url = _hub_bus_with_queue()
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName="spokes",
        TemplateBody=hub.spoke_template_body(Config()),
        Parameters=_spoke_parameters(bus_arn, org),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_NAMED_IAM"],
        CallAs="SELF",
    )
    cloudformation.create_stack_instances(
        StackSetName="spokes",
        DeploymentTargets={"OrganizationalUnitIds": org.ou_ids},
        Regions=[HUB_REGION, OTHER_REGION],
        OperationPreferences={"RegionConcurrencyType": "PARALLEL"},
        CallAs="SELF",
    )
    instances = cloudformation.list_stack_instances(StackSetName="spokes")["Summaries"]
    placed = {(i["Account"], i["Region"]) for i in instances}
    # Accounts of the target OUs and of their child OUs, but not deeper: real StackSets deploy
    # to every OU below a target, moto to one level below only.
    reached = {*org.members, org.nested_member}
    assert placed == {(a, r) for a in reached for r in (HUB_REGION, OTHER_REGION)}
    assert org.deep_member not in {account for account, _ in placed}
    assert {i["Status"] for i in instances} == {"CURRENT"}

    for account in reached:
        for region in (HUB_REGION, OTHER_REGION):
            member = session(account, region)
            # The spoke's resources exist in the member, made from the template: the named
            # reader role, the forward rule aimed at the hub bus with its role, the DLQ.
            role = member.client("iam").get_role(RoleName=f"ssm-notifier-reader-{region}")
            assert (
                role["Role"]["Arn"] == f"arn:aws:iam::{account}:role/ssm-notifier-reader-{region}"
            )
            events = member.client("events")
            (rule,) = events.list_rules()["Rules"]
            (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
            assert target["Arn"] == bus_arn and target["RoleArn"].startswith(
                f"arn:aws:iam::{account}:role/"
            )
            assert len(member.client("sqs").list_queues()["QueueUrls"]) == 1
            # ... and the stack itself is hidden from the member's ListStacks.
            assert member.client("cloudformation").list_stacks()["StackSummaries"] == []
            events.put_events(Entries=[_association_event(account, region, "i-" + account[-8:])])

    arrived = []
    while batch := _received(queue_url):
        arrived += batch
    assert len(arrived) == len(reached) * 2

    # Automatic deployment is not implemented: an account that joins an OU later gets nothing.
    organizations = boto3.client("organizations")
    late = organizations.create_account(Email="late@example.com", AccountName="late")[
        "CreateAccountStatus"
    ]["AccountId"]
    organizations.move_account(
        AccountId=late, SourceParentId=org.root_id, DestinationParentId=org.ou_ids[1]
    )
    instances = cloudformation.list_stack_instances(StackSetName="spokes")["Summaries"]
    assert late not in {i["Account"] for i in instances}


def test_stack_set_and_bus_policy_resources_are_skipped_in_a_template(org):
    """A hub template deployed as a stack: moto warns and skips the types it does not know,
    and the stack still completes; the StackSet must be created through the API instead."""
    template = {
        "Resources": {
            "HubEventBus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "hub"}},
            "HubEventBusPolicy": {
                "Type": "AWS::Events::EventBusPolicy",
                "Properties": {
                    "EventBusName": {"Ref": "HubEventBus"},
                    "StatementId": "OrganizationPutsEvents",
                    "Statement": {"Effect": "Allow", "Principal": "*", "Action": "events:*"},
                },
            },
            "SpokeStackSet": {
                "Type": "AWS::CloudFormation::StackSet",
                "Properties": {
                    "StackSetName": "spokes",
                    "PermissionModel": "SERVICE_MANAGED",
                    "TemplateBody": hub.spoke_template_body(Config()),
                },
            },
        }
    }
    cloudformation = boto3.client("cloudformation")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cloudformation.create_stack(StackName="hub", TemplateBody=json.dumps(template))
    status = cloudformation.describe_stacks(StackName="hub")["Stacks"][0]["StackStatus"]
    assert status == "CREATE_COMPLETE"
    skipped = " ".join(str(w.message) for w in caught)
    assert "AWS::CloudFormation::StackSet" in skipped
    assert "AWS::Events::EventBusPolicy" in skipped
    assert cloudformation.list_stack_sets()["Summaries"] == []
    assert "Policy" not in boto3.client("events").describe_event_bus(Name="hub")


def test_a_list_parameters_default_stays_a_string(org):
    """moto's CloudFormation splits a CommaDelimitedList it is given, not its Default: a spoke
    left at its default watched documents fails with an invalid event pattern."""
    bus_arn, _ = _hub_bus_with_queue()
    cloudformation = boto3.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName="defaults",
        TemplateBody=hub.spoke_template_body(Config()),
        Parameters=_spoke_parameters(bus_arn, org)[3:],  # without the three lists
        PermissionModel="SERVICE_MANAGED",
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    with pytest.raises(Exception, match="InvalidEventPatternException"):
        cloudformation.create_stack_instances(
            StackSetName="defaults",
            DeploymentTargets={"OrganizationalUnitIds": org.ou_ids[:1]},
            Regions=[HUB_REGION],
        )


def test_the_spoke_leaves_out_forwarding_in_the_hubs_own_account_and_region(org):
    """How the hub account is covered where no StackSet reaches it (the management account):
    the same spoke as a plain stack in each region. In the hub's own region it forwards nothing
    (the hub's default-bus rule sees those events); in any other region it forwards."""
    bus_arn, _ = _hub_bus_with_queue()
    for region in (HUB_REGION, OTHER_REGION):
        boto3.client("cloudformation", region_name=region).create_stack(
            StackName="spoke",
            TemplateBody=hub.spoke_template_body(Config()),
            Parameters=_spoke_parameters(bus_arn, org),
            Capabilities=["CAPABILITY_NAMED_IAM"],
        )
    # (The hub's own rule is on the hub bus; the default bus of the hub region has none.)
    assert boto3.client("events", region_name=HUB_REGION).list_rules()["Rules"] == []
    (forward,) = boto3.client("events", region_name=OTHER_REGION).list_rules()["Rules"]
    (target,) = boto3.client("events", region_name=OTHER_REGION).list_targets_by_rule(
        Rule=forward["Name"]
    )["Targets"]
    assert target["Arn"] == bus_arn
