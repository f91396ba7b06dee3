"""A sweep run's merged report (SweepReport), and one association's result as stored records:
JSON, with the missed instances in chunks so no record nears DynamoDB's 400 KB item limit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .sweep_check import AssociationResult
from .targets import InstanceState
from .times import parse_time

# About 150 bytes an instance as JSON: 500 a chunk stays far below 400 KB.
INSTANCES_PER_CHUNK = 500


class SweepReport:
    def __init__(
        self,
        results: list[AssociationResult],
        swept_at: datetime,
        region: str = "",
        partition: str = "aws",
    ) -> None:
        self.results = results
        self.swept_at = swept_at
        self.region = region
        self.partition = partition

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
        """Something to report was missed, or something could not be checked."""
        return bool(self.missed or self.not_checked)


_FIELDS = (
    "document",
    "association_id",
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
        setattr(result, name, summary[name])
    result.unresolved = tuple(summary.get("unresolved") or ())
    # A retried unit may have left more chunks than its stored summary counts.
    kept = chunks[: summary.get("chunks", 0)]
    result.missed = [_state_from(record) for chunk in kept for record in json.loads(chunk)]
    return result


def _state_record(state: InstanceState) -> list[Any]:
    last = state.last_success.isoformat() if state.last_success else None
    return [state.instance_id, state.ec2_state, state.ping_status, last, state.managed]


def _state_from(record: list[Any]) -> InstanceState:
    instance_id, ec2_state, ping_status, last, managed = record
    return InstanceState(
        instance_id, ec2_state, ping_status, parse_time(last) if last else None, managed
    )
