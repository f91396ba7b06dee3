"""Which instances an association targets, and what state each is in: for the missed-instance sweep.

Target kinds resolved (stopped instances included):
- `InstanceIds` with explicit ids: those ids.
- `InstanceIds` = `*`: every managed node (DescribeInstanceInformation) plus every stopping or
  stopped EC2 instance (DescribeInstances), because SSM does not describe stopped nodes at all.
- `tag:KEY` (and `tag-key`): EC2 instances with the tag in states pending, running, stopping or
  stopped, plus the managed nodes carrying it (hybrid nodes have no EC2 record).
Several targets in one association are intersected (tag targets on several keys must all match),
so an uncertain combination under-reports rather than names instances that were never targeted.
Any other kind is not resolved: the association is reported as "targets not checked", each
target with the reason (`unresolved_reason`: resource groups, Automation's ParameterValues, a
target without values, any kind not known here), never guessed at.

Every listing goes through `paging.Pager`: streamed to its end, each call started only in time
(a listing the time cuts raises OutOfTimeError). Only ids are kept; the states of the missed
instances are looked up by id afterwards, and with them the names people use: the EC2 `Name`
tag, else the managed node's computer name (the same calls: no further request).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from .log import describe_error
from .paging import EC2_PAGE_SIZE, SSM_PAGE_SIZE, Pager

# DescribeInstances takes at most 200 values per filter; fewer keeps requests small.
EC2_IDS_PER_CALL = 100
# DescribeInstanceInformation's InstanceIds filter: one page (50) of ids per call.
SSM_IDS_PER_CALL = 50
# Stopped and stopping instances are still targets: they run late when they come back.
TARGETED_EC2_STATES = ("pending", "running", "stopping", "stopped")
# SSM describes a node only while its instance runs: for these, absence from SSM proves nothing.
NOT_DESCRIBED_BY_SSM = ("stopping", "stopped", "shutting-down", "terminated")
NOT_FOUND_IN_EC2 = "not found"
# Absent from SSM while running means not managed (a pending one may not have registered yet).
SSM_DESCRIBES = ("running", NOT_FOUND_IN_EC2)


class Resolution(NamedTuple):
    """The instances an association targets, or why (some of) its targets were not resolved."""

    ids: frozenset[str] = frozenset()
    unresolved: tuple[str, ...] = ()


class InstanceState(NamedTuple):
    """What the sweep knows about one instance."""

    instance_id: str
    ec2_state: str = ""  # "" when unknown or not an EC2 instance
    ping_status: str = ""  # "" when SSM did not describe it
    last_success: datetime | None = None
    managed: bool | None = None  # None: not known (stopped, or a listing was cut)
    name: str = ""  # its Name tag, else its computer name; "" when it has none or not known

    @property
    def summary(self) -> str:
        """E.g. "stopped (EC2)", "running (EC2), ConnectionLost (SSM)", "not managed"."""
        parts = []
        if self.ec2_state:
            parts.append(
                "not found in EC2"
                if self.ec2_state == NOT_FOUND_IN_EC2
                else f"{self.ec2_state} (EC2)"
            )
        if self.ping_status:
            parts.append(f"{self.ping_status} (SSM)")
        elif self.managed is False:
            parts.append("not managed")
        elif self.ec2_state in NOT_DESCRIBED_BY_SSM:
            parts.append("SSM does not describe stopped instances")
        else:
            parts.append("SSM state not known")
        return ", ".join(parts)

    @property
    def last_success_text(self) -> str:
        if self.last_success is not None:
            return self.last_success.isoformat(timespec="seconds")
        if self.ping_status or self.managed is False:
            return "never"
        return "not known"


def describe_target(target: dict[str, Any]) -> str:
    values = target.get("Values") or []
    return f"{target.get('Key', '')}={','.join(str(value) for value in values)}"


# Target kinds the sweep knows but cannot resolve, and why (Target.Key in SSM's API reference).
_UNRESOLVED_KINDS = (
    (
        ("resource-groups:name", "resourcegroup", "resource-groups:resourcetypefilters"),
        "a resource group: the sweep does not list a group's members",
    ),
    (("parametervalues",), "Automation parameter values, not instances"),
)


def unresolved_reason(target: str) -> str:
    """Why a target (as `describe_target` shows it, or "(no targets)") is not resolved."""
    key, _, values = target.partition("=")
    if target == "(no targets)":
        return "the association has no targets"
    for kinds, reason in _UNRESOLVED_KINDS:
        if key.lower() in kinds:
            return reason
    if not values:
        return "a target without values"
    return f"target kind {key!r} is not one the sweep resolves (InstanceIds, tag:KEY, tag-key)"


class Fleet:
    """The instances of one invocation, as sets of ids: listings are streamed page by page and only
    the ids kept (about 100 bytes an id), so memory grows with the fleet's ids, never with its
    pages or records. States are looked up for the missed instances only."""

    def __init__(self, ssm: Any, ec2: Any, pager: Pager) -> None:
        self._ssm = ssm
        self._ec2 = ec2
        self._pager = pager
        self._all_nodes: frozenset[str] | None = None
        self._stopped: frozenset[str] | None = None

    # Targets -> instance ids

    def resolve(self, targets: list[dict[str, Any]], legacy_instance_id: str = "") -> Resolution:
        """The instances `targets` select (an association's Targets; InstanceId for old ones)."""
        if not targets and legacy_instance_id:
            targets = [{"Key": "InstanceIds", "Values": [legacy_instance_id]}]
        if not targets:
            return Resolution(unresolved=("(no targets)",))
        unresolved = tuple(describe_target(target) for target in targets if not _resolvable(target))
        if unresolved:
            return Resolution(unresolved=unresolved)
        selected: frozenset[str] | None = None
        for target in targets:
            ids = self._resolve_one(target["Key"], list(target.get("Values") or []))
            selected = ids if selected is None else selected & ids
        return Resolution(ids=selected or frozenset())

    def _resolve_one(self, key: str, values: list[str]) -> frozenset[str]:
        if key.lower() == "instanceids":
            if "*" in values:
                return self.all_nodes() | self.stopped_instances()
            return frozenset(values)
        # "tag:KEY" and "tag-key" are filter names in both EC2 and SSM.
        return self._tagged(key, values)

    def _tagged(self, key: str, values: list[str]) -> frozenset[str]:
        """EC2 instances with the tag (stopped ones included) and managed nodes carrying it."""
        instances = self._ec2_ids(
            [
                {"Name": key, "Values": values},
                {"Name": "instance-state-name", "Values": list(TARGETED_EC2_STATES)},
            ]
        )
        return instances | self._ssm_ids([{"Key": key, "Values": values}])

    def all_nodes(self) -> frozenset[str]:
        """Every managed node SSM describes (running ones: it does not describe stopped nodes)."""
        if self._all_nodes is None:
            self._all_nodes = self._ssm_ids([])
        return self._all_nodes

    def stopped_instances(self) -> frozenset[str]:
        if self._stopped is None:
            self._stopped = self._ec2_ids(
                [{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}]
            )
        return self._stopped

    def _ssm_ids(self, filters: list[dict[str, Any]]) -> frozenset[str]:
        return frozenset(
            node["InstanceId"] for node in self._ssm_nodes(filters) if node.get("InstanceId")
        )

    def _ssm_nodes(self, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        request: dict[str, Any] = {"MaxResults": SSM_PAGE_SIZE}
        if filters:
            request["Filters"] = filters
        return self._pager.stream(
            self._ssm.describe_instance_information,
            request,
            lambda page: page.get("InstanceInformationList") or [],
        )

    def _ec2_ids(self, filters: list[dict[str, Any]]) -> frozenset[str]:
        return frozenset(instance["InstanceId"] for instance in self._ec2_instances(filters))

    def _ec2_instances(self, filters: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        return self._pager.stream(
            self._ec2.describe_instances,
            {"Filters": filters, "MaxResults": EC2_PAGE_SIZE},
            _reservation_instances,
        )

    # Instance ids -> states

    def states(self, instance_ids: Iterable[str]) -> tuple[list[InstanceState], str]:
        """The state of each instance, looked up by id (EC2 and SSM, in chunks).

        A failed lookup (API error, time) leaves the remaining states unknown and is returned as
        a short reason, never raised: the instances were missed either way.
        """
        ids = sorted(instance_ids)
        ec2_states: dict[str, str] = {}
        name_tags: dict[str, str] = {}
        nodes: dict[str, dict[str, Any]] = {}
        looked_up: set[str] = set()  # ids whose SSM lookup completed
        problem = ""
        try:
            ec2_ids = [i for i in ids if i.startswith("i-")]
            for start in range(0, len(ec2_ids), EC2_IDS_PER_CALL):
                chunk = ec2_ids[start : start + EC2_IDS_PER_CALL]
                for instance in self._ec2_instances([{"Name": "instance-id", "Values": chunk}]):
                    ec2_states[instance["InstanceId"]] = (instance.get("State") or {}).get(
                        "Name", ""
                    )
                    name_tags[instance["InstanceId"]] = _name_tag(instance)
                for instance_id in chunk:
                    ec2_states.setdefault(instance_id, NOT_FOUND_IN_EC2)
            for start in range(0, len(ids), SSM_IDS_PER_CALL):
                chunk = ids[start : start + SSM_IDS_PER_CALL]
                for node in self._ssm_nodes([{"Key": "InstanceIds", "Values": chunk}]):
                    if node.get("InstanceId"):
                        nodes[node["InstanceId"]] = node
                looked_up.update(chunk)
        except Exception as error:
            problem = describe_error(error)
        return [
            _state(i, ec2_states.get(i, ""), nodes.get(i), i in looked_up)._replace(
                name=name_tags.get(i) or _computer_name(nodes.get(i))
            )
            for i in ids
        ], problem


def _state(
    instance_id: str, ec2_state: str, node: dict[str, Any] | None, ssm_looked_up: bool
) -> InstanceState:
    if node is not None:
        last = node.get("LastSuccessfulAssociationExecutionDate")
        return InstanceState(
            instance_id,
            ec2_state,
            node.get("PingStatus") or "unknown",
            last if isinstance(last, datetime) else None,
            managed=True,
        )
    # Not described by SSM means "not managed" only where SSM would have described it: a running
    # instance, or one that is no EC2 instance at all.
    described_if_managed = ec2_state in SSM_DESCRIBES or not instance_id.startswith("i-")
    absent_proves = ssm_looked_up and described_if_managed
    return InstanceState(instance_id, ec2_state, managed=False if absent_proves else None)


def _name_tag(instance: dict[str, Any]) -> str:
    for tag in instance.get("Tags") or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return str(tag["Value"])
    return ""


def _computer_name(node: dict[str, Any] | None) -> str:
    """A managed node's computer name (a hybrid node's activation name when it has none)."""
    if not node:
        return ""
    return str(node.get("ComputerName") or node.get("Name") or "")


def _resolvable(target: dict[str, Any]) -> bool:
    key = target.get("Key") or ""
    values = target.get("Values") or []
    if not values:
        return False
    return (
        key.lower() == "instanceids"
        or key == "tag-key"
        or (key.startswith("tag:") and len(key) > 4)
    )


def _reservation_instances(page: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for reservation in page.get("Reservations") or []:
        for instance in reservation.get("Instances") or []:
            if instance.get("InstanceId"):
                yield instance
