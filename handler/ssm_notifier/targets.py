"""Which instances an association targets, and what state each is in: for the missed-instance sweep.

Target kinds resolved (stopped instances included):
- `InstanceIds` with explicit ids: those ids.
- `InstanceIds` = `*`: every managed node (DescribeInstanceInformation) plus every stopping or
  stopped EC2 instance (DescribeInstances), because SSM does not describe stopped nodes at all.
- `tag:KEY` (and `tag-key`): EC2 instances with the tag in states pending, running, stopping or
  stopped, plus the managed nodes carrying it (hybrid nodes have no EC2 record).
Several targets in one association are intersected (tag targets on several keys must all match),
so an uncertain combination under-reports rather than names instances that were never targeted.
Any other kind (resource groups, ...) is not resolved: the association is reported as "targets
not checked", never guessed at.

Every listing goes through `paging.Pager` (page cap, item cap, the invocation's time budget); a
listing that was cut says so (`Listing.cut`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

from .log import describe_error
from .paging import EC2_PAGE_SIZE, SSM_PAGE_SIZE, Pager

# DescribeInstances takes at most 200 values per filter; fewer keeps requests small.
EC2_IDS_PER_CALL = 100
# Stopped and stopping instances are still targets: they run late when they come back.
TARGETED_EC2_STATES = ("pending", "running", "stopping", "stopped")
# SSM describes a node only while its instance runs: for these, absence from SSM proves nothing.
NOT_DESCRIBED_BY_SSM = ("stopping", "stopped", "shutting-down", "terminated")
NOT_FOUND_IN_EC2 = "not found"
# Absent from SSM while running means not managed (a pending one may not have registered yet).
SSM_DESCRIBES = ("running", NOT_FOUND_IN_EC2)


class Listing(NamedTuple):
    ids: frozenset[str]
    cut: bool = False


class Resolution(NamedTuple):
    """The instances an association targets, or why (some of) its targets were not resolved."""

    ids: frozenset[str] = frozenset()
    cut: bool = False
    unresolved: tuple[str, ...] = ()
    # True when every SSM listing behind `ids` was complete: a running instance absent from it is
    # then not a managed node. False for explicit ids, whose SSM state is looked up separately.
    ssm_listed: bool = False


class InstanceState(NamedTuple):
    """What the sweep knows about one instance."""

    instance_id: str
    ec2_state: str = ""  # "" when unknown or not an EC2 instance
    ping_status: str = ""  # "" when SSM did not describe it
    last_success: datetime | None = None
    managed: bool | None = None  # None: not known (stopped, or a listing was cut)

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


class Fleet:
    """The instances of one sweep, looked up lazily and remembered across its associations."""

    def __init__(self, ssm: Any, ec2: Any, pager: Pager) -> None:
        self._ssm = ssm
        self._ec2 = ec2
        self._pager = pager
        self._nodes: dict[str, dict[str, Any]] = {}
        self._ec2_states: dict[str, str] = {}
        self._all_nodes: Listing | None = None
        self._stopped: Listing | None = None
        self._tagged_listings: dict[tuple[str, tuple[str, ...]], Listing] = {}

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
        cut = False
        ssm_listed = True
        for target in targets:
            listing, listed = self._resolve_one(target["Key"], list(target.get("Values") or []))
            selected = listing.ids if selected is None else selected & listing.ids
            cut = cut or listing.cut
            ssm_listed = ssm_listed and listed and not listing.cut
        return Resolution(ids=selected or frozenset(), cut=cut, ssm_listed=ssm_listed)

    def _resolve_one(self, key: str, values: list[str]) -> tuple[Listing, bool]:
        if key.lower() == "instanceids":
            if "*" in values:
                nodes, stopped = self.all_nodes(), self.stopped_instances()
                return Listing(nodes.ids | stopped.ids, nodes.cut or stopped.cut), True
            return Listing(frozenset(values)), False
        # "tag:KEY" and "tag-key" are filter names in both EC2 and SSM.
        return self._tagged(key, values), True

    def _tagged(self, key: str, values: list[str]) -> Listing:
        """EC2 instances with the tag (stopped ones included) and managed nodes carrying it."""
        cache_key = (key, tuple(values))
        if cache_key not in self._tagged_listings:
            instances = self._ec2_listing(
                [
                    {"Name": key, "Values": values},
                    {"Name": "instance-state-name", "Values": list(TARGETED_EC2_STATES)},
                ]
            )
            nodes = self._ssm_listing([{"Key": key, "Values": values}])
            self._tagged_listings[cache_key] = Listing(
                instances.ids | nodes.ids, instances.cut or nodes.cut
            )
        return self._tagged_listings[cache_key]

    def all_nodes(self) -> Listing:
        """Every managed node SSM describes (running ones: it does not describe stopped nodes)."""
        if self._all_nodes is None:
            self._all_nodes = self._ssm_listing([])
        return self._all_nodes

    def stopped_instances(self) -> Listing:
        if self._stopped is None:
            self._stopped = self._ec2_listing(
                [{"Name": "instance-state-name", "Values": ["stopping", "stopped"]}]
            )
        return self._stopped

    def _ssm_listing(self, filters: list[dict[str, Any]]) -> Listing:
        request: dict[str, Any] = {"MaxResults": SSM_PAGE_SIZE}
        if filters:
            request["Filters"] = filters
        nodes, cut = self._pager.items(
            self._ssm.describe_instance_information,
            request,
            lambda page: page.get("InstanceInformationList") or [],
        )
        for node in nodes:
            if node.get("InstanceId"):
                self._nodes[node["InstanceId"]] = node
        return Listing(
            frozenset(node["InstanceId"] for node in nodes if node.get("InstanceId")), cut
        )

    def _ec2_listing(
        self, filters: list[dict[str, Any]], page_size: int = EC2_PAGE_SIZE
    ) -> Listing:
        instances, cut = self._pager.items(
            self._ec2.describe_instances,
            {"Filters": filters, "MaxResults": page_size},
            _reservation_instances,
        )
        for instance in instances:
            self._ec2_states[instance["InstanceId"]] = (instance.get("State") or {}).get("Name", "")
        return Listing(frozenset(instance["InstanceId"] for instance in instances), cut)

    # Instance ids -> states

    def states(
        self, instance_ids: Iterable[str], ssm_listed: bool
    ) -> tuple[list[InstanceState], str]:
        """The state of each instance, looking up what earlier listings did not cover.

        A failed lookup (API error, time budget) leaves those states unknown and is returned as a
        short reason, never raised: the instances were missed either way.
        """
        ids = sorted(instance_ids)
        complete = ssm_listed
        problem = ""
        try:
            self._look_up_ec2([i for i in ids if i.startswith("i-") and i not in self._ec2_states])
            if not ssm_listed and any(i not in self._nodes for i in ids):
                complete = not self.all_nodes().cut
        except Exception as error:
            complete = False
            problem = describe_error(error)
        return [self._state(instance_id, complete) for instance_id in ids], problem

    def _look_up_ec2(self, ids: list[str]) -> None:
        for start in range(0, len(ids), EC2_IDS_PER_CALL):
            chunk = ids[start : start + EC2_IDS_PER_CALL]
            self._ec2_listing([{"Name": "instance-id", "Values": chunk}])
            for instance_id in chunk:
                self._ec2_states.setdefault(instance_id, NOT_FOUND_IN_EC2)

    def _state(self, instance_id: str, ssm_complete: bool) -> InstanceState:
        ec2_state = self._ec2_states.get(instance_id, "")
        node = self._nodes.get(instance_id)
        if node is not None:
            last = node.get("LastSuccessfulAssociationExecutionDate")
            return InstanceState(
                instance_id,
                ec2_state,
                node.get("PingStatus") or "unknown",
                last if isinstance(last, datetime) else None,
                managed=True,
            )
        # Absent from a complete listing means "not managed" only where SSM would have described
        # it: a running instance, or one that is no EC2 instance at all.
        described_if_managed = ec2_state in SSM_DESCRIBES or not instance_id.startswith("i-")
        absent_proves = ssm_complete and described_if_managed
        return InstanceState(instance_id, ec2_state, managed=False if absent_proves else None)


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
