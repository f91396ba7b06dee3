"""Lambda entry point of the missed-instance sweep: associations' targets against what really ran.

SSM sends no event at all for stopped or offline instances: they are simply not run (they run late
when they come back). Run on a schedule, this compares, for every association of the watched
documents, the instances it targets (see `targets`) with the instances its recent executions ran
on, and publishes ONE digest of the instances that were missed. Nothing missed and nothing that
could not be checked: no message, one log line.

What counts as "ran": the ResourceIds of DescribeAssociationExecutionTargets, any status (failures
are the notification pipeline's job), of every execution created within the association's last
schedule period. That period is:
- the association's own `rate(N minutes|hours|days)`;
- for `cron(...)`, no schedule, or anything else that is not a rate: the sweep's own period, from
  its `SWEEP_SCHEDULE` if that is a rate, else 1 day;
plus a grace of a tenth of the period, at most 1 hour, because a run does not start on the exact
second: without it, a daily association that ran 24 h 30 s ago would count every target as missed.

Bounds: every listing has a page cap and an item cap, at most MAX_ASSOCIATIONS are checked per
sweep, and no call starts when less than PUBLISH_RESERVE_SECONDS are left in the invocation. What is
cut is logged and said in the digest. An API error for one association (throttling, access denied,
not found) names it in the digest as "could not check" and the others are still checked. A digest
that cannot be published raises, so Lambda retries the invocation and then the failure queue and
its alarm take over.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from . import log
from .clients import CLIENT_OPTIONS as NOTIFIER_CLIENT_OPTIONS
from .clients import ClientCache, make_client
from .publish import Pacer, publish_digest
from .settings import SettingsError, load_settings
from .targets import Fleet, InstanceState, OutOfTimeError, Pager, describe_target
from .text import (
    CONSOLE_HOSTS,
    MESSAGE_BUDGET_BYTES,
    OMISSION_LINES_BYTES,
    REGION_PATTERN,
    SUBJECT_MAX_CHARS,
    URL_SAFE_ID,
    ascii_text,
    clean,
    plural,
    shorten,
    utf8_size,
)

DEFAULT_PERIOD = timedelta(days=1)
MAX_GRACE = timedelta(hours=1)
GRACE_FRACTION = 0.1
MAX_ASSOCIATIONS = 200
# More executions than this in one period means the runs cannot all be compared: the association
# is reported as not checked rather than listing instances that may well have run.
MAX_EXECUTIONS = 20
SSM_PAGE_SIZE = 50
# Kept back for publishing the digest (with the SNS client's retries) after the last check.
PUBLISH_RESERVE_SECONDS = 20.0
# Room in the message for the "could not check" and "targets not checked" sections.
PROBLEMS_BUDGET_BYTES = 30_000

RATE = re.compile(r"rate\(\s*([1-9][0-9]{0,5})\s+(minutes?|hours?|days?)\s*\)", re.IGNORECASE)
CRON = re.compile(r"cron\(([^()]+)\)")
DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_.:/-]{3,128}")

# The sweep lists a lot: more patience than the notifier's time-boxed enrichment.
CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "ssm": {
        "connect_timeout": 3,
        "read_timeout": 10,
        "retries": {"mode": "standard", "max_attempts": 5},
    },
    "ec2": {
        "connect_timeout": 3,
        "read_timeout": 10,
        "retries": {"mode": "standard", "max_attempts": 5},
    },
    "sns": NOTIFIER_CLIENT_OPTIONS["sns"],
}

logger = log.get_logger()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Runtime:
    """What lambda_handler takes from outside; tests replace parts of it."""

    def __init__(
        self, clients: ClientCache | None = None, now: Callable[[], datetime] = _utc_now
    ) -> None:
        self.clients = (
            ClientCache(partial(make_client, options=CLIENT_OPTIONS))
            if clients is None
            else clients
        )
        self.now = now


RUNTIME = Runtime()


# Settings


class SweepSettings(NamedTuple):
    topic_arn: str
    documents: tuple[str, ...]
    sweep_period: timedelta = DEFAULT_PERIOD
    log_level: str = "INFO"


def load_sweep_settings(environ: Mapping[str, str]) -> SweepSettings:
    """Settings from `environ`, or SettingsError naming the first bad variable."""
    base = load_settings(environ)  # TOPIC_ARN and LOG_LEVEL, checked as the notifier checks them
    documents = tuple(
        dict.fromkeys(
            name.strip() for name in environ.get("WATCHED_DOCUMENTS", "").split(",") if name.strip()
        )
    )
    if not documents:
        raise SettingsError(
            "WATCHED_DOCUMENTS is not set: no SSM document to sweep (e.g. AWS-UpdateSSMAgent)"
        )
    for name in documents:
        if not DOCUMENT_NAME.fullmatch(name):
            raise SettingsError(f"WATCHED_DOCUMENTS holds an invalid document name: {name[:200]!r}")
    schedule = environ.get("SWEEP_SCHEDULE", "").strip()
    if schedule and not (RATE.fullmatch(schedule) or CRON.fullmatch(schedule)):
        raise SettingsError(
            "SWEEP_SCHEDULE must be rate(N minutes|hours|days) or cron(...), "
            f"not {schedule[:200]!r}"
        )
    return SweepSettings(
        topic_arn=base.topic_arn,
        documents=documents,
        sweep_period=parse_rate(schedule) or DEFAULT_PERIOD,
        log_level=base.log_level,
    )


# Periods


class Period(NamedTuple):
    length: timedelta
    rule: str  # how it was chosen, for the digest

    @property
    def lookback(self) -> timedelta:
        """The period and its grace: how far back executions are looked for."""
        return self.length + min(self.length * GRACE_FRACTION, MAX_GRACE)


def parse_rate(expression: str) -> timedelta | None:
    """`rate(N minutes|hours|days)` as a timedelta; None for anything else (cron included)."""
    match = RATE.fullmatch(expression.strip())
    if not match:
        return None
    unit = match.group(2).lower().rstrip("s") + "s"
    return timedelta(**{unit: int(match.group(1))})


def cron_bound(expression: str) -> timedelta | None:
    """The longest a `cron(...)` schedule can leave between two runs, as an upper bound read from
    its fields (minutes hours day-of-month month day-of-week year); None if it is not a cron.

    An upper bound, so a weekly or monthly association is not reported as missed on the days it
    is not due; the price is that a run missed early in a long gap is reported late.
    """
    match = CRON.fullmatch(expression.strip())
    if not match:
        return None
    fields = match.group(1).split()
    if len(fields) != 6:
        return None
    _minutes, hours, day_of_month, month, day_of_week, _year = fields
    if month != "*":
        return timedelta(days=366)
    if day_of_month not in ("*", "?"):
        return timedelta(days=31)
    if day_of_week not in ("*", "?"):
        return timedelta(days=7)
    every = re.fullmatch(r"(?:\*|0)/([1-9][0-9]?)", hours)
    if every:
        return timedelta(hours=int(every.group(1)))
    if hours != "*":
        return timedelta(days=1)
    return timedelta(hours=1)


def association_period(schedule: str, sweep_period: timedelta) -> Period:
    """The association's own rate, or the longest gap its cron allows; else the sweep's period
    (which defaults to 1 day)."""
    own = parse_rate(schedule)
    if own is not None:
        return Period(own, f"{schedule.strip()}")
    bound = cron_bound(schedule)
    if bound is not None:
        return Period(bound, f"{schedule.strip()[:100]}: at most {duration_text(bound)} apart")
    why = f"{schedule.strip()[:100]} is not a rate or cron" if schedule.strip() else "no schedule"
    return Period(sweep_period, f"{why}: the sweep's period is used")


def duration_text(length: timedelta) -> str:
    minutes = int(length.total_seconds() // 60)
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            return _counted(minutes // size, unit)
    if minutes >= 60:
        return f"{_counted(minutes // 60, 'hour')} {_counted(minutes % 60, 'minute')}"
    return _counted(minutes, "minute")


# Checking


class AssociationResult:
    """One association's check. `error` set: it could not be checked (association_id "" when a
    whole document could not be listed). `unresolved` set: its targets were not checked."""

    def __init__(
        self,
        document: str,
        association_id: str = "",
        name: str = "",
        schedule: str = "",
        period: Period | None = None,
        since: datetime | None = None,
        targets: str = "",
        targeted: int = 0,
        ran: int = 0,
        missed: list[InstanceState] | None = None,
        unresolved: tuple[str, ...] = (),
        notes: list[str] | None = None,
        error: str = "",
    ) -> None:
        self.document = document
        self.association_id = association_id
        self.name = name
        self.schedule = schedule
        self.period = period
        self.since = since
        self.targets = targets
        self.targeted = targeted
        self.ran = ran
        self.missed = [] if missed is None else missed
        self.unresolved = unresolved
        self.notes = [] if notes is None else notes
        self.error = error

    @property
    def label(self) -> str:
        if not self.association_id:
            return self.document
        name = f"{self.name} ({self.association_id})" if self.name else self.association_id
        return f"{self.document}: {name}"


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
    def not_checked(self) -> list[AssociationResult]:
        return [result for result in self.results if result.error]

    @property
    def unresolved(self) -> list[AssociationResult]:
        return [result for result in self.results if result.unresolved]

    @property
    def worth_sending(self) -> bool:
        """Something was missed, or something could not be checked (an error nobody would see)."""
        return bool(self.missed or self.not_checked)


class _CannotCheckError(Exception):
    """The association cannot be compared; the message is the reason shown in the digest."""


def sweep(
    settings: SweepSettings,
    *,
    ssm: Any,
    ec2: Any,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> SweepReport:
    """Check every association of the watched documents; never raises for an API error."""
    pager = Pager(seconds_left, PUBLISH_RESERVE_SECONDS)
    fleet = Fleet(ssm, ec2, pager)
    results: list[AssociationResult] = []
    checked = 0
    for document in settings.documents:
        try:
            associations, cut = pager.items(
                ssm.list_associations,
                {
                    "AssociationFilterList": [{"key": "Name", "value": document}],
                    "MaxResults": SSM_PAGE_SIZE,
                },
                lambda page: page.get("Associations") or [],
            )
        except Exception as error:
            results.append(_not_checked(AssociationResult(document), error, "ListAssociations"))
            continue
        if cut:
            results.append(
                _not_checked(
                    AssociationResult(document),
                    _CannotCheckError(
                        f"more associations than the {len(associations)} listed: the rest "
                        "not checked"
                    ),
                )
            )
        ids = list(
            dict.fromkeys(a["AssociationId"] for a in associations if a.get("AssociationId"))
        )
        room = max(0, MAX_ASSOCIATIONS - checked)
        for association_id in ids[:room]:
            results.append(
                _check_association(document, association_id, settings, ssm, fleet, pager, now)
            )
        checked += min(room, len(ids))
        if len(ids) > room:
            results.append(
                _not_checked(
                    AssociationResult(document),
                    _CannotCheckError(
                        f"{len(ids) - room} associations not checked: at most {MAX_ASSOCIATIONS} "
                        "per sweep"
                    ),
                )
            )
    return SweepReport(results, now, region=_region_of(ssm), partition=_partition_of(settings))


def _check_association(
    document: str,
    association_id: str,
    settings: SweepSettings,
    ssm: Any,
    fleet: Fleet,
    pager: Pager,
    now: datetime,
) -> AssociationResult:
    result = AssociationResult(document, association_id)
    try:
        pager.check_time()
        description = ssm.describe_association(AssociationId=association_id).get(
            "AssociationDescription", {}
        )
        result.name = description.get("AssociationName") or ""
        result.schedule = description.get("ScheduleExpression") or ""
        result.period = association_period(result.schedule, settings.sweep_period)
        result.since = now - result.period.lookback
        targets = description.get("Targets") or []
        legacy_id = description.get("InstanceId") or ""
        result.targets = "; ".join(describe_target(t) for t in targets) or legacy_id
        resolution = fleet.resolve(targets, legacy_id)
        if resolution.unresolved:
            result.unresolved = resolution.unresolved
            logger.warning(
                "targets not checked",
                extra=log.fields(
                    association_id=association_id, document=document, targets=result.targets
                ),
            )
            return result
        if resolution.cut:
            result.notes.append(
                f"targets cut: only {len(resolution.ids)} instances checked (listing limits)"
            )
        ran, executions = _ran_instances(ssm, pager, association_id, result.since)
        if not executions:
            result.notes.append("no execution in the period: every target counts as missed")
        result.targeted = len(resolution.ids)
        result.ran = len(resolution.ids & ran)
        result.missed, problem = fleet.states(resolution.ids - ran, resolution.ssm_listed)
        if problem:
            result.notes.append(f"instance states not all looked up: {problem}")
    except Exception as error:
        return _not_checked(result, error)
    logger.info(
        "association checked",
        extra=log.fields(
            association_id=association_id,
            document=document,
            period=result.period.rule if result.period else "",
            since=result.since,
            targeted=result.targeted,
            ran=result.ran,
            missed=len(result.missed),
            notes=result.notes,
        ),
    )
    return result


def _ran_instances(
    ssm: Any, pager: Pager, association_id: str, since: datetime
) -> tuple[set[str], int]:
    """The ResourceIds every execution created since `since` ran on, and how many executions."""
    executions, cut = pager.items(
        ssm.describe_association_executions,
        {
            "AssociationId": association_id,
            "Filters": [{"Key": "CreatedTime", "Value": _api_time(since), "Type": "GREATER_THAN"}],
            "MaxResults": SSM_PAGE_SIZE,
        },
        lambda page: page.get("AssociationExecutions") or [],
        max_items=MAX_EXECUTIONS,
    )
    if cut:
        raise _CannotCheckError(
            f"more than {MAX_EXECUTIONS} executions in the period: runs not all compared"
        )
    # The filter is the service's; checked here again in case a created time is out of range.
    recent = [
        execution["ExecutionId"]
        for execution in executions
        if execution.get("ExecutionId")
        and not (
            isinstance(created := execution.get("CreatedTime"), datetime)
            and _as_utc(created) < since
        )
    ]
    ran: set[str] = set()
    for execution_id in recent:
        targets, cut = pager.items(
            ssm.describe_association_execution_targets,
            {
                "AssociationId": association_id,
                "ExecutionId": execution_id,
                "MaxResults": SSM_PAGE_SIZE,
            },
            lambda page: page.get("AssociationExecutionTargets") or [],
        )
        if cut:
            raise _CannotCheckError(
                f"the targets of execution {execution_id} were cut (listing limits)"
            )
        ran.update(target["ResourceId"] for target in targets if target.get("ResourceId"))
    return ran, len(recent)


def _not_checked(
    result: AssociationResult, error: Exception, operation: str = ""
) -> AssociationResult:
    if isinstance(error, (_CannotCheckError, OutOfTimeError)):
        result.error = str(error)
    else:
        result.error = log.describe_error(error)
        if operation and "(" not in result.error:
            result.error += f" ({operation})"
    is_expected = isinstance(error, (_CannotCheckError, OutOfTimeError)) or _is_aws_error(error)
    logger.warning(
        "association not checked" if result.association_id else "document not fully checked",
        exc_info=not is_expected,
        extra=log.fields(
            association_id=result.association_id, document=result.document, reason=result.error
        ),
    )
    return result


def _is_aws_error(error: Exception) -> bool:
    return type(error).__module__.startswith("botocore")


# The digest


def subject(report: SweepReport) -> str:
    """E.g. `[SSM] 2 instances missed by AWS-UpdateSSMAgent`: printable ASCII, at most 99 chars."""
    failed = len(report.not_checked)
    if report.missed_count:
        documents = sorted({result.document for result in report.missed})
        head = f"[SSM] {_counted(report.missed_count, 'instance')} missed by "
        tail = f" ({_counted(failed, 'check')} failed)" if failed else ""
    else:
        documents = sorted({result.document for result in report.not_checked})
        head = "[SSM] Sweep of "
        tail = f": {_counted(failed, 'check')} failed"
    if not documents:
        return "[SSM] Sweep: nothing missed"
    name = ascii_text(documents[0] if len(documents) == 1 else f"{len(documents)} documents")
    room = SUBJECT_MAX_CHARS - len(head) - len(tail)
    if room >= 12:
        return head + shorten(name, room) + tail
    return shorten(ascii_text(head + name + tail), SUBJECT_MAX_CHARS)


def message(report: SweepReport, budget_bytes: int = MESSAGE_BUDGET_BYTES) -> str:
    """The plain-text body, at most `budget_bytes` UTF-8 bytes.

    What could not be checked keeps its own bounded share; instances that do not fit are counted
    in an "... and N more" line.
    """
    header = clean(_header(report))
    problems = clean(_problems(report, min(PROBLEMS_BUDGET_BYTES, budget_bytes // 4)))
    room = budget_bytes - OMISSION_LINES_BYTES - utf8_size(header) - utf8_size(problems) - 2
    lines: list[str] = []
    shown = 0
    for result in report.missed:
        section = clean(_section(result, report))
        for index, state in enumerate(result.missed):
            text = clean(_instance_text(state, report))
            needed = utf8_size(text) + 1 + (utf8_size(section) + 1 if index == 0 else 0)
            if needed > room:
                break
            if index == 0:
                lines.append(section)
            lines.append(text)
            room -= needed
            shown += 1
        else:
            continue
        break
    hidden = report.missed_count - shown
    if hidden:
        lines.append(f"... and {hidden} more {plural(hidden, 'instance')} (message size limit)\n")
    return "\n".join([header, *lines, problems]).rstrip() + "\n"


def _header(report: SweepReport) -> str:
    checked = [r for r in report.results if r.association_id and not r.error and not r.unresolved]
    documents = sorted({result.document for result in report.results})
    lines = [
        f"SSM missed-instance sweep: {_counted(report.missed_count, 'instance')} missed by "
        f"{_counted(len(report.missed), 'association')}",
        "",
        "Instances a watched association targets but that did not run in its last schedule",
        "period. SSM sends no event for them: stopped or offline instances are not run (they run",
        "late when they come back).",
        "",
        f"Swept at:     {report.swept_at.isoformat(timespec='seconds')}",
        f"Region:       {report.region or '-'}",
        f"Documents:    {', '.join(documents)}",
        f"Associations: {len(checked)} checked ({len(report.missed)} with missed instances), "
        f"{len(report.not_checked)} could not be checked, "
        f"{len(report.unresolved)} with targets not checked",
    ]
    return "\n".join(lines)


def _section(result: AssociationResult, report: SweepReport) -> str:
    period = result.period
    lines = ["", f"== {result.label} =="]
    if period is not None and result.since is not None:
        lines.append(
            _field(
                "Schedule",
                f"{period.rule}; period {duration_text(period.length)}, runs looked for since "
                f"{result.since.isoformat(timespec='seconds')} (with grace)",
            )
        )
    lines.append(_field("Targets", result.targets or "-"))
    lines.append(
        _field(
            "Instances",
            f"{result.targeted} targeted, {result.ran} ran, {len(result.missed)} missed",
        )
    )
    link = _association_link(report, result.association_id)
    if link:
        lines.append(_field("Console", link))
    lines.extend(_field("Note", note) for note in result.notes)
    return "\n".join(lines)


def _instance_text(state: InstanceState, report: SweepReport) -> str:
    lines = [
        f"  {state.instance_id}: {state.summary}",
        _field("Last successful association run (any association)", state.last_success_text, 4),
    ]
    link = _instance_link(report, state)
    if link:
        lines.append(_field("Console", link, 4))
    return "\n".join(lines)


def _problems(report: SweepReport, budget_bytes: int) -> str:
    sections = []
    for title, results, reason in (
        ("Could not check", report.not_checked, lambda r: r.error),
        (
            "Targets not checked (the sweep resolves InstanceIds and tag targets only)",
            report.unresolved,
            lambda r: ", ".join(r.unresolved),
        ),
        (
            "Checked with limits (nothing missed, or not all instances listed)",
            [r for r in report.results if r.notes and not r.missed and not r.error],
            lambda r: "; ".join(r.notes),
        ),
    ):
        if results:
            sections.append(
                _bounded_list(
                    f"{title}:", [f"  {r.label}: {reason(r)}" for r in results], budget_bytes // 3
                )
            )
    text = "\n".join(sections)
    return "\n" + text if text else ""


def _bounded_list(title: str, items: list[str], share: int) -> str:
    lines = [title]
    used = utf8_size(title)
    for index, item in enumerate(items):
        item = shorten(item, 1000)
        if used + utf8_size(item) + 1 > share:
            lines.append(f"  ... and {len(items) - index} more")
            break
        lines.append(item)
        used += utf8_size(item) + 1
    return "\n".join(lines) + "\n"


def _field(label: str, value: str, indent: int = 2) -> str:
    head = f"{label}:"
    return f"{' ' * indent}{head.ljust(11) if len(head) < 11 else head + ' '}{value}"


def _association_link(report: SweepReport, association_id: str) -> str:
    return _link(
        report, association_id, f"systems-manager/state-manager/{association_id}/description"
    )


def _instance_link(report: SweepReport, state: InstanceState) -> str:
    instance_id = state.instance_id
    if state.managed:
        page = f"systems-manager/fleet-manager/managed-nodes/{instance_id}/general"
        return _link(report, instance_id, page)
    if instance_id.startswith("i-"):
        link = _link(report, instance_id, "ec2/home")
        return f"{link}#InstanceDetails:instanceId={instance_id}" if link else ""
    return ""


def _link(report: SweepReport, resource_id: str, page: str) -> str:
    """A console link, or "" rather than a broken one when a part is not well formed."""
    host = CONSOLE_HOSTS.get(report.partition)
    if (
        not host
        or not REGION_PATTERN.fullmatch(report.region)
        or not URL_SAFE_ID.fullmatch(resource_id)
    ):
        return ""
    return f"https://{host}/{page}?region={report.region}"


# Entry point


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = load_sweep_settings(os.environ)
    log.configure(settings.log_level)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return run_sweep(
        settings,
        ssm=RUNTIME.clients.get("ssm"),
        ec2=RUNTIME.clients.get("ec2"),
        sns=RUNTIME.clients.get("sns"),
        now=RUNTIME.now(),
        seconds_left=(lambda: remaining_ms() / 1000) if remaining_ms else (lambda: math.inf),
    )


def run_sweep(
    settings: SweepSettings,
    *,
    ssm: Any,
    ec2: Any,
    sns: Any,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> dict[str, Any]:
    """Sweep, and publish a digest if there is anything to say; raise if it cannot be published."""
    logger.info(
        "sweep started",
        extra=log.fields(
            documents=list(settings.documents),
            sweep_period=duration_text(settings.sweep_period),
        ),
    )
    report = sweep(settings, ssm=ssm, ec2=ec2, now=now, seconds_left=seconds_left)
    summary = {
        "associations": sum(1 for result in report.results if result.association_id),
        "missed": report.missed_count,
        "not_checked": len(report.not_checked),
        "targets_not_checked": len(report.unresolved),
        "published": False,
    }
    if not report.worth_sending:
        logger.info("sweep done: nothing missed, no digest published", extra=log.fields(**summary))
        return summary
    try:
        sns_message_id = publish_digest(
            sns, settings.topic_arn, subject(report), message(report), Pacer()
        )
    except Exception as error:
        logger.error(
            "publish failed",
            exc_info=not _is_aws_error(error),
            extra=log.fields(error=log.describe_error(error), **summary),
        )
        raise
    summary["published"] = True
    logger.info("digest published", extra=log.fields(sns_message_id=sns_message_id, **summary))
    return summary


# Small helpers


def _region_of(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "region_name", "") or "")


def _partition_of(settings: SweepSettings) -> str:
    parts = settings.topic_arn.split(":")
    return parts[1] if len(parts) > 1 and parts[1] else "aws"


def _api_time(moment: datetime) -> str:
    moment = _as_utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _counted(count: int, noun: str) -> str:
    return f"{count} {plural(count, noun)}"
