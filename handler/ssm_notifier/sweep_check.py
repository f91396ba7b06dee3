"""The sweep's check of ONE association: its targets against the instances its executions in the
window ran on. Returns an AssociationResult; publishes and records nothing.

What counts as "ran": the ResourceIds of DescribeAssociationExecutionTargets, any status (failures
are the notification pipeline's job), of every execution created in the association's window
(`sweep_window`: from its real last due occurrence, grace included).

Bounds: no page or item cap. Executions' targets and target listings are streamed into sets of
ids (about 100 bytes an id: a 100,000-target association holds two sets of ~10 MB); the states of
the missed instances are looked up by id. Time: each call starts only if its worst case fits
before the reserve (`paging.Pager`); a check the time cuts is "not checked", never "missed". An
API error marks the association "could not check"; a schedule AWS would reject is "schedule not
understood". Already-reported instances are held back by `missed_memory` (reminders), and so are
targets the sweep cannot resolve (reported once, then after the reminder period). Whether the
notifier heard of the runs that were due is `sweep_silence`'s check, made with the same reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import log
from .missed_memory import SCHEDULE_KEY, TARGETS_KEY, MissedMemory, fingerprint
from .paging import SSM_PAGE_SIZE, OutOfTimeError, Pager
from .settings import SweepSettings
from .sweep_silence import EventLog, Expected, expected, overview_ran_watched, silence
from .sweep_window import association_window
from .targets import Fleet, InstanceState, describe_target
from .times import api_time, as_utc

logger = log.get_logger()


class AssociationResult:
    """One association's check. `error` set: it could not be checked (association_id "" when a
    whole document could not be listed). `unresolved` set: its targets were not checked.
    `missed` holds the instances to report; `held_back` counts those missed but already reported
    within the reminder period. `account` and `region`: where it lives, under Scope=organization
    ("" in Scope=account: the function's own).

    Findings of misconfiguration: `document_lookup` (a document-level result, association_id
    ""): "not found" when the watched document does not exist there, else why it could not be
    looked up. `unresolved_before`: its unresolved targets were reported before (held back until
    the reminder period). `silent` (sweep_silence.RAN_NO_EVENT or NOT_RUN) with `silent_text`:
    runs were due but the notifier heard of none."""

    def __init__(
        self,
        document: str,
        association_id: str = "",
        *,
        missed: list[InstanceState] | None = None,
        error: str = "",
        account: str = "",
        region: str = "",
    ) -> None:
        self.document = document
        self.association_id = association_id
        self.account = account
        self.region = region
        self.name = ""
        self.schedule = ""
        self.window = ""  # how the schedule was read and the window used, for the digest
        self.targets = ""  # as the digest shows them, e.g. "tag:Patch=yes"
        self.targeted = 0
        self.ran = 0
        self.missed = [] if missed is None else missed
        self.held_back = 0
        self.unresolved: tuple[str, ...] = ()
        self.notes: list[str] = []
        self.error = error
        self.document_lookup = ""
        self.unresolved_before = False
        self.silent = ""
        self.silent_text = ""

    @property
    def label(self) -> str:
        if not self.association_id:
            return self.document
        name = f"{self.name} ({self.association_id})" if self.name else self.association_id
        return f"{self.document}: {name}"

    @property
    def missed_total(self) -> int:
        return len(self.missed) + self.held_back

    @property
    def unit(self) -> str:
        """Its key in a run's records and in the missed memory (`unit_key`)."""
        return unit_key(self.account, self.region, self.association_id, self.document)


def unit_key(account: str, region: str, association_id: str, document: str = "") -> str:
    """`<association id>`, or `document:<document>` for a document that could not be listed;
    under Scope=organization prefixed by its place: `<account>:<region>:<association id>`,
    `document:<account>:<region>:<document>`."""
    place = f"{account}:{region}:" if account else ""
    return place + association_id if association_id else f"document:{place}{document}"


def unit_parts(unit: str) -> tuple[str, str, str]:
    """(account, region, association id or document) of a unit key."""
    rest = unit.removeprefix("document:")
    account, _, after = rest.partition(":")
    if len(account) == 12 and account.isdigit() and ":" in after:
        region, _, name = after.partition(":")
        return account, region, name
    return "", "", rest


class CannotCheckError(Exception):
    """The association cannot be compared; the message is the reason shown in the digest."""


def check_association(
    document: str,
    association_id: str,
    settings: SweepSettings,
    *,
    ssm: Any,
    fleet: Fleet,
    pager: Pager,
    now: datetime,
    memory: MissedMemory | None = None,
    account: str = "",
    region: str = "",
    events: EventLog | None = None,
    watching_since: datetime | None = None,
) -> AssociationResult:
    """Check one association (in `account` and `region` under Scope=organization: `ssm` and
    `fleet` read there); never raises for an API error or the time running out. `events`: the
    notifier's RUN items of that place, for the silent-association check (None: not made);
    `watching_since`: when the sweep's earliest recorded run began."""
    from .schedule import ScheduleError  # with the reader, at the first check

    result = AssociationResult(document, association_id, account=account, region=region)
    try:
        description = pager.call(ssm.describe_association, AssociationId=association_id).get(
            "AssociationDescription", {}
        )
        result.name = description.get("AssociationName") or ""
        result.schedule = description.get("ScheduleExpression") or ""
        targets = description.get("Targets") or []
        legacy_id = description.get("InstanceId") or ""
        result.targets = "; ".join(describe_target(t) for t in targets) or legacy_id
        try:
            window = association_window(description, now, settings.sweep_period)
        except ScheduleError as error:
            return _schedule_not_understood(result, str(error), memory, now)
        result.window = window.text
        if window.since is None:
            result.notes.append(window.reason)
            return _logged(result)
        expect = expected(window.since, now, watching_since, settings.watched_statuses)
        resolution = fleet.resolve(targets, legacy_id)
        if resolution.unresolved:
            result.unresolved = resolution.unresolved
            _hold_back_unresolved(result, memory, now)
            logger.warning(
                "targets not checked",
                extra=log.fields(
                    association_id=association_id, document=document, targets=result.targets
                ),
            )
            _check_silence(
                result,
                events,
                since=window.since,
                expect=expect,
                ran_watched=overview_ran_watched(description, expect),
                executions=None,
                description=description,
            )
            return result
        ran, executions, ran_watched = _ran_instances(
            ssm, pager, association_id, window.since, expect
        )
        _check_silence(
            result,
            events,
            since=window.since,
            expect=expect,
            ran_watched=ran_watched,
            executions=executions,
            description=description,
        )
        if not executions:
            result.notes.append("no execution in the window: every target counts as missed")
        result.targeted = len(resolution.ids)
        result.ran = len(resolution.ids & ran)
        missed_ids = resolution.ids - ran
        del ran
        states, problem = fleet.states(missed_ids)
        if problem:
            result.notes.append(f"instance states not all looked up: {problem}")
        result.missed = states
        if memory is not None:
            _hold_back_repeats(result, memory, now)
    except Exception as error:
        return not_checked(result, error)
    return _logged(result)


def list_association_ids(ssm: Any, pager: Pager, document: str):
    """The ids of every association of `document`, streamed (each id once)."""
    seen: set[str] = set()
    for association in pager.stream(
        ssm.list_associations,
        {
            "AssociationFilterList": [{"key": "Name", "value": document}],
            "MaxResults": SSM_PAGE_SIZE,
        },
        lambda page: page.get("Associations") or [],
    ):
        association_id = association.get("AssociationId")
        if association_id and association_id not in seen:
            seen.add(association_id)
            yield association_id


def _ran_instances(
    ssm: Any, pager: Pager, association_id: str, since: datetime, expect: Expected | None = None
) -> tuple[set[str], int, int]:
    """The ResourceIds every execution created since `since` ran on, how many executions, and
    how many of their targets should have sent the notifier an event (`expect`)."""
    executions = pager.items(
        ssm.describe_association_executions,
        {
            "AssociationId": association_id,
            "Filters": [{"Key": "CreatedTime", "Value": api_time(since), "Type": "GREATER_THAN"}],
            "MaxResults": SSM_PAGE_SIZE,
        },
        lambda page: [
            execution["ExecutionId"]
            for execution in page.get("AssociationExecutions") or []
            if execution.get("ExecutionId")
            # The filter is the service's; checked here again in case a time is out of range.
            and not (
                isinstance(created := execution.get("CreatedTime"), datetime)
                and as_utc(created) < since
            )
        ],
    )
    ran: set[str] = set()
    watched = 0
    for execution_id in executions:
        for target in pager.stream(
            ssm.describe_association_execution_targets,
            {
                "AssociationId": association_id,
                "ExecutionId": execution_id,
                "MaxResults": SSM_PAGE_SIZE,
            },
            lambda page: page.get("AssociationExecutionTargets") or [],
        ):
            if target.get("ResourceId"):
                ran.add(target["ResourceId"])
                watched += expect is not None and expect.counts(target)
    return ran, len(executions), watched


def _check_silence(result: AssociationResult, events: EventLog | None, **reads: Any) -> None:
    """The silent-association check (sweep_silence) on what the check read; its failure is a
    note, never the association's result."""
    kind, text = silence(events, result.association_id, **reads)
    if kind == "error":
        result.notes.append(text)
    elif kind:
        result.silent, result.silent_text = kind, text
        logger.warning(
            "association silent",
            extra=log.fields(association_id=result.association_id, silent=kind, text=text),
        )


def _hold_back_unresolved(
    result: AssociationResult, memory: MissedMemory | None, now: datetime
) -> None:
    """Targets the sweep cannot resolve are not a fault to fix: reported once (and again after
    the reminder period or when the targets change), like a schedule not understood."""
    if memory is None:
        return
    print_ = fingerprint(result.targets)
    remembered = memory.recall(result.unit).get(TARGETS_KEY)
    if not memory.is_due(remembered, print_, now):
        result.unresolved_before = True
        return
    memory.update(result.unit, [(TARGETS_KEY, print_)], [], now)


def _hold_back_repeats(result: AssociationResult, memory: MissedMemory, now: datetime) -> None:
    """Keep in `missed` only the instances worth reporting; remember them; forget the others."""
    remembered = memory.recall(result.unit)
    context = (result.schedule, result.targets)
    to_report: list[InstanceState] = []
    reported: list[tuple[str, str]] = []
    for state in result.missed:
        print_ = fingerprint(*context, state.summary)
        if memory.is_due(remembered.pop(state.instance_id, None), print_, now):
            to_report.append(state)
            reported.append((state.instance_id, print_))
    result.held_back = len(result.missed) - len(to_report)
    result.missed = to_report
    remembered.pop(SCHEDULE_KEY, None)
    # What is left was reported before and is no longer missed: its next miss is new.
    memory.update(result.unit, reported, list(remembered), now)
    if result.held_back:
        result.notes.append(
            f"{result.held_back} more missed, already reported and unchanged: reminded after "
            "the reminder period"
        )


def _schedule_not_understood(
    result: AssociationResult, reason: str, memory: MissedMemory | None, now: datetime
) -> AssociationResult:
    """Reported once (and again after the reminder period), never as missed instances."""
    result.window = "not understood"
    message = f"schedule not understood, not checked: {reason}"
    if memory is not None:
        print_ = fingerprint(result.schedule)
        remembered = memory.recall(result.unit).get(SCHEDULE_KEY)
        if not memory.is_due(remembered, print_, now):
            result.notes.append(message + " (reported before)")
            return _logged(result)
        memory.update(result.unit, [(SCHEDULE_KEY, print_)], [], now)
    result.error = message
    logger.warning(
        "schedule not understood",
        extra=log.fields(association_id=result.association_id, reason=reason),
    )
    return result


def _logged(result: AssociationResult) -> AssociationResult:
    logger.info(
        "association checked",
        extra=log.fields(
            association_id=result.association_id,
            account=result.account,
            region=result.region,
            document=result.document,
            window=result.window,
            targeted=result.targeted,
            ran=result.ran,
            missed=len(result.missed),
            held_back=result.held_back,
            notes=result.notes,
        ),
    )
    return result


def not_checked(
    result: AssociationResult, error: Exception, operation: str = ""
) -> AssociationResult:
    if isinstance(error, (CannotCheckError, OutOfTimeError)):
        result.error = str(error)
    else:
        result.error = log.describe_error(error)
        if operation and "(" not in result.error:
            result.error += f" ({operation})"
    result.missed = []
    result.held_back = 0
    is_expected = isinstance(error, (CannotCheckError, OutOfTimeError)) or log.is_aws_error(error)
    logger.warning(
        "association not checked" if result.association_id else "document not fully checked",
        exc_info=not is_expected,
        extra=log.fields(
            association_id=result.association_id, document=result.document, reason=result.error
        ),
    )
    return result
