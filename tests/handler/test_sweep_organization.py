"""sweep under Scope=organization: the places are the spokes' StackSet instances and the hub's own;
each is listed and checked with its own clients; a reader role refused is "could not check"; the
digest groups by account then region, and says what coverage finds (and goes out for that alone).
"""

from __future__ import annotations

import json
import math
import re
from datetime import timedelta
from types import SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber
from notifier_testkit import ACCOUNT, REGION
from ssm_notifier import sweep
from ssm_notifier.accounts import Place, ReaderUnavailableError
from ssm_notifier.settings import SettingsError, load_sweep_settings
from ssm_notifier.sweep_check import unit_key, unit_parts
from sweep_testkit import (
    ASSOC_A,
    ASSOC_B,
    DOCUMENT,
    EXEC_1,
    NOW,
    TABLE,
    clients,
    run,
    settings,
    stub_describe,
    stub_executions,
    stub_list,
    stub_publish,
    stub_ran,
    stub_states,
)

MEMBER = "222222222222"
REFUSED = "333333333333"
OUTDATED = "444444444444"
NO_SPOKE = "555555555555"
EU = "eu-west-1"
STACK_SET = "hub-spokes"
NAMES = {MEMBER: "workloads", REFUSED: "sandbox"}


class FakeCloudFormation:
    """ListStackInstances of the spokes' StackSet; records each request."""

    def __init__(self, summaries: list[dict]) -> None:
        self.summaries = summaries
        self.requests: list[dict] = []

    def list_stack_instances(self, **request):
        self.requests.append(request)
        return {"Summaries": self.summaries}


class FakeOrganizations:
    def __init__(self, accounts: list[str]) -> None:
        self.accounts = accounts

    def list_accounts(self, **_):
        return {"Accounts": [{"Id": a, "Status": "ACTIVE"} for a in self.accounts]}

    def describe_account(self, AccountId):  # noqa: N803 (boto3's keyword)
        return {"Account": {"Id": AccountId, "Name": NAMES.get(AccountId, "")}}


class FakeAccounts:
    """AccountClients' two members the sweep uses: the home place, and a client per place
    (ReaderUnavailableError where the reader role is refused)."""

    def __init__(self, own, places: dict[Place, dict]) -> None:
        self.home = Place(ACCOUNT, REGION)
        self.own = own
        self.places = places
        self.asked: list[tuple[str, Place]] = []

    def client(self, service, account, region):
        place = Place(account, region)
        self.asked.append((service, place))
        if place == self.home:
            return self.own.get(service)
        if place not in self.places:
            raise ReaderUnavailableError(f"reader role of {account} {region} not assumed: denied")
        return self.places[place][service]


def instance(account: str, region: str, status: str = "CURRENT") -> dict:
    return {"Account": account, "Region": region, "Status": status}


@pytest.fixture
def member():
    """Stubbed SSM and EC2 clients of the member's place (every call must be stubbed)."""
    ssm = boto3.client("ssm", region_name=EU)
    ec2 = boto3.client("ec2", region_name=EU)
    with Stubber(ssm) as ssm_stub, Stubber(ec2) as ec2_stub:
        yield SimpleNamespace(ssm=ssm, ec2=ec2, ssm_stub=ssm_stub, ec2_stub=ec2_stub)


def organization_run(aws, member, summaries, accounts_listed, more_places=None, now=NOW):
    cache = clients(aws)
    cloudformation = FakeCloudFormation(summaries)
    cache.set("cloudformation", cloudformation)
    cache.set("organizations", FakeOrganizations(accounts_listed))
    accounts = FakeAccounts(
        cache, {Place(MEMBER, EU): {"ssm": member.ssm, "ec2": member.ec2}, **(more_places or {})}
    )
    chosen = settings()._replace(
        scope="organization", spoke_stack_set_name=STACK_SET, call_as="DELEGATED_ADMIN"
    )
    summary = run(aws, chosen, accounts=accounts, cache=cache, now=now)
    return summary, cloudformation, accounts


def test_every_place_is_swept_with_its_own_clients_and_the_digest_groups_them(aws, member):
    stub_list(aws)  # the hub's own place: nothing of the document
    stub_list(member, ASSOC_A)
    stub_describe(member, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01", "i-02"]}])
    stub_executions(member, ASSOC_A, EXEC_1)
    stub_ran(member, ASSOC_A, EXEC_1, "i-01")
    stub_states(member, {"i-02": "stopped"}, {})
    stub_publish(aws)

    summary, cloudformation, accounts = organization_run(
        aws,
        member,
        [instance(MEMBER, EU), instance(REFUSED, REGION), instance(OUTDATED, EU, "OUTDATED")],
        [ACCOUNT, MEMBER, REFUSED, OUTDATED, NO_SPOKE],
        {Place(OUTDATED, EU): {"ssm": _empty_ssm(), "ec2": None}},
    )

    aws.assert_done()
    member.ssm_stub.assert_no_pending_responses()
    member.ec2_stub.assert_no_pending_responses()
    assert cloudformation.requests[0] == {
        "StackSetName": STACK_SET,
        "MaxResults": 100,
        "CallAs": "DELEGATED_ADMIN",
    }
    # The member's association was read and its instances looked up with the member's clients.
    assert ("ssm", Place(MEMBER, EU)) in accounts.asked
    assert ("ec2", Place(MEMBER, EU)) in accounts.asked
    assert summary["missed"] == 1 and summary["not_checked"] == 1 and summary["published"]
    [published] = aws.published
    body = published["Message"]
    assert re.search(r"^Swept: +4 accounts, 2 regions \(hub region us-east-1\)$", body, re.M)
    section = re.search(rf"^Account: +{MEMBER} \(workloads\)\nRegion: +{EU}\n== ", body, re.M)
    assert section and body.index("  i-02: stopped") > section.start()
    assert f"region={EU}" in body  # the console links point at the member's region
    # The refused reader role: its place could not be checked (never "missed").
    assert f"  {REFUSED} (sandbox) {REGION}: {DOCUMENT}: reader role of {REFUSED}" in body
    # Coverage: the refused spoke did not answer, the outdated one is named, and the account
    # with no spoke at all.
    assert f"silent: {REFUSED} (sandbox) {REGION}" in body
    assert f"spoke outdated: {OUTDATED} {EU}" in body
    assert f"no spoke: {NO_SPOKE}" in body
    assert f"silent: {MEMBER}" not in body and f"silent: {OUTDATED}" not in body
    # Each account the digest reports on routes it: a missed instance (MEMBER), a place not
    # checked (REFUSED), a watched document its empty stand-in could not look up (OUTDATED).
    accounts = json.loads(published["MessageAttributes"]["accounts"]["StringValue"])
    assert sorted(accounts) == sorted([MEMBER, REFUSED, OUTDATED])
    # The missed instance is remembered under its place, not the bare association id.
    remembered = aws.dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"sweep-missed#{MEMBER}:{EU}:{ASSOC_A}"}},
    )["Items"]
    assert [item["sk"]["S"] for item in remembered] == ["i-02"]


def test_the_plan_queues_a_list_unit_per_place_and_each_queues_checks_carrying_its_place(
    aws, member
):
    stub_list(member, ASSOC_B)
    cache = clients(aws)
    cache.set("cloudformation", FakeCloudFormation([instance(MEMBER, EU)]))
    accounts = FakeAccounts(cache, {Place(MEMBER, EU): {"ssm": member.ssm, "ec2": member.ec2}})
    chosen = settings()._replace(
        scope="organization", spoke_stack_set_name=STACK_SET, work_queue_url=aws.queue_url
    )
    run_id = "2026-05-04T06:00:00.000Z"

    planned = sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts).plan(NOW)

    aws.assert_done()  # the plan itself lists no associations
    assert (planned["planned"], planned["places"]) == (2, 2)
    bodies = [json.loads(m["Body"]) for m in _receive_all(aws)]
    assert bodies == [
        {"kind": "list", "run": run_id, "account": ACCOUNT, "region": REGION},
        {"kind": "list", "run": run_id, "account": MEMBER, "region": EU},
    ]
    member_list = {"messageId": "l1", "body": json.dumps(bodies[1])}
    worker = sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts)
    assert worker.records([member_list]) == {"batchItemFailures": []}
    [check] = [json.loads(m["Body"]) for m in _receive_all(aws)]
    assert check == {
        "kind": "check",
        "run": run_id,
        "unit": ASSOC_B,
        "document": DOCUMENT,
        "account": MEMBER,
        "region": EU,
    }
    run = worker.store.run(run_id)
    # Two places planned, the member's association added; the member's list unit is done.
    assert (int(run["expected"]["N"]), int(run["grown"]["N"]), int(run["done"]["N"])) == (2, 1, 1)
    # A redelivered list unit counts nothing twice, and queues its checks again.
    stub_list(member, ASSOC_B)
    assert worker.records([member_list]) == {"batchItemFailures": []}
    assert worker.store.run(run_id)["done"] == run["done"]
    assert [json.loads(m["Body"])["kind"] for m in _receive_all(aws)] == ["check"]


def _receive_all(aws) -> list[dict]:
    found = []
    while messages := aws.sqs.receive_message(QueueUrl=aws.queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        found += messages
        for message in messages:
            aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_coverage_alone_is_worth_a_digest_and_nothing_to_say_sends_none(aws, member):
    # The member's association has nothing due (no schedule): the document is in use.
    stub_list(aws)
    stub_list(member, ASSOC_A)
    stub_describe(member, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}], schedule="")
    stub_publish(aws)
    summary, _, _ = organization_run(
        aws, member, [instance(MEMBER, EU)], [ACCOUNT, MEMBER, NO_SPOKE]
    )
    assert summary["published"] and summary["missed"] == 0
    assert aws.published[0]["Subject"] == "[SSM] Sweep: nothing missed, coverage to look at"
    assert f"no spoke: {NO_SPOKE}" in aws.published[0]["Message"]

    stub_list(aws)
    stub_list(member, ASSOC_A)
    stub_describe(member, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}], schedule="")
    later, _, _ = organization_run(
        aws, member, [instance(MEMBER, EU)], [ACCOUNT, MEMBER], now=NOW + timedelta(days=1)
    )
    aws.assert_done()
    assert later["coverage_lines"] == 0 and not later["published"]


def test_a_document_missing_in_one_place_but_used_in_another_is_a_note_not_a_finding(aws, member):
    """A document of your own may exist only where associations use it."""
    stub_list(aws, exists=False)  # the hub's place: no such document
    stub_list(member, ASSOC_A)
    stub_describe(member, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}], schedule="")
    stub_publish(aws)  # for coverage (NO_SPOKE), not for the document

    summary, _, _ = organization_run(
        aws, member, [instance(MEMBER, EU)], [ACCOUNT, MEMBER, NO_SPOKE]
    )

    aws.assert_done()
    assert summary["findings"] == 0
    body = aws.published[0]["Message"]
    assert "Watched documents that do not exist" not in body
    assert "no such document here; associations elsewhere use it" in body


def test_a_stack_set_that_cannot_be_listed_is_named_and_the_hub_still_swept(aws, member):
    class Refusing:
        def list_stack_instances(self, **_):
            raise RuntimeError("AccessDenied")

    stub_list(aws)
    stub_publish(aws)
    cache = clients(aws)
    cache.set("cloudformation", Refusing())
    cache.set("organizations", FakeOrganizations([ACCOUNT]))
    chosen = settings()._replace(scope="organization", spoke_stack_set_name=STACK_SET)

    summary = run(aws, chosen, accounts=FakeAccounts(cache, {}), cache=cache)

    aws.assert_done()
    body = aws.published[0]["Message"]
    assert f"the spokes' StackSet {STACK_SET}: RuntimeError: AccessDenied" in body
    assert f"Coverage not checked: the spokes' StackSet {STACK_SET} not listed" in body
    assert summary["not_checked"] == 1


def test_unit_keys_name_their_place_and_read_back():
    assert unit_key("", "", ASSOC_A) == ASSOC_A
    assert unit_key("", "", "", DOCUMENT) == f"document:{DOCUMENT}"
    assert unit_key(MEMBER, EU, ASSOC_A) == f"{MEMBER}:{EU}:{ASSOC_A}"
    assert unit_key(MEMBER, EU, "", "Team:Doc") == f"document:{MEMBER}:{EU}:Team:Doc"
    assert unit_parts(f"{MEMBER}:{EU}:{ASSOC_A}") == (MEMBER, EU, ASSOC_A)
    assert unit_parts(f"document:{MEMBER}:{EU}:Team:Doc") == (MEMBER, EU, "Team:Doc")
    assert unit_parts(ASSOC_A) == ("", "", ASSOC_A)
    assert unit_parts("document:Team:Doc") == ("", "", "Team:Doc")


def test_the_organization_settings_are_read_and_checked():
    base = {
        "TOPIC_ARN": f"arn:aws:sns:{REGION}:{ACCOUNT}:notifier",
        "WATCHED_DOCUMENTS": DOCUMENT,
        "WORK_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/work",
        "STATE_TABLE_NAME": TABLE,
    }
    assert not load_sweep_settings(base).across_organization
    organization = {**base, "SCOPE": "organization", "SPOKE_STACK_SET_NAME": STACK_SET}
    chosen = load_sweep_settings({**organization, "STACK_SET_CALL_AS": "DELEGATED_ADMIN"})
    assert chosen.across_organization
    assert (chosen.spoke_stack_set_name, chosen.call_as) == (STACK_SET, "DELEGATED_ADMIN")
    with pytest.raises(SettingsError, match="SPOKE_STACK_SET_NAME"):
        load_sweep_settings({**base, "SCOPE": "organization"})
    with pytest.raises(SettingsError, match="STACK_SET_CALL_AS"):
        load_sweep_settings({**organization, "STACK_SET_CALL_AS": "self"})


def _empty_ssm():
    """An SSM client of a place whose listing answers nothing (a real client, stubbed)."""
    client = boto3.client("ssm", region_name=EU)
    stubber = Stubber(client)
    stubber.add_response(
        "list_associations",
        {"Associations": []},
        {"AssociationFilterList": [{"key": "Name", "value": DOCUMENT}], "MaxResults": 50},
    )
    stubber.activate()
    return client


def test_a_reader_role_refused_at_the_check_is_could_not_check_never_missed(aws):
    cache = clients(aws)
    accounts = FakeAccounts(cache, {})  # every member's reader role refused
    chosen = settings()._replace(
        scope="organization", spoke_stack_set_name=STACK_SET, work_queue_url=aws.queue_url
    )
    run_id = "2026-05-04T06:00:00.000Z"
    store = sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts).store
    store.start(run_id, NOW)

    sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts).check(
        run_id, ASSOC_A, DOCUMENT, account=MEMBER, region=EU
    )

    aws.assert_done()  # no SSM or EC2 call made with the hub's own clients
    _, [result] = store.results(run_id)
    assert (result.account, result.region, result.association_id) == (MEMBER, EU, ASSOC_A)
    assert result.error.startswith(f"reader role of {MEMBER} {EU} not assumed")
    assert result.missed == [] and result.unit == f"{MEMBER}:{EU}:{ASSOC_A}"


def test_a_check_of_another_account_outside_organization_scope_fails_its_record(aws):
    record = {
        "messageId": "m1",
        "body": json.dumps(
            {
                "kind": "check",
                "run": "2026-05-04T06:00:00.000Z",
                "unit": ASSOC_A,
                "document": DOCUMENT,
                "account": MEMBER,
                "region": EU,
            }
        ),
    }
    chosen = settings()._replace(work_queue_url=aws.queue_url)
    answer = sweep.Sweep(chosen, clients(aws), NOW, lambda: math.inf).records([record])
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_the_runtime_reads_other_places_only_under_organization_scope():
    runtime = sweep.Runtime(clients=clients(SimpleNamespace(**dict.fromkeys(_SERVICES))))
    account_scope = settings()
    assert runtime.accounts(account_scope) is None
    organization = account_scope._replace(scope="organization", spoke_stack_set_name=STACK_SET)
    accounts = runtime.accounts(organization)
    assert accounts is runtime.accounts(organization)  # kept for the sandbox's life
    assert accounts.home == Place(ACCOUNT, REGION)  # from the topic: no STS call


def test_a_result_keeps_its_place_through_the_state_table_and_an_old_record_reads_as_home():
    from ssm_notifier.sweep_check import AssociationResult
    from ssm_notifier.sweep_report import result_from_records, result_records

    result = AssociationResult(DOCUMENT, ASSOC_A, account=MEMBER, region=EU)
    summary, chunks = result_records(result)
    back = result_from_records(summary, chunks)
    assert (back.account, back.region, back.unit) == (MEMBER, EU, f"{MEMBER}:{EU}:{ASSOC_A}")
    old = json.loads(summary)
    del old["account"], old["region"]
    home = result_from_records(json.dumps(old), [])
    assert (home.account, home.region, home.unit) == ("", "", ASSOC_A)


_SERVICES = ("ssm", "ec2", "sns", "dynamodb", "sqs")


def test_a_place_whose_list_unit_never_finished_is_named_when_the_next_run_closes_the_run(
    aws, member
):
    cache = clients(aws)
    cache.set("cloudformation", FakeCloudFormation([instance(MEMBER, EU)]))
    cache.set("organizations", FakeOrganizations([ACCOUNT, MEMBER]))
    accounts = FakeAccounts(cache, {Place(MEMBER, EU): {"ssm": member.ssm, "ec2": member.ec2}})
    chosen = settings()._replace(
        scope="organization", spoke_stack_set_name=STACK_SET, work_queue_url=aws.queue_url
    )
    sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts).plan(NOW)
    home_list, _member_list_lost = [json.loads(m["Body"]) for m in _receive_all(aws)]
    stub_list(aws)
    worker = sweep.Sweep(chosen, cache, NOW, lambda: math.inf, accounts)
    worker.records([{"messageId": "home", "body": json.dumps(home_list)}])
    assert _receive_all(aws) == []  # no collect: the member's listing is still counted as due

    later = NOW + timedelta(days=1)
    stub_publish(aws)
    planned = sweep.Sweep(chosen, cache, later, lambda: math.inf, accounts).plan(later)

    assert planned["closed"] == ["2026-05-04T06:00:00.000Z"]
    body = aws.published[0]["Message"]
    assert f"  {MEMBER} (workloads) {EU}: {DOCUMENT}: associations not listed" in body
    assert f"silent: {MEMBER} (workloads) {EU}" in body
