"""accounts.AccountClients and AccountNames: the reader role per account and region, its
credentials cached for their lifetime, a refusal remembered; the notifier reading a member's run
through it, and a refusal costing only the output, never the digest."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from notifier_testkit import (
    TOPIC_ARN,
    FakeClock,
    NamedEc2,
    failed_ids,
    store_clients,
    stub_executions,
    stub_output,
)
from ssm_notifier import notify
from ssm_notifier.accounts import (
    FAILURE_MEMORY_SECONDS,
    RENEW_BEFORE_SECONDS,
    AccountClients,
    AccountNames,
    Place,
    ReaderUnavailableError,
    home_of,
    reader_role_arn,
)
from ssm_notifier.deadline import OutOfTimeError
from ssm_notifier.settings import SettingsError, load_settings

from templates.sample_events import ACCOUNT, REGION, association_event, sqs_record

MEMBER = "210987654321"
OTHER_REGION = "eu-west-1"
NOW = 1_800_000_000.0


class FakeSts:
    """AssumeRole answered from a script: credentials valid for `lifetime` s, or an error."""

    def __init__(self, clock: FakeClock, lifetime: float = 900, error: str = "") -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.error = error
        self.calls: list[dict] = []

    def assume_role(self, **arguments):
        self.calls.append(arguments)
        if self.error:
            raise ClientError(
                {"Error": {"Code": self.error, "Message": "no"}}, operation_name="AssumeRole"
            )
        number = len(self.calls)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{number}",
                "SecretAccessKey": "secret",
                "SessionToken": f"token-{number}",
                "Expiration": datetime.fromtimestamp(self.clock() + self.lifetime, UTC),
            }
        }


@pytest.fixture
def now() -> FakeClock:
    clock = FakeClock()
    clock.now = NOW
    return clock


def accounts_with(sts: FakeSts, clock, made: list | None = None) -> AccountClients:
    made = [] if made is None else made

    def make_client(service, region, credentials):
        client = {"service": service, "region": region, **credentials}
        made.append(client)
        return client

    return AccountClients(
        home=Place(ACCOUNT, REGION),
        partition="aws",
        reader_prefix="ssm-notifier-reader",
        own=lambda service: f"own {service}",
        sts=lambda: sts,
        make_client=make_client,
        clock=clock,
    )


def test_the_hubs_own_account_and_region_use_the_functions_own_clients(now) -> None:
    sts = FakeSts(now)
    accounts = accounts_with(sts, now)
    assert accounts.client("ssm", ACCOUNT, REGION) == "own ssm"
    assert accounts.client("ssm", "", "") == "own ssm"  # an event without account or region
    assert sts.calls == []


def test_a_member_is_read_through_its_reader_role_in_its_region(now) -> None:
    sts = FakeSts(now)
    made: list = []
    accounts = accounts_with(sts, now, made)

    client = accounts.client("ssm", MEMBER, OTHER_REGION)

    assert sts.calls == [
        {
            "RoleArn": f"arn:aws:iam::{MEMBER}:role/ssm-notifier-reader-{OTHER_REGION}",
            "RoleSessionName": "ssm-notifier-hub",
            "DurationSeconds": 900,
        }
    ]
    assert client == {
        "service": "ssm",
        "region": OTHER_REGION,
        "aws_access_key_id": "ASIA1",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token-1",
    }
    # Cached: the same client, the same credentials, no second AssumeRole.
    assert accounts.client("ssm", MEMBER, OTHER_REGION) is client
    accounts.client("s3", MEMBER, OTHER_REGION)
    assert len(sts.calls) == 1 and len(made) == 2
    # The hub's own account in another region: its function role is scoped to its region.
    accounts.client("ssm", ACCOUNT, OTHER_REGION)
    assert sts.calls[-1]["RoleArn"] == (
        f"arn:aws:iam::{ACCOUNT}:role/ssm-notifier-reader-{OTHER_REGION}"
    )


def test_credentials_are_renewed_shortly_before_they_expire(now) -> None:
    sts = FakeSts(now, lifetime=900)
    accounts = accounts_with(sts, now)
    first = accounts.client("ssm", MEMBER, REGION)

    now.now += 900 - RENEW_BEFORE_SECONDS - 1
    assert accounts.client("ssm", MEMBER, REGION) is first
    now.now += 2
    renewed = accounts.client("ssm", MEMBER, REGION)
    assert renewed is not first and renewed["aws_session_token"] == "token-2"
    assert len(sts.calls) == 2


def test_a_refused_role_is_a_reason_remembered_for_a_while(now) -> None:
    sts = FakeSts(now, error="AccessDenied")
    accounts = accounts_with(sts, now)

    with pytest.raises(ReaderUnavailableError) as refused:
        accounts.client("ssm", MEMBER, REGION)
    assert str(refused.value) == (
        f"reader role arn:aws:iam::{MEMBER}:role/ssm-notifier-reader-{REGION} not assumed: "
        "AccessDenied (AssumeRole)"
    )
    with pytest.raises(ReaderUnavailableError):
        accounts.client("ssm", MEMBER, REGION)
    assert len(sts.calls) == 1  # remembered: the rest of the batch does not ask again

    sts.error = ""
    now.now += FAILURE_MEMORY_SECONDS + 1
    assert accounts.client("ssm", MEMBER, REGION)["aws_session_token"] == "token-2"


def test_home_comes_from_the_topic_arn() -> None:
    assert home_of("arn:aws-cn:sns:cn-north-1:123456789012:t") == (
        Place("123456789012", "cn-north-1"),
        "aws-cn",
    )
    with pytest.raises(ValueError, match="not an ARN"):
        home_of("notifier")
    assert reader_role_arn("aws-us-gov", Place(MEMBER, "us-gov-west-1"), "p") == (
        f"arn:aws-us-gov:iam::{MEMBER}:role/p-us-gov-west-1"
    )


class FakeOrganizations:
    def __init__(self, error: str = "") -> None:
        self.error = error
        self.calls: list[str] = []

    def describe_account(self, AccountId: str):  # noqa: N803 - boto3's argument name
        self.calls.append(AccountId)
        if self.error:
            raise ClientError({"Error": {"Code": self.error}}, operation_name="DescribeAccount")
        return {"Account": {"Id": AccountId, "Name": f"name-{AccountId[-4:]}"}}


def test_account_names_are_read_once_each() -> None:
    organizations = FakeOrganizations()
    names = AccountNames(lambda: organizations)
    assert names.name(MEMBER) == "name-4321"
    assert names.name(MEMBER) == "name-4321"
    assert names.name("") == ""
    assert organizations.calls == [MEMBER]


def test_account_names_stop_asking_once_refused() -> None:
    organizations = FakeOrganizations(error="AccessDeniedException")
    names = AccountNames(lambda: organizations)
    assert names.name(MEMBER) == ""
    assert names.name("111122223333") == ""
    assert organizations.calls == [MEMBER]


def test_scope_and_reader_prefix_settings() -> None:
    base = {
        "TOPIC_ARN": TOPIC_ARN,
        "STATE_TABLE": "state",
        "REPORT_BUCKET": "reports",
        "QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/queue",
    }
    assert load_settings(base).scope == "account"
    assert not load_settings(base).across_organization
    settings = load_settings(
        {**base, "SCOPE": "organization", "READER_ROLE_NAME_PREFIX": "team-reader"}
    )
    assert settings.across_organization and settings.reader_role_name_prefix == "team-reader"
    with pytest.raises(SettingsError, match="SCOPE must be one of account, organization"):
        load_settings({**base, "SCOPE": "org"})
    with pytest.raises(SettingsError, match="READER_ROLE_NAME_PREFIX"):
        load_settings({**base, "READER_ROLE_NAME_PREFIX": "path/name"})


# -- the notifier across accounts ---------------------------------------------------------------


def member_record(
    message_id: str, account: str = MEMBER, region: str = OTHER_REGION, instance: str = "i-0member"
) -> dict:
    event = association_event(instance, "Failed", account=account, region=region)
    return sqs_record(event, message_id)


def test_a_members_failed_run_is_read_through_its_reader_role(topic, ssm, settings, now) -> None:
    member_ssm, stubber = ssm  # the member's SSM, reached only through the assumed role
    stub_executions(stubber)
    stub_output(stubber, "i-0member", "Failed to update amazon-ssm-agent to 100000")
    sts = FakeSts(now)
    accounts = AccountClients(
        home=Place(ACCOUNT, REGION),
        partition="aws",
        reader_prefix="ssm-notifier-reader",
        own=lambda service: pytest.fail(f"the hub's own {service} client was used"),
        sts=lambda: sts,
        make_client=lambda service, region, credentials: member_ssm,
        clock=now,
    )

    response = notify.process_batch(
        [member_record("m-1")],
        settings._replace(scope="organization"),
        clients={"ssm": None, "sns": topic.sns, **store_clients()},
        accounts=accounts,
        clock=now,
        sleep=now.sleep,
    )

    assert failed_ids(response) == []
    stubber.assert_no_pending_responses()
    assert [call["RoleArn"] for call in sts.calls] == [
        f"arn:aws:iam::{MEMBER}:role/ssm-notifier-reader-{OTHER_REGION}"
    ]
    (body,) = [note["Message"] for note in topic.published()]
    assert "Failed to update amazon-ssm-agent to 100000" in body
    # The association's group is headed by its account and region.
    assert re.search(rf"^== {MEMBER} {OTHER_REGION} association ", body, re.MULTILINE), body[:400]


def test_a_member_without_a_reader_role_still_gets_its_digest(topic, settings, now) -> None:
    sts = FakeSts(now, error="AccessDenied")
    accounts = accounts_with(sts, now)

    response = notify.process_batch(
        [member_record("m-1"), member_record("m-2", region=REGION, instance="i-0other")],
        settings._replace(scope="organization"),
        clients={"ssm": None, "sns": topic.sns, **store_clients()},
        accounts=accounts,
        clock=now,
        sleep=now.sleep,
    )

    assert failed_ids(response) == []  # nothing lost, nothing retried
    bodies = [note["Message"] for note in topic.published()]
    assert bodies, "no digest was published"
    text = "\n".join(bodies)
    assert "output not fetched: reader role" in text
    assert "AccessDenied (AssumeRole)" in text
    assert len(sts.calls) == 2  # one per (account, region), not per event


def test_the_account_scope_never_assumes(topic, ssm, settings, now) -> None:
    client, stubber = ssm
    stub_executions(stubber)
    stub_output(stubber, "i-0member", "own account output")
    response = notify.process_batch(
        [sqs_record(association_event("i-0member", "Failed"), "m-1")],
        settings,
        clients={"ssm": client, "sns": topic.sns, **store_clients()},
        clock=now,
        sleep=now.sleep,
    )
    assert failed_ids(response) == []
    assert "own account output" in json.dumps(topic.published())


def test_account_names_with_a_ttl_are_asked_again_after_it_and_failures_sooner() -> None:
    clock = [0.0]
    organizations = FakeOrganizations()
    names = AccountNames(lambda: organizations, ttl_seconds=3600, clock=lambda: clock[0])
    assert names.name(MEMBER) == "name-4321"
    clock[0] = 3599
    assert names.name(MEMBER) == "name-4321"
    assert organizations.calls == [MEMBER]
    clock[0] = 3601
    organizations.error = "TooManyRequestsException"
    assert names.name(MEMBER) == ""
    assert organizations.calls == [MEMBER, MEMBER]
    clock[0] += 61  # a failure is remembered for a minute, not the hour
    organizations.error = ""
    assert names.name(MEMBER) == "name-4321"
    assert organizations.calls == [MEMBER, MEMBER, MEMBER]


def test_an_account_name_call_the_deadline_refuses_is_not_made_nor_remembered() -> None:
    organizations = FakeOrganizations()
    names = AccountNames(lambda: organizations)

    def no_time(service: str) -> None:
        assert service == "organizations"
        raise OutOfTimeError("no time")

    assert names.name(MEMBER, no_time) == ""
    assert organizations.calls == []
    assert names.name(MEMBER) == "name-4321"


def test_a_members_instance_and_account_are_named_through_its_reader_role(
    topic, settings, now
) -> None:
    member_ec2 = NamedEc2({"i-0member": "member-web"})
    organizations = FakeOrganizations()
    sts = FakeSts(now)
    accounts = AccountClients(
        home=Place(ACCOUNT, REGION),
        partition="aws",
        reader_prefix="ssm-notifier-reader",
        own=lambda service: pytest.fail(f"the hub's own {service} client was used"),
        sts=lambda: sts,
        make_client=lambda service, region, credentials: {"ec2": member_ec2}.get(service),
        clock=now,
    )

    response = notify.process_batch(
        [member_record("m-1")],
        settings._replace(scope="organization"),
        clients={"ssm": None, "sns": topic.sns, "organizations": organizations, **store_clients()},
        accounts=accounts,
        clock=now,
        sleep=now.sleep,
    )

    assert failed_ids(response) == []
    [note] = topic.published()
    assert note["Subject"].endswith(f" - name-4321 ({MEMBER}) {OTHER_REGION}")
    assert f"== {MEMBER} (name-4321) {OTHER_REGION} association " in note["Message"]
    assert "  NEW i-0member (member-web): Failed\n" in note["Message"]
    assert member_ec2.calls == 1 and organizations.calls == [MEMBER]
