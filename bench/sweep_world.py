"""The sweep benchmark's world: a fleet of 100,000 instances, 200 associations with ordinary and
awkward schedules, their executions with a planted set of truly missed instances, and fake SSM and
EC2 clients that page like the real APIs (page-size bounds from botocore's models) and charge
their latency to a fake clock, with slow calls and errors injected.

The truth (which instance each association targets, which ran) is computed here from the fleet's
definition, independently of the sweep's code; the schedule times are written out by hand.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import botocore.session
from botocore.exceptions import ClientError, ReadTimeoutError

INSTANCES = 100_000
GROUPS = 199  # associations A1..A199 target tag Group=g001..g199; A0 targets InstanceIds=*
DOCUMENT = "AWS-UpdateSSMAgent"
REGION = "eu-west-1"
NOW = datetime(2026, 5, 14, 6, 0, tzinfo=UTC)  # a Thursday
PLANTED = 200
STOPPED_THAT_RAN_EVERY = 97  # some stopped instances ran before they stopped: not missed

# Latency of one page, seconds: charged to the fake clock.
LATENCY = {"ssm": 0.09, "ec2": 0.15}
SLOW_PAGE_SECONDS = 4.0  # one slow (but answered) page every SLOW_EVERY calls
SLOW_EVERY = 500


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Schedule -> (the last due occurrence before NOW, the one before it), by hand from a calendar.
# NOW is Thursday 2026-05-14 06:00Z; the grace is a tenth of the period, at most 1 hour.
REGULAR = [
    ("rate(1 day)", t("2026-05-13T07:00:00"), t("2026-05-12T07:00:00")),
    ("rate(12 hours)", t("2026-05-13T20:00:00"), t("2026-05-13T08:00:00")),
    ("rate(30 minutes)", t("2026-05-14T05:40:00"), t("2026-05-14T05:10:00")),
    ("cron(0 0 2 ? * SUN *)", t("2026-05-10T02:00:00"), t("2026-05-03T02:00:00")),
    ("cron(0 2 ? * SUN *)", t("2026-05-10T02:00:00"), t("2026-05-03T02:00:00")),
    ("cron(0 0 ? * THU#2 *)", t("2026-05-14T00:00:00"), t("2026-04-09T00:00:00")),
    ("cron(15 10 ? * 6L *)", t("2026-04-24T10:15:00"), t("2026-03-27T10:15:00")),
    ("cron(0 */4 * * ? *)", t("2026-05-14T04:00:00"), t("2026-05-14T00:00:00")),
    # Mondays 01:00 with ScheduleOffset 2: Wednesdays 01:00.
    ("cron(0 1 ? * MON *)", t("2026-05-13T01:00:00"), t("2026-05-06T01:00:00")),
]
OFFSET = {"cron(0 1 ? * MON *)": 2}
# Groups with something special (no planted misses in them).
HUNG_DESCRIBE = 1  # DescribeAssociation hangs 60.8 s: every try times out -> not checked
THROTTLED = 2  # DescribeAssociationExecutions throttled beyond retries -> not checked
NOT_UNDERSTOOD = 3  # cron(0 15 10 ? * *): Quartz seconds-first in 6 fields, AWS rejects it
ONE_TIME_PAST = 4  # at(2026-04-01T00:00:00): due long ago, checked then
ON_DEMAND = 5  # no schedule
NOT_YET_DUE = 6  # ApplyOnlyAtCronInterval, created after its last due occurrence
SPECIAL = {HUNG_DESCRIBE, THROTTLED, NOT_UNDERSTOOD, ONE_TIME_PAST, ON_DEMAND, NOT_YET_DUE}
EXPECTED_UNCHECKED = 3  # hung, throttled, not understood


def instance_id(number: int) -> str:
    return f"i-{number:017x}"


def association_id(number: int) -> str:
    return f"{number:08x}-0000-4000-8000-000000000000"


class World:
    """The fleet, the associations and what really ran."""

    def __init__(self) -> None:
        self.group_of = [n % GROUPS + 1 for n in range(INSTANCES)]
        planted_numbers = [
            n
            for n in range(0, INSTANCES, INSTANCES // (PLANTED * 2))
            if self.group_of[n] not in SPECIAL
        ][:PLANTED]
        # A third stopped, a third running but offline (ConnectionLost), a third not managed.
        self.kind: dict[int, str] = {}
        for index, n in enumerate(planted_numbers):
            self.kind[n] = ("stopped", "offline", "unmanaged")[index % 3]
        for n in range(5, INSTANCES, STOPPED_THAT_RAN_EVERY):
            self.kind.setdefault(n, "stopped-ran")
        self.planted = frozenset(instance_id(n) for n in planted_numbers)
        self.ec2_state = {
            instance_id(n): "stopped" if self.kind.get(n, "").startswith("stopped") else "running"
            for n in range(INSTANCES)
        }
        # SSM describes running managed instances only.
        self.nodes = [
            instance_id(n) for n in range(INSTANCES) if self.kind.get(n) in (None, "offline")
        ]
        self.node_set = frozenset(self.nodes)
        self.ping = {
            instance_id(n): "ConnectionLost" for n, k in self.kind.items() if k == "offline"
        }
        self.stopped = [
            i for i in (instance_id(n) for n in range(INSTANCES)) if self.ec2_state[i] == "stopped"
        ]
        self.members = {g: [] for g in range(1, GROUPS + 1)}
        for n in range(INSTANCES):
            self.members[self.group_of[n]].append(instance_id(n))
        self.associations = self._associations()

    def _associations(self) -> dict[str, dict]:
        associations = {}
        everyone = sorted(self.node_set | set(self.stopped))
        associations[association_id(0)] = self._association(
            0, "rate(1 day)", [{"Key": "InstanceIds", "Values": ["*"]}], everyone
        )
        regular = 0
        for g in range(1, GROUPS + 1):
            target = [{"Key": "tag:Group", "Values": [f"g{g:03d}"]}]
            members = self.members[g]
            if g == NOT_UNDERSTOOD:
                entry = self._association(g, "cron(0 15 10 ? * *)", target, members, runs=False)
            elif g == ONE_TIME_PAST:
                entry = self._association(g, "at(2026-04-01T00:00:00)", target, members, runs=False)
            elif g == ON_DEMAND:
                entry = self._association(g, "", target, members, runs=False)
            elif g == NOT_YET_DUE:
                entry = self._association(g, "cron(0 3 ? * MON *)", target, members, runs=False)
                entry["description"]["ApplyOnlyAtCronInterval"] = True
                entry["description"]["Date"] = t("2026-05-12T09:00:00")
            else:
                schedule = (
                    "rate(1 day)"
                    if g in (HUNG_DESCRIBE, THROTTLED)
                    else REGULAR[regular % len(REGULAR)][0]
                )
                regular += g not in (HUNG_DESCRIBE, THROTTLED)
                entry = self._association(g, schedule, target, members)
            associations[entry["description"]["AssociationId"]] = entry
        return associations

    def _association(self, number, schedule, targets, targeted, runs=True) -> dict:
        description = {
            "Name": DOCUMENT,
            "AssociationId": association_id(number),
            "AssociationName": f"agent-{number:03d}",
            "Targets": targets,
            "Date": t("2026-01-05T09:00:00"),
        }
        if schedule:
            description["ScheduleExpression"] = schedule
        if schedule in OFFSET:
            description["ScheduleOffset"] = OFFSET[schedule]
        executions = []
        if runs:
            due, before = next((d, b) for s, d, b in REGULAR if s == schedule)
            ran = [i for i in targeted if i not in self.planted]
            # The run before the last due one reached every target, planted ones included:
            # a sweep reading the window too wide would count them as ran.
            executions = [
                (f"{number:08x}-e000-4000-8000-000000000002", due + timedelta(seconds=30), ran),
                (
                    f"{number:08x}-e000-4000-8000-000000000001",
                    before + timedelta(seconds=30),
                    list(targeted),
                ),
            ]
        return {
            "description": description,
            "executions": executions,
            "targeted": frozenset(targeted),
        }

    def truly_missed(self) -> set[tuple[str, str]]:
        """(association, instance) pairs the sweep must report: every planted instance its
        association targets, for the associations that can be checked."""
        return {
            (aid, instance)
            for aid, entry in self.associations.items()
            if entry["executions"] and int(aid[:8], 16) not in (HUNG_DESCRIBE, THROTTLED)
            for instance in entry["targeted"] & self.planted
        }


class Clock:
    """The fake clock: moves only when a fake call charges its latency."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def charge(self, seconds: float) -> None:
        self.seconds += seconds

    def now(self) -> datetime:
        return NOW + timedelta(seconds=self.seconds)


def _limits(service: str, operation: str) -> tuple[int, int]:
    shape = (
        botocore.session.get_session()
        .get_service_model(service)
        .operation_model(operation)
        .input_shape.members["MaxResults"]
    )
    return shape.metadata.get("min", 5), shape.metadata.get("max", 1000)


class _Paged:
    def __init__(self, service: str, clock: Clock, worst_call: float) -> None:
        self.service = service
        self.clock = clock
        self.worst_call = worst_call
        self.calls = 0
        self.meta = SimpleNamespace(region_name=REGION)

    def _charge(self) -> None:
        self.calls += 1
        slow = self.calls % SLOW_EVERY == 0
        self.clock.charge(SLOW_PAGE_SECONDS if slow else LATENCY[self.service])

    def _hang(self, operation: str) -> None:
        """A call that never answers: botocore's read timeout on every try, then an error."""
        self.clock.charge(self.worst_call)
        raise ReadTimeoutError(endpoint_url=f"https://{self.service}.{REGION}.amazonaws.com/")

    def _throttled(self, operation: str) -> None:
        self.clock.charge(self.worst_call)
        raise ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, operation
        )

    def _page(
        self, operation: str, items: list, request: dict, limits: tuple[int, int]
    ) -> tuple[list, dict]:
        self._charge()
        size = request.get("MaxResults")
        low, high = limits
        if size is None or not low <= size <= high:
            raise ClientError(
                {"Error": {"Code": "ValidationException", "Message": f"MaxResults {size}"}},
                operation,
            )
        query = hashlib.sha1(
            repr(sorted((k, repr(v)) for k, v in request.items() if k != "NextToken")).encode()
        ).hexdigest()[:8]
        start = 0
        if request.get("NextToken"):
            tag, _, offset = request["NextToken"].partition(":")
            if tag != query:
                raise ClientError(
                    {"Error": {"Code": "InvalidNextToken", "Message": "token"}}, operation
                )
            start = int(offset)
        end = start + size
        return items[start:end], ({"NextToken": f"{query}:{end}"} if end < len(items) else {})


class FakeSsm(_Paged):
    def __init__(self, world: World, clock: Clock, worst_call: float) -> None:
        super().__init__("ssm", clock, worst_call)
        self.world = world
        self.limits = {
            op: _limits("ssm", op)
            for op in (
                "ListAssociations",
                "DescribeAssociationExecutions",
                "DescribeAssociationExecutionTargets",
                "DescribeInstanceInformation",
            )
        }
        self.ids = sorted(world.associations)

    def list_associations(self, **request):
        [name_filter] = request["AssociationFilterList"]
        ids = self.ids if name_filter == {"key": "Name", "value": DOCUMENT} else []
        items, more = self._page("ListAssociations", ids, request, self.limits["ListAssociations"])
        return {"Associations": [{"Name": DOCUMENT, "AssociationId": a} for a in items], **more}

    def describe_association(self, **request):
        association = request["AssociationId"]
        if int(association[:8], 16) == HUNG_DESCRIBE:
            self._hang("DescribeAssociation")
        self._charge()
        return {"AssociationDescription": dict(self.world.associations[association]["description"])}

    def describe_association_executions(self, **request):
        aid = request["AssociationId"]
        if int(aid[:8], 16) == THROTTLED:
            self._throttled("DescribeAssociationExecutions")
        [created] = request["Filters"]
        assert created["Key"] == "CreatedTime" and created["Type"] == "GREATER_THAN"
        since = datetime.fromisoformat(created["Value"].replace("Z", "+00:00"))
        executions = [
            {"AssociationId": aid, "ExecutionId": eid, "CreatedTime": at}
            for eid, at, _ in self.world.associations[aid]["executions"]
            if at > since
        ]
        items, more = self._page(
            "DescribeAssociationExecutions",
            executions,
            request,
            self.limits["DescribeAssociationExecutions"],
        )
        return {"AssociationExecutions": items, **more}

    def describe_association_execution_targets(self, **request):
        aid, eid = request["AssociationId"], request["ExecutionId"]
        [ran] = [r for e, _, r in self.world.associations[aid]["executions"] if e == eid]
        items, more = self._page(
            "DescribeAssociationExecutionTargets",
            ran,
            request,
            self.limits["DescribeAssociationExecutionTargets"],
        )
        return {
            "AssociationExecutionTargets": [
                {
                    "AssociationId": aid,
                    "ExecutionId": eid,
                    "ResourceId": i,
                    "ResourceType": "ManagedInstance",
                    "Status": "Success",
                }
                for i in items
            ],
            **more,
        }

    def describe_instance_information(self, **request):
        nodes = self.world.nodes
        for item in request.get("Filters") or []:
            if item["Key"] == "tag:Group":
                groups = {int(v[1:]) for v in item["Values"]}
                nodes = [
                    i
                    for g in sorted(groups)
                    for i in self.world.members[g]
                    if i in self.world.node_set
                ]
            elif item["Key"] == "InstanceIds":
                assert len(item["Values"]) <= 50
                nodes = [i for i in item["Values"] if i in self.world.node_set]
            else:
                raise ClientError(
                    {"Error": {"Code": "InvalidFilterKey", "Message": item["Key"]}},
                    "DescribeInstanceInformation",
                )
        items, more = self._page(
            "DescribeInstanceInformation",
            nodes,
            request,
            self.limits["DescribeInstanceInformation"],
        )
        return {
            "InstanceInformationList": [
                {
                    "InstanceId": i,
                    "PingStatus": self.world.ping.get(i, "Online"),
                    "LastSuccessfulAssociationExecutionDate": t("2026-05-01T00:00:00"),
                }
                for i in items
            ],
            **more,
        }


class FakeEc2(_Paged):
    # DescribeInstances' MaxResults is 5 to 1000 (EC2 API reference; the model states no bounds).
    LIMITS = (5, 1000)

    def __init__(self, world: World, clock: Clock, worst_call: float) -> None:
        super().__init__("ec2", clock, worst_call)
        self.world = world
        self.all = [instance_id(n) for n in range(INSTANCES)]

    def describe_instances(self, **request):
        selected = None
        states = None
        for item in request.get("Filters") or []:
            assert len(item["Values"]) <= 200, "EC2 takes at most 200 values per filter"
            if item["Name"] == "tag:Group":
                selected = [i for v in item["Values"] for i in self.world.members[int(v[1:])]]
            elif item["Name"] == "instance-id":
                selected = [i for i in item["Values"] if i in self.world.ec2_state]
            elif item["Name"] == "instance-state-name":
                states = set(item["Values"])
            else:
                raise ClientError(
                    {"Error": {"Code": "InvalidParameterValue", "Message": item["Name"]}},
                    "DescribeInstances",
                )
        if selected is None:
            selected = (
                self.world.stopped if states and states <= {"stopping", "stopped"} else self.all
            )
        if states is not None:
            selected = [i for i in selected if self.world.ec2_state[i] in states]
        items, more = self._page("DescribeInstances", selected, request, self.LIMITS)
        return {
            "Reservations": [
                {
                    "Instances": [
                        {"InstanceId": i, "State": {"Name": self.world.ec2_state[i]}} for i in items
                    ]
                }
            ],
            **more,
        }
