"""Coverage of an organization: which accounts and regions should report, against those that did.

"Should report": the spokes' StackSet instances (ListStackInstances: account, region, and whether
the instance is CURRENT), and the organization's active accounts (ListAccounts) to find accounts
that have no spoke at all. "Did report": a set of (account, region) the caller passes in (the
notifier's events seen in the period, the places the sweep could read); this module does not
decide where that record lives.

`compare` names silent spokes (expected, nothing seen), spokes whose instance is not CURRENT
(outdated, inoperable, failed: the StackSet could not deploy or update them), and accounts with no
spoke. The hub's own account needs no spoke in its own region (the hub's default-bus rule) and
StackSets never deploy to the management account, so it is never listed as without a spoke.
Listing is bounded (pages, and the clients' own deadlines); an API error raises to the caller,
which reports coverage as not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from .accounts import Place

MAX_PAGES = 50  # of 100 instances or 20 accounts each: far beyond any StackSet's quota
PAGE_SIZE = 100


class SpokeInstance(NamedTuple):
    place: Place
    status: str  # CURRENT, OUTDATED, INOPERABLE (StackInstanceSummary.Status)
    detail: str = ""  # StackInstanceStatus.DetailedStatus, and StatusReason when given

    @property
    def healthy(self) -> bool:
        return self.status == "CURRENT"


class Coverage(NamedTuple):
    expected: tuple[Place, ...]
    seen: tuple[Place, ...]
    silent: tuple[Place, ...]  # a spoke that should report, and nothing was seen from it
    unhealthy: tuple[SpokeInstance, ...]  # a spoke not CURRENT: not deployed, not up to date
    without_spoke: tuple[str, ...]  # active accounts of the organization with no spoke at all

    @property
    def worth_reporting(self) -> bool:
        return bool(self.silent or self.unhealthy or self.without_spoke)

    def lines(self, name_of: Callable[[str], str] = lambda _: "") -> list[str]:
        """What a digest says: one line per place or account, with its name when known."""

        def label(account: str) -> str:
            name = name_of(account)
            return f"{account} ({name})" if name else account

        lines = [
            f"Coverage: {len(self.expected)} account-regions should report, "
            f"{len(self.expected) - len(self.silent)} did"
        ]
        lines += [
            f"  silent: {label(place.account)} {place.region}: no event and no sweep answer "
            "in the period"
            for place in self.silent
        ]
        lines += [
            f"  spoke {instance.status.lower()}: {label(instance.place.account)} "
            f"{instance.place.region}" + (f": {instance.detail}" if instance.detail else "")
            for instance in self.unhealthy
        ]
        lines += [
            f"  no spoke: {label(account)}: not in the target OUs, or the StackSet has not "
            "reached it"
            for account in self.without_spoke
        ]
        return lines


def spoke_instances(
    cloudformation: Any, stack_set_name: str, call_as: str = "SELF"
) -> list[SpokeInstance]:
    """Every instance of the spokes' StackSet (ListStackInstances, paged)."""
    found: list[SpokeInstance] = []
    token = None
    for _ in range(MAX_PAGES):
        arguments: dict[str, Any] = {
            "StackSetName": stack_set_name,
            "MaxResults": PAGE_SIZE,
            "CallAs": call_as,
        }
        if token:
            arguments["NextToken"] = token
        page = cloudformation.list_stack_instances(**arguments)
        for summary in page.get("Summaries") or []:
            account, region = summary.get("Account"), summary.get("Region")
            if not account or not region:
                continue
            detailed = (summary.get("StackInstanceStatus") or {}).get("DetailedStatus", "")
            detail = "; ".join(
                text for text in (detailed, summary.get("StatusReason") or "") if text
            )
            status = summary.get("Status") or "UNKNOWN"
            # A CURRENT summary whose last operation failed is not a working spoke either.
            if status == "CURRENT" and detailed in ("FAILED", "CANCELLED"):
                status = detailed
            found.append(SpokeInstance(Place(account, region), status, detail))
        token = page.get("NextToken")
        if not token:
            return found
    raise RuntimeError(f"more than {MAX_PAGES} pages of stack instances: coverage not checked")


def active_accounts(organizations: Any) -> list[str]:
    """The organization's ACTIVE accounts (ListAccounts, paged); needs the management account or
    an Organizations delegated administrator."""
    found: list[str] = []
    token = None
    for _ in range(MAX_PAGES):
        page = organizations.list_accounts(**({"NextToken": token} if token else {}))
        found += [
            account["Id"]
            for account in page.get("Accounts") or []
            if account.get("Id") and account.get("Status", "ACTIVE") == "ACTIVE"
        ]
        token = page.get("NextToken")
        if not token:
            return found
    raise RuntimeError(f"more than {MAX_PAGES} pages of accounts: coverage not checked")


def compare(
    instances: Iterable[SpokeInstance],
    seen: Iterable[Place],
    *,
    hub: Place,
    accounts: Iterable[str] | None = None,
) -> Coverage:
    """What should have reported against what did; `accounts` (None: not known) adds the accounts
    with no spoke at all."""
    instances = list(instances)
    seen_places = set(seen)
    expected = sorted({instance.place for instance in instances} | {hub})
    silent = tuple(place for place in expected if place not in seen_places)
    unhealthy = tuple(
        sorted((i for i in instances if not i.healthy), key=lambda instance: instance.place)
    )
    with_spoke = {instance.place.account for instance in instances} | {hub.account}
    without = tuple(sorted(set(accounts or ()) - with_spoke))
    return Coverage(
        expected=tuple(expected),
        seen=tuple(sorted(seen_places)),
        silent=silent,
        unhealthy=unhealthy,
        without_spoke=without,
    )
