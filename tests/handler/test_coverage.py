"""coverage: which accounts and regions should report (the spokes' StackSet instances, the
organization's accounts) against those seen; silent, unhealthy and missing spokes named."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws
from ssm_notifier.accounts import Place
from ssm_notifier.coverage import (
    Coverage,
    SpokeInstance,
    active_accounts,
    compare,
    spoke_instances,
)

HUB = Place("111111111111", "us-east-1")
A = Place("222222222222", "us-east-1")
A_EU = Place("222222222222", "eu-west-1")
B = Place("333333333333", "us-east-1")


def test_a_spoke_seen_is_covered_and_one_not_seen_is_silent() -> None:
    instances = [SpokeInstance(A, "CURRENT"), SpokeInstance(A_EU, "CURRENT")]
    coverage = compare(instances, {A, HUB}, hub=HUB)
    assert set(coverage.expected) == {HUB, A, A_EU}
    assert coverage.silent == (A_EU,)
    assert coverage.unhealthy == ()
    assert coverage.worth_reporting


def test_the_hub_region_is_expected_too_and_silent_when_nothing_came() -> None:
    coverage = compare([], set(), hub=HUB)
    assert coverage.silent == (HUB,)


def test_instances_not_current_and_accounts_without_a_spoke_are_named() -> None:
    outdated = SpokeInstance(B, "OUTDATED", "FAILED; Role ssm-notifier-reader-us-east-1 exists")
    coverage = compare(
        [SpokeInstance(A, "CURRENT"), outdated],
        {A, B, HUB},
        hub=HUB,
        accounts=[HUB.account, A.account, B.account, "444444444444"],
    )
    assert coverage.silent == ()
    assert coverage.unhealthy == (outdated,)
    # The hub's own account needs no spoke (its own rule; StackSets skip the management account).
    assert coverage.without_spoke == ("444444444444",)
    lines = coverage.lines({"444444444444": "sandbox"}.get)
    assert lines[0] == "Coverage: 3 account-regions should report, 3 did"
    assert (
        "  spoke outdated: 333333333333 us-east-1: FAILED; Role ssm-notifier-reader-us-east-1 "
        "exists" in lines
    )
    assert any(line.startswith("  no spoke: 444444444444 (sandbox):") for line in lines)


def test_everything_seen_is_nothing_to_report() -> None:
    coverage = compare([SpokeInstance(A, "CURRENT")], {A, HUB}, hub=HUB, accounts=[A.account])
    assert coverage == Coverage(
        expected=(HUB, A), seen=(HUB, A), silent=(), unhealthy=(), without_spoke=()
    )
    assert not coverage.worth_reporting


class Pages:
    """A client answering a list call from pages, recording the arguments of each call."""

    def __init__(self, pages: list[dict]) -> None:
        self.pages = pages
        self.calls: list[dict] = []

    def list_stack_instances(self, **arguments):
        self.calls.append(arguments)
        return self.pages[len(self.calls) - 1]

    list_accounts = list_stack_instances


def test_stack_instances_are_read_page_by_page_with_their_state() -> None:
    client = Pages(
        [
            {
                "Summaries": [
                    {"Account": A.account, "Region": A.region, "Status": "CURRENT"},
                    {"Region": "us-east-1", "Status": "CURRENT"},  # no account: ignored
                ],
                "NextToken": "t1",
            },
            {
                "Summaries": [
                    {
                        "Account": B.account,
                        "Region": B.region,
                        "Status": "CURRENT",
                        "StackInstanceStatus": {"DetailedStatus": "FAILED"},
                        "StatusReason": "AccessDenied",
                    }
                ]
            },
        ]
    )
    found = spoke_instances(client, "hub-spokes", call_as="DELEGATED_ADMIN")
    assert found == [
        SpokeInstance(A, "CURRENT"),
        SpokeInstance(B, "FAILED", "FAILED; AccessDenied"),
    ]
    assert client.calls[1]["NextToken"] == "t1"
    assert {call["CallAs"] for call in client.calls} == {"DELEGATED_ADMIN"}


def test_only_active_accounts_count() -> None:
    client = Pages(
        [
            {"Accounts": [{"Id": A.account, "Status": "ACTIVE"}], "NextToken": "n"},
            {"Accounts": [{"Id": B.account, "Status": "SUSPENDED"}]},
        ]
    )
    assert active_accounts(client) == [A.account]


@pytest.fixture
def organization(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        organizations = boto3.client("organizations", region_name="us-east-1")
        organizations.create_organization(FeatureSet="ALL")
        root = organizations.list_roots()["Roots"][0]["Id"]
        ou = organizations.create_organizational_unit(ParentId=root, Name="Workloads")[
            "OrganizationalUnit"
        ]["Id"]
        members = []
        for index in range(3):
            account = organizations.create_account(
                Email=f"m{index}@example.com", AccountName=f"m{index}"
            )["CreateAccountStatus"]["AccountId"]
            if index < 2:  # the third stays at the root, outside the target OU
                organizations.move_account(
                    AccountId=account, SourceParentId=root, DestinationParentId=ou
                )
            members.append(account)
        yield organizations, ou, members


def test_on_the_emulator_the_stack_set_instances_and_the_accounts_give_the_coverage(
    organization,
) -> None:
    organizations, ou, members = organization
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack_set(
        StackSetName="spokes",
        TemplateBody='{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}',
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
    )
    cloudformation.create_stack_instances(
        StackSetName="spokes",
        DeploymentTargets={"OrganizationalUnitIds": [ou]},
        Regions=["us-east-1", "eu-west-1"],
    )
    hub = Place(
        organizations.describe_organization()["Organization"]["MasterAccountId"], "us-east-1"
    )

    instances = spoke_instances(cloudformation, "spokes")
    assert {i.place for i in instances} == {
        Place(account, region) for account in members[:2] for region in ("us-east-1", "eu-west-1")
    }
    coverage = compare(
        instances,
        {hub, Place(members[0], "us-east-1"), Place(members[1], "us-east-1")},
        hub=hub,
        accounts=active_accounts(organizations),
    )
    assert set(coverage.silent) == {Place(members[0], "eu-west-1"), Place(members[1], "eu-west-1")}
    assert coverage.without_spoke == (members[2],)
