"""Fetch the real output of a failed run: the event's execution-summary holds stderr only.

DescribeAssociationExecutions -> the execution of the event's run ->
DescribeAssociationExecutionTargets -> its Run Command id -> `command_output` (the failed step's
output, its end read from S3 when the API cut it short). Bounded per batch
by a lookup count and a time budget; any error becomes a short "not fetched" reason, never an
exception: the digest goes out regardless.

With Scope=organization (`accounts` given) the lookups of an event from another account or region
go through that spoke's reader role (accounts.py); a role that cannot be assumed is the event's
"not fetched" reason.

A Run Command invocation (runs.COMMAND) names its command: `command_output` is asked directly. A
maintenance window target invocation names none: its reason says so (its Run Command task's
invocations are reported with their output under WatchRunCommand).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .accounts import AccountClients, ReaderUnavailableError
from .events import AssociationEvent
from .log import describe_error, fields, get_logger
from .paging import SSM_PAGE_SIZE
from .runs import COMMAND, WINDOW
from .times import as_utc, parse_time

TAIL_LINES = 20
TAIL_BYTES = 2048
WINDOW_NOT_FETCHED = (
    "a maintenance window event names no command "
    "(WatchRunCommand reports its Run Command tasks with their output)"
)
# An instance's clock may run a little ahead of the service's execution CreatedTime.
CLOCK_SKEW = timedelta(minutes=1)

logger = get_logger()


class OutputLookup(NamedTuple):
    """The last lines of a run's output, or why they were not fetched."""

    stdout_tail: str = ""
    stderr_tail: str = ""
    not_fetched: str = ""


class _NotFetchedError(Exception):
    """The lookup cannot go on; the message is the short reason shown in the digest."""


class Enricher:
    """Looks up run output for one batch; caches each association's executions for the batch."""

    def __init__(
        self,
        ssm: Any,
        max_lookups: int,
        time_budget_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        s3: Any = None,
        accounts: AccountClients | None = None,
    ) -> None:
        self._ssm = ssm
        self._s3 = s3  # reads the end of an output the API cut short; None: the API's text only
        self._accounts = accounts  # None: every event is read with `ssm` and `s3`
        self._max_lookups = max_lookups
        self._budget = time_budget_seconds
        self._clock = clock
        self._lookups = 0
        # Only time spent in lookups counts: pacing sleeps between publishes do not.
        self._spent = 0.0
        # Keyed by account, region and association: a failure is one account's, not all of them.
        self._executions: dict[tuple[str, str, str], list[dict[str, Any]] | _NotFetchedError] = {}

    def budget_left(self) -> float:
        return max(0.0, self._budget - self._spent)

    def lookup(self, event: AssociationEvent) -> OutputLookup:
        if event.kind == WINDOW:  # no call could find it: not counted against the limits
            return OutputLookup(not_fetched=WINDOW_NOT_FETCHED)
        if self._lookups >= self._max_lookups:
            return self._not_fetched(
                event, f"lookup limit of {self._max_lookups} per batch reached"
            )
        if self.budget_left() <= 0:
            return self._not_fetched(event, f"time budget of {self._budget:g} s per batch spent")
        self._lookups += 1
        started = self._clock()
        try:
            return self._fetch(event, started)
        # Whatever goes wrong, the digest falls back to the event's own summary.
        except Exception as error:
            reason = str(error) if isinstance(error, _NotFetchedError) else describe_error(error)
            return self._not_fetched(event, reason)
        finally:
            self._spent += self._clock() - started

    def _clients_for(self, event: AssociationEvent) -> tuple[Any, Any]:
        """The ssm and s3 clients that read in the event's account and region."""
        accounts = self._accounts
        if accounts is None or accounts.is_home(accounts.place(event.account, event.region)):
            return self._ssm, self._s3
        try:
            ssm = accounts.client("ssm", event.account, event.region)
        except ReaderUnavailableError as error:
            raise _NotFetchedError(str(error)) from None
        return ssm, accounts.lazy("s3", event.account, event.region)

    def _fetch(self, event: AssociationEvent, started: float) -> OutputLookup:
        # Loaded with the first output fetched: a batch without failures never needs it.
        from .command_output import fetch_step_output

        ssm, s3 = self._clients_for(event)
        command_id = (
            event.command_id if event.kind == COMMAND else self._command_of(ssm, event, started)
        )
        step = fetch_step_output(
            ssm,
            s3,
            command_id,
            event.instance_id,
            check_time=lambda: self._check_time(started),
        )
        if step.note:  # shown anyway: the API's first characters, and why not the end
            logger.warning(
                "output cut short",
                extra=fields(
                    association_id=event.association_id,
                    instance_id=event.instance_id,
                    step=step.step,
                    reason=step.note,
                ),
            )
        return OutputLookup(stdout_tail=tail(step.stdout), stderr_tail=tail(step.stderr))

    def _command_of(self, ssm: Any, event: AssociationEvent, started: float) -> str:
        """The Run Command id of the association run the event reports."""
        execution_id = _pick_execution(
            self._association_executions(ssm, event, started), event.last_execution_date
        )
        self._check_time(started)
        response = ssm.describe_association_execution_targets(
            AssociationId=event.association_id,
            ExecutionId=execution_id,
            Filters=[{"Key": "ResourceId", "Value": event.instance_id}],
        )
        targets = response.get("AssociationExecutionTargets") or []
        if not targets:
            raise _NotFetchedError(f"instance not among the targets of execution {execution_id}")
        source = targets[0].get("OutputSource") or {}
        if source.get("OutputSourceType") != "RunCommand" or not source.get("OutputSourceId"):
            raise _NotFetchedError("the execution has no Run Command output")
        return source["OutputSourceId"]

    def _association_executions(
        self, ssm: Any, event: AssociationEvent, started: float
    ) -> list[dict[str, Any]]:
        key = (event.account, event.region, event.association_id)
        cached = self._executions.get(key)
        if cached is None:
            self._check_time(started)
            try:
                response = ssm.describe_association_executions(
                    AssociationId=event.association_id, MaxResults=SSM_PAGE_SIZE
                )
                cached = list(response.get("AssociationExecutions") or [])
            except Exception as error:  # remembered, so the rest of the batch does not ask again
                cached = _NotFetchedError(describe_error(error))
            self._executions[key] = cached
        if isinstance(cached, _NotFetchedError):
            raise cached
        return cached

    def _check_time(self, started: float) -> None:
        if self._spent + (self._clock() - started) >= self._budget:
            raise _NotFetchedError(f"time budget of {self._budget:g} s per batch spent")

    def _not_fetched(self, event: AssociationEvent, reason: str) -> OutputLookup:
        logger.warning(
            "output not fetched",
            extra=fields(
                association_id=event.association_id, instance_id=event.instance_id, reason=reason
            ),
        )
        return OutputLookup(not_fetched=reason)


def _pick_execution(executions: list[dict[str, Any]], last_execution_date: str) -> str:
    """The latest execution created by the instance's run time, else the one closest to it."""
    dated = [
        (created, execution["ExecutionId"])
        for execution in executions
        if isinstance(created := execution.get("CreatedTime"), datetime)
        and execution.get("ExecutionId")
    ]
    if not dated:
        raise _NotFetchedError("the association has no executions")
    dated = [(as_utc(created), execution_id) for created, execution_id in dated]
    run_time = parse_time(last_execution_date)
    if run_time is None:
        return max(dated, key=lambda pair: pair[0])[1]
    started_before = [pair for pair in dated if pair[0] <= run_time + CLOCK_SKEW]
    if started_before:
        return max(started_before, key=lambda pair: pair[0])[1]
    return min(dated, key=lambda pair: abs(pair[0] - run_time))[1]


def tail(text: str, max_lines: int = TAIL_LINES, max_bytes: int = TAIL_BYTES) -> str:
    """The last `max_lines` lines of `text`, cut to at most `max_bytes` UTF-8 bytes."""
    last = "\n".join(text.rstrip().splitlines()[-max_lines:])
    encoded = last.encode()
    if len(encoded) <= max_bytes:
        return last
    # Cut on the left, where a split character is dropped rather than garbled.
    return "..." + encoded[-(max_bytes - 3) :].decode("utf-8", "ignore")
