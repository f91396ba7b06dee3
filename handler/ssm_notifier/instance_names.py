"""The names people use for instances: each one's `Name` tag, else its managed node's computer name.

For a digest's instances, per account and region: EC2 DescribeTags (the `Name` tags of up to
EC2_IDS_PER_CALL instances a call) for EC2 instances, then SSM DescribeInstanceInformation
(InstanceIds filter, one page of SSM_IDS_PER_CALL a call) for the rest: EC2 instances without a
Name tag and hybrid nodes (`mi-...`, which have computer names but no EC2 tags). 1,000 instances
in one place cost at most 5 EC2 calls and 20 SSM calls, fewer when most carry a Name tag.

Names are kept in a NameCache for the sandbox's life (notify.Runtime), each for NAME_TTL_SECONDS,
an instance that has no name as well as one that has. Every call starts only if `before_call`
allows it (the invocation's deadline) and while the lookup's own time budget lasts. Nothing here
raises: a call that fails, a reader role that cannot be assumed, time running short leave those
instances with bare ids; the digest goes out regardless.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from .deadline import OutOfTimeError
from .log import describe_error, fields, get_logger

# DescribeTags: a filter takes up to 200 values (EC2 API reference, "Filters"); with key=Name
# a page (MaxResults up to 1000) holds every tag of 200 instances.
EC2_IDS_PER_CALL = 200
EC2_PAGE_SIZE = 1000
# DescribeInstanceInformation: the InstanceIds filter takes up to 100 values, a page holds at
# most 50 (ssm service-2.json InstanceInformationFilterValueSet, MaxResultsEC2Compatible).
SSM_IDS_PER_CALL = 50
NAME_TTL_SECONDS = 3600  # a renamed instance shows its new name within the hour
CACHE_MAX_ENTRIES = 20_000  # about 3 MB at most; the oldest are dropped first
DEFAULT_BUDGET_SECONDS = 5.0
# The instances of one digest named at most (those first in the list the caller gives).
MAX_INSTANCES = 1_000

Key = tuple[str, str, str]  # (account, region, instance id)
# (service, account, region) -> that place's client; raises when it cannot be had.
ClientsFor = Callable[[str, str, str], Any]

logger = get_logger()


class NameCache:
    """Instance names for the sandbox's life, each kept `ttl_seconds` ("" = has none)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        ttl_seconds: float = NAME_TTL_SECONDS,
        max_entries: int = CACHE_MAX_ENTRIES,
    ) -> None:
        self._clock = clock
        self._ttl = ttl_seconds
        self._max = max_entries
        self._names: OrderedDict[Key, tuple[str, float]] = OrderedDict()

    def get(self, key: Key) -> str | None:
        """The name, "" for an instance known to have none, None when not known (or expired)."""
        kept = self._names.get(key)
        if kept is None:
            return None
        if kept[1] <= self._clock():
            del self._names[key]
            return None
        return kept[0]

    def put(self, key: Key, name: str) -> None:
        self._names[key] = (name, self._clock() + self._ttl)
        self._names.move_to_end(key)
        while len(self._names) > self._max:
            self._names.popitem(last=False)

    def __len__(self) -> int:
        return len(self._names)


def _is_node_id(instance_id: str) -> bool:
    """An EC2 instance id (i-...) or a hybrid managed node id (mi-...), not a window target."""
    return instance_id.startswith(("i-", "mi-")) and " " not in instance_id


class InstanceNames:
    """One digest's lookup: `names(keys)` gives the name of each instance found, in bulk."""

    def __init__(
        self,
        cache: NameCache,
        clients_for: ClientsFor,
        before_call: Callable[[str], None] = lambda service: None,
        budget_seconds: float = DEFAULT_BUDGET_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache = cache
        self._clients_for = clients_for
        self._before_call = before_call  # raises OutOfTimeError when the deadline forbids a call
        self._budget = budget_seconds
        self._clock = clock
        self._spent = 0.0
        self._stopped = ""  # why no further call is made (time)
        self.calls: dict[str, int] = {"ec2": 0, "ssm": 0}  # for logs and tests

    def names(self, keys: Iterable[Key]) -> dict[Key, str]:
        """Names of the instances that have one; an instance without, or not looked up, is
        absent. Cached names first; the rest looked up per account and region."""
        found: dict[Key, str] = {}
        wanted: dict[tuple[str, str], list[str]] = {}
        # Only node ids are looked up: a maintenance window entry names a window target instead.
        nodes = (key for key in dict.fromkeys(keys) if _is_node_id(key[2]))
        for key in list(nodes)[:MAX_INSTANCES]:
            cached = self._cache.get(key)
            if cached is None:
                wanted.setdefault(key[:2], []).append(key[2])
            elif cached:
                found[key] = cached
        for (account, region), instance_ids in wanted.items():
            if self._stopped:
                break
            looked_up = self._place(account, region, instance_ids)
            found.update({(account, region, i): name for i, name in looked_up.items() if name})
        if wanted:
            logger.info(
                "instance names looked up",
                extra=fields(
                    asked=sum(len(ids) for ids in wanted.values()),
                    named=len(found),
                    ec2_calls=self.calls["ec2"],
                    ssm_calls=self.calls["ssm"],
                    stopped=self._stopped,
                ),
            )
        return found

    def _place(self, account: str, region: str, instance_ids: list[str]) -> dict[str, str]:
        """Names in one account and region; what is learnt is cached, a failure is logged."""
        names: dict[str, str] = {}
        unnamed = [i for i in instance_ids if not i.startswith("i-")]
        ec2_ids = [i for i in instance_ids if i.startswith("i-")]
        try:
            ec2 = self._clients_for("ec2", account, region) if ec2_ids else None
            for start in range(0, len(ec2_ids), EC2_IDS_PER_CALL):
                chunk = ec2_ids[start : start + EC2_IDS_PER_CALL]
                tagged = self._name_tags(ec2, chunk)
                names.update(tagged)
                unnamed.extend(i for i in chunk if i not in tagged)
            ssm = self._clients_for("ssm", account, region) if unnamed else None
            for start in range(0, len(unnamed), SSM_IDS_PER_CALL):
                chunk = unnamed[start : start + SSM_IDS_PER_CALL]
                computers = self._computer_names(ssm, chunk)
                names.update(computers)
                # Asked both ways and named by neither: it has no name (remembered too).
                for instance_id in chunk:
                    self._cache.put((account, region, instance_id), computers.get(instance_id, ""))
        except OutOfTimeError as error:
            self._stopped = str(error)
        except Exception as error:  # bare ids for this place; the others are still looked up
            logger.warning(
                "instance names not looked up",
                extra=fields(account=account, region=region, reason=describe_error(error)),
            )
        for instance_id, name in names.items():
            self._cache.put((account, region, instance_id), name)
        return names

    def _name_tags(self, ec2: Any, instance_ids: list[str]) -> dict[str, str]:
        request: dict[str, Any] = {
            "Filters": [
                {"Name": "resource-id", "Values": instance_ids},
                {"Name": "key", "Values": ["Name"]},
            ],
            "MaxResults": EC2_PAGE_SIZE,
        }
        names: dict[str, str] = {}
        while True:
            page = self._call("ec2", ec2.describe_tags, request)
            for tag in page.get("Tags") or []:
                if tag.get("Key") == "Name" and tag.get("Value") and tag.get("ResourceId"):
                    names[str(tag["ResourceId"])] = str(tag["Value"])
            if not page.get("NextToken"):
                return names
            request["NextToken"] = page["NextToken"]

    def _computer_names(self, ssm: Any, instance_ids: list[str]) -> dict[str, str]:
        request: dict[str, Any] = {
            "Filters": [{"Key": "InstanceIds", "Values": instance_ids}],
            "MaxResults": SSM_IDS_PER_CALL,
        }
        names: dict[str, str] = {}
        while True:
            page = self._call("ssm", ssm.describe_instance_information, request)
            for node in page.get("InstanceInformationList") or []:
                name = node.get("ComputerName") or node.get("Name")  # Name: a hybrid node's own
                if name and node.get("InstanceId"):
                    names[str(node["InstanceId"])] = str(name)
            if not page.get("NextToken"):
                return names
            request["NextToken"] = page["NextToken"]

    def _call(self, service: str, operation: Callable[..., dict], request: dict) -> dict:
        if self._spent >= self._budget:
            raise OutOfTimeError(f"time budget of {self._budget:g} s for names spent")
        self._before_call(service)
        self.calls[service] += 1
        started = self._clock()
        try:
            return operation(**request)
        finally:
            self._spent += self._clock() - started
