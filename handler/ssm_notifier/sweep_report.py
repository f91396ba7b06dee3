"""A sweep run's merged report (SweepReport), and one association's result as stored records:
JSON, with the missed instances in chunks so no record nears DynamoDB's 400 KB item limit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from .sweep_check import AssociationResult
from .targets import InstanceState
from .times import parse_time

# About 150 bytes an instance as JSON, plus its name cut to STORED_NAME_CHARS (at worst 12
# bytes a character as JSON escapes it, 480 bytes): 500 a chunk stays below 400 KB (~315 KB).
INSTANCES_PER_CHUNK = 500
STORED_NAME_CHARS = 40


class SweepReport:
    def __init__(
        self,
        results: list[AssociationResult],
        swept_at: datetime,
        region: str = "",
        partition: str = "aws",
        coverage: list[str] | None = None,
        name_of: Callable[[str], str] = lambda _: "",
        zone: tzinfo | None = None,
    ) -> None:
        self.results = results
        self.swept_at = swept_at
        self.region = region  # the function's own (Scope=account: the only one swept)
        self.partition = partition
        # Scope=organization: what coverage has to say (coverage.Coverage.lines), and the
        # accounts' names for the digest's account headings.
        self.coverage = coverage or []
        self.name_of = name_of
        self.zone = zone  # DISPLAY_TIME_ZONE: times shown in it beside UTC (None: UTC only)
        # Every (account, region) swept: those listed, and those named in a result.
        self.places = {(r.account, r.region) for r in results if r.account}

    @property
    def across_organization(self) -> bool:
        return bool(self.places)

    @property
    def missed(self) -> list[AssociationResult]:
        return [result for result in self.results if result.missed]

    @property
    def missed_count(self) -> int:
        return sum(len(result.missed) for result in self.results)

    @property
    def held_back_count(self) -> int:
        return sum(result.held_back for result in self.results)

    @property
    def not_checked(self) -> list[AssociationResult]:
        return [result for result in self.results if result.error]

    @property
    def unresolved(self) -> list[AssociationResult]:
        return [result for result in self.results if result.unresolved]

    @property
    def worth_sending(self) -> bool:
        """Something to report was missed, or something could not be checked, or coverage
        names a spoke to look at."""
        return bool(self.missed or self.not_checked or self.coverage)


_FIELDS = (
    "document",
    "association_id",
    "account",
    "region",
    "name",
    "schedule",
    "window",
    "targets",
    "targeted",
    "ran",
    "held_back",
    "notes",
    "error",
)


def result_records(result: AssociationResult) -> tuple[str, list[str]]:
    """The result as (summary JSON, [missed-instance chunk JSON, ...])."""
    summary = {name: getattr(result, name) for name in _FIELDS}
    summary["unresolved"] = list(result.unresolved)
    summary["chunks"] = -(-len(result.missed) // INSTANCES_PER_CHUNK)
    chunks = [
        json.dumps(
            [_state_record(state) for state in result.missed[start : start + INSTANCES_PER_CHUNK]]
        )
        for start in range(0, len(result.missed), INSTANCES_PER_CHUNK)
    ]
    return json.dumps(summary), chunks


def result_from_records(summary_json: str, chunks: list[str]) -> AssociationResult:
    summary = json.loads(summary_json)
    result = AssociationResult(summary["document"], summary["association_id"])
    for name in _FIELDS:
        # A record written before account and region were kept: "" (the function's own).
        setattr(result, name, summary.get(name, ""))
    result.unresolved = tuple(summary.get("unresolved") or ())
    # A retried unit may have left more chunks than its stored summary counts.
    kept = chunks[: summary.get("chunks", 0)]
    result.missed = [_state_from(record) for chunk in kept for record in json.loads(chunk)]
    return result


def _state_record(state: InstanceState) -> list[Any]:
    last = state.last_success.isoformat() if state.last_success else None
    return [
        state.instance_id,
        state.ec2_state,
        state.ping_status,
        last,
        state.managed,
        state.name[:STORED_NAME_CHARS],
    ]


def _state_from(record: list[Any]) -> InstanceState:
    # Five fields in a record written before names were kept.
    instance_id, ec2_state, ping_status, last, managed, *name = record
    return InstanceState(
        instance_id,
        ec2_state,
        ping_status,
        parse_time(last) if last else None,
        managed,
        str(name[0]) if name else "",
    )
