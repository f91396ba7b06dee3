"""A sweep run's merged report (SweepReport), and one association's result as stored records:
JSON, with the missed instances in chunks so no record nears DynamoDB's 400 KB item limit.

Besides missed instances the report holds the run's findings of misconfiguration, each worth a
digest by itself: watched documents that do not exist (or could not be looked up), watched
documents no association uses, targets the sweep cannot resolve (not held back), and silent
associations (runs due, no event; sweep_silence)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from .sweep_check import AssociationResult
from .sweep_documents import NOT_FOUND
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
        unused_documents: list[str] | None = None,
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
        # Watched documents that exist but no association in any swept place uses (the caller
        # knows: the run's plan).
        self.unused_documents = unused_documents or []

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
    def missing_documents(self) -> list[AssociationResult]:
        """A watched document that does not exist where it was looked up."""
        return [result for result in self.results if result.document_lookup == NOT_FOUND]

    @property
    def documents_not_looked_up(self) -> list[AssociationResult]:
        return [
            result
            for result in self.results
            if result.document_lookup and result.document_lookup != NOT_FOUND
        ]

    @property
    def unresolved_to_report(self) -> list[AssociationResult]:
        """Targets not checked, not reported within the reminder period."""
        return [result for result in self.unresolved if not result.unresolved_before]

    def silent(self, kind: str) -> list[AssociationResult]:
        return [result for result in self.results if result.silent == kind]

    @property
    def findings(self) -> int:
        """How many findings of misconfiguration the digest names."""
        return (
            len(self.missing_documents)
            + len(self.documents_not_looked_up)
            + len(self.unused_documents)
            + len(self.unresolved_to_report)
            + sum(1 for result in self.results if result.silent)
        )

    def routed_places(self, home_account: str) -> tuple[list[str], list[str], list[str]]:
        """(accounts, regions, documents) the digest names, for its routing attributes: every
        result it reports on. A result without an account (Scope=account) is `home_account`'s,
        in the function's own region."""
        named = [
            result
            for result in self.results
            if result.missed
            or result.error
            or result.document_lookup
            or (result.unresolved and not result.unresolved_before)
            or result.silent
        ]
        accounts = [result.account or home_account for result in named]
        regions = [result.region or self.region for result in named]
        documents = [result.document for result in named]
        return accounts, regions, documents + self.unused_documents

    @property
    def worth_sending(self) -> bool:
        """Something to report was missed, or something could not be checked, or a finding of
        misconfiguration, or coverage names a spoke to look at."""
        return bool(self.missed or self.not_checked or self.findings or self.coverage)


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
    "document_lookup",
    "unresolved_before",
    "silent",
    "silent_text",
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
        # A record written before a field was kept: its default (account, region: "", the
        # function's own).
        if name in summary:
            setattr(result, name, summary[name])
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
