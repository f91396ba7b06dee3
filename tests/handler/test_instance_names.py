"""Instance names: Name tags from moto's EC2 (DescribeTags with its real filters), computer names
from a stand-in SSM (moto 5.2.5 does not implement DescribeInstanceInformation); bulk call
counts, the cache and its TTL, and every way a lookup can fail leaving bare ids."""

from __future__ import annotations

import math

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto import mock_aws
from notifier_testkit import FakeClock
from ssm_notifier.deadline import BUDGETS, Deadline, OutOfTimeError
from ssm_notifier.instance_names import (
    EC2_IDS_PER_CALL,
    MAX_INSTANCES,
    NAME_TTL_SECONDS,
    SSM_IDS_PER_CALL,
    InstanceNames,
    NameCache,
)

from templates.sample_events import ACCOUNT, REGION

IMAGE_ID = "ami-12c6146b"  # any image id does for moto's EC2
OTHER_ACCOUNT = "210987654321"


class Ssm:
    """DescribeInstanceInformation by InstanceIds as SSM answers it: the described nodes among
    the ids asked, a page at most MaxResults long (<= 50, as the model allows)."""

    def __init__(self, nodes: dict[str, str]) -> None:
        self.nodes = nodes  # instance id -> computer name
        self.requests: list[dict] = []

    def describe_instance_information(self, **request: object) -> dict:
        self.requests.append(request)
        assert request["MaxResults"] <= 50
        [instance_filter] = request["Filters"]
        assert instance_filter["Key"] == "InstanceIds" and len(instance_filter["Values"]) <= 100
        asked = [i for i in instance_filter["Values"] if i in self.nodes]
        return {
            "InstanceInformationList": [
                {"InstanceId": i, "ComputerName": self.nodes[i], "PingStatus": "Online"}
                for i in asked
            ]
        }


class Ec2:
    """DescribeTags as EC2 answers a resource-id and key=Name filter (<= 200 values)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.requests: list[dict] = []

    def describe_tags(self, **request: object) -> dict:
        self.requests.append(request)
        filters = {f["Name"]: f["Values"] for f in request["Filters"]}
        assert filters["key"] == ["Name"] and len(filters["resource-id"]) <= 200
        return {
            "Tags": [
                {"Key": "Name", "Value": self.names[i], "ResourceId": i, "ResourceType": "instance"}
                for i in filters["resource-id"]
                if i in self.names
            ]
        }


def own(ec2: object, ssm: object):
    return lambda service, account, region: {"ec2": ec2, "ssm": ssm}[service]


def keys(*instance_ids: str, account: str = ACCOUNT) -> list[tuple[str, str, str]]:
    return [(account, REGION, instance_id) for instance_id in instance_ids]


def launch(ec2, name: str | None) -> str:
    tags = (
        {
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}
            ]
        }
        if name
        else {}
    )
    return ec2.run_instances(
        ImageId=IMAGE_ID, MinCount=1, MaxCount=1, InstanceType="t3.micro", **tags
    )["Instances"][0]["InstanceId"]


def test_name_tags_from_ec2_and_computer_names_for_the_rest() -> None:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        web = launch(ec2, "web-1")
        untagged = launch(ec2, None)
        ssm = Ssm({untagged: "ip-10-0-0-7.ec2.internal", "mi-0123456789abcdef0": "LAB-PC-01"})
        names = InstanceNames(NameCache(), own(ec2, ssm))
        found = names.names(keys(web, untagged, "mi-0123456789abcdef0", "i-0gone"))
    assert found == {
        (ACCOUNT, REGION, web): "web-1",
        (ACCOUNT, REGION, untagged): "ip-10-0-0-7.ec2.internal",
        # A hybrid node: a computer name, never an EC2 lookup.
        (ACCOUNT, REGION, "mi-0123456789abcdef0"): "LAB-PC-01",
    }
    # web-1 had a Name tag: SSM was asked only about the others.
    [asked] = ssm.requests
    assert sorted(asked["Filters"][0]["Values"]) == sorted(
        [untagged, "mi-0123456789abcdef0", "i-0gone"]
    )


@pytest.mark.parametrize(
    ("tagged", "hybrid", "ec2_calls", "ssm_calls"),
    [
        (1000, 0, 5, 0),  # every instance tagged: 1,000 / 200 a DescribeTags
        (600, 0, 5, 8),  # 400 without a tag: 400 / 50 a DescribeInstanceInformation page
        (0, 1000, 0, 20),  # hybrid nodes: SSM only
        (0, 0, 5, 20),  # nothing named anywhere: both, each bounded
    ],
)
def test_a_thousand_instances_cost_a_bounded_number_of_calls(
    tagged: int, hybrid: int, ec2_calls: int, ssm_calls: int
) -> None:
    prefix = "mi-" if hybrid else "i-"
    ids = [f"{prefix}{n:017x}" for n in range(1000)]
    ec2 = Ec2({i: f"name-{i}" for i in ids[:tagged]})
    ssm = Ssm({i: f"host-{i}" for i in ids[:hybrid]})
    names = InstanceNames(NameCache(), own(ec2, ssm))
    found = names.names(keys(*ids))
    assert names.calls == {"ec2": ec2_calls, "ssm": ssm_calls}
    assert len(ec2.requests) == ec2_calls and len(ssm.requests) == ssm_calls
    assert ec2_calls <= math.ceil(1000 / EC2_IDS_PER_CALL)
    assert ssm_calls <= math.ceil(1000 / SSM_IDS_PER_CALL)
    assert len(found) == tagged + hybrid


def test_at_most_max_instances_are_named_per_digest() -> None:
    ids = [f"i-{n:017x}" for n in range(MAX_INSTANCES + 500)]
    ec2 = Ec2({i: "x" for i in ids})
    found = InstanceNames(NameCache(), own(ec2, Ssm({}))).names(keys(*ids))
    assert len(found) == MAX_INSTANCES
    assert (ACCOUNT, REGION, ids[0]) in found and (ACCOUNT, REGION, ids[-1]) not in found


def test_the_second_invocation_is_answered_from_the_cache_until_the_ttl() -> None:
    clock = FakeClock()
    cache = NameCache(clock)
    ec2, ssm = Ec2({"i-0web": "web-1"}), Ssm({"mi-0lab": "LAB-PC-01"})
    wanted = keys("i-0web", "mi-0lab", "i-0nameless")
    first = InstanceNames(cache, own(ec2, ssm), clock=clock).names(wanted)
    second = InstanceNames(cache, own(ec2, ssm), clock=clock)
    assert second.names(wanted) == first
    assert second.calls == {"ec2": 0, "ssm": 0}  # nameless too: remembered as having none
    assert len(first) == 2
    clock.now += NAME_TTL_SECONDS + 1
    third = InstanceNames(cache, own(ec2, ssm), clock=clock)
    assert third.names(wanted) == first
    assert third.calls == {"ec2": 1, "ssm": 1}


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = NameCache(max_entries=3)
    for n in range(5):
        cache.put((ACCOUNT, REGION, f"i-{n}"), f"n{n}")
    assert len(cache) == 3
    assert cache.get((ACCOUNT, REGION, "i-0")) is None
    assert cache.get((ACCOUNT, REGION, "i-4")) == "n4"


class TimesOut:
    """A client whose every call times out, as botocore raises it."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, name: str):
        def fail(**_: object) -> dict:
            self.calls += 1
            raise ReadTimeoutError(endpoint_url="https://ec2.us-east-1.amazonaws.com")

        return fail


def test_a_lookup_that_times_out_leaves_bare_ids_and_is_not_cached() -> None:
    cache = NameCache()
    ec2 = TimesOut()
    names = InstanceNames(cache, own(ec2, Ssm({})))
    assert names.names(keys("i-0web", "i-0db")) == {}
    assert len(cache) == 0  # asked again next time
    assert ec2.calls == 1  # the place's lookup stops at its first failure


def test_a_failing_place_does_not_stop_the_others() -> None:
    denied = ClientError({"Error": {"Code": "UnauthorizedOperation"}}, "DescribeTags")

    class Denied:
        def describe_tags(self, **_):
            raise denied

    def clients_for(service: str, account: str, region: str) -> object:
        if account == OTHER_ACCOUNT:
            return {"ec2": Denied(), "ssm": Ssm({})}[service]
        return {"ec2": Ec2({"i-0web": "web-1"}), "ssm": Ssm({})}[service]

    found = InstanceNames(NameCache(), clients_for).names(
        keys("i-0other", account=OTHER_ACCOUNT) + keys("i-0web")
    )
    assert found == {(ACCOUNT, REGION, "i-0web"): "web-1"}


def test_no_call_starts_when_the_deadline_forbids_it() -> None:
    ec2, ssm = Ec2({"i-0web": "web-1"}), Ssm({})
    # Less than one EC2 call's worst case (18 s) beyond the reserve.
    deadline = Deadline(lambda: 10.0)
    names = InstanceNames(
        NameCache(),
        own(ec2, ssm),
        lambda service: deadline.require(BUDGETS[service], 0.0, service),
    )
    assert names.names(keys("i-0web", "mi-0lab")) == {}
    assert ec2.requests == [] and ssm.requests == []


def test_the_lookups_own_budget_stops_further_calls() -> None:
    clock = FakeClock()

    class Slow(Ec2):
        def describe_tags(self, **request):
            clock.now += 6.0  # longer than the whole budget
            return super().describe_tags(**request)

    ids = [f"i-{n:017x}" for n in range(400)]
    ec2 = Slow({})
    names = InstanceNames(NameCache(clock), own(ec2, Ssm({})), budget_seconds=5.0, clock=clock)
    assert names.names(keys(*ids)) == {}
    assert len(ec2.requests) == 1


def test_a_place_without_a_client_is_skipped() -> None:
    def unavailable(service: str, account: str, region: str) -> object:
        raise OutOfTimeError("no time") if account == OTHER_ACCOUNT else RuntimeError("no role")

    assert InstanceNames(NameCache(), unavailable).names(keys("i-0a")) == {}


def test_a_maintenance_window_entry_is_not_looked_up() -> None:
    """A window entry names its target and task ("target ... task ..."), not a node: no call."""
    calls: list[str] = []

    def clients_for(service: str, account: str, region: str) -> object:
        calls.append(service)
        raise AssertionError("no client is wanted for a window target")

    names = InstanceNames(NameCache(), clients_for)
    window_entry = "target e7265f13-3cc5-4f2f-97a9-123456789012 task 6417e808-7f35-4d1a-843f"

    assert names.names([(ACCOUNT, REGION, window_entry)]) == {}
    assert calls == []
