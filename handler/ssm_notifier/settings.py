"""The functions' settings (the notifier's and the sweep's), read from the environment when an
invocation starts.

Read per invocation, not at import, so a broken configuration fails the invocation (and the whole
batch is retried) with a message that names the variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import NamedTuple

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOPIC_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)
DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_.:/-]{3,128}")
SCOPES = ("account", "organization")
# The spoke's ReaderRoleNamePrefix (templates/spoke.py ROLE_NAME_PREFIX_PATTERN).
READER_PREFIX = re.compile(r"[\w+=,.@-]{1,48}")
DEFAULT_READER_PREFIX = "ssm-notifier-reader"
# DynamoDB table names; S3 bucket names; an SQS queue URL in any partition's domain (a port for
# local endpoints).
TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
QUEUE_URL = re.compile(r"https://[A-Za-z0-9.-]+(:\d+)?/\d{12}/[A-Za-z0-9_-]{1,80}(\.fifo)?")
EMAIL_SPLITS = ("none", "account", "association")


class SettingsError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


class Settings(NamedTuple):
    topic_arn: str
    # Outside Lambda only: deployed, the runtime's level (LoggingConfig.ApplicationLogLevel) rules.
    log_level: str = "INFO"
    enrich_max_lookups: int = 10
    enrich_time_budget_seconds: float = 10.0
    # organization: events and sweeps of other accounts and regions are read through the spokes'
    # reader roles named `<reader_role_name_prefix>-<region>` (accounts.py).
    scope: str = "account"
    reader_role_name_prefix: str = DEFAULT_READER_PREFIX
    # The state table, the report bucket and the queue deferred records go back to (pipeline.py).
    state_table: str = ""
    report_bucket: str = ""
    queue_url: str = ""
    email_split: str = "none"  # none | account | association (inbox.plan_emails)
    emails_per_invocation: int = 1  # the hard cap; the overflow is merged into the last email
    lease_seconds: int = 900  # how long a claim holds before another invocation may take it
    state_ttl_days: int = 90  # how long the table remembers an instance (DynamoDB TTL)
    # Run kinds besides association runs (WatchRunCommand, WatchMaintenanceWindows): an event of
    # a kind not watched is dropped with a log line (the rule should not have sent it).
    watch_run_command: bool = False
    watch_maintenance_windows: bool = False
    # An IANA zone the digests show times in beside UTC ("" = UTC only). Not checked here: a
    # zone the runtime does not know is logged and ignored (display_time.display_zone).
    display_time_zone: str = ""

    @property
    def across_organization(self) -> bool:
        return self.scope == "organization"

    @property
    def watched_kinds(self) -> frozenset[str]:
        from .runs import ASSOCIATION, COMMAND, WINDOW

        return frozenset(
            {ASSOCIATION}
            | ({COMMAND} if self.watch_run_command else set())
            | ({WINDOW} if self.watch_maintenance_windows else set())
        )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from `environ`, or SettingsError naming the first bad variable."""
    topic_arn, log_level = _topic_and_level(environ)
    email_split = environ.get("EMAIL_SPLIT", "").strip().lower() or "none"
    if email_split not in EMAIL_SPLITS:
        raise SettingsError(
            f"EMAIL_SPLIT must be one of {', '.join(EMAIL_SPLITS)}, not {email_split[:50]!r}"
        )
    return Settings(
        topic_arn=topic_arn,
        log_level=log_level,
        enrich_max_lookups=int(_number(environ, "ENRICH_MAX_LOOKUPS", int, 10, 0, 1000)),
        enrich_time_budget_seconds=_number(
            environ, "ENRICH_TIME_BUDGET_SECONDS", float, 10.0, 0, 900
        ),
        **_organization_settings(environ),
        state_table=_name(environ, "STATE_TABLE", TABLE_NAME, "a DynamoDB table name"),
        report_bucket=_name(environ, "REPORT_BUCKET", BUCKET_NAME, "an S3 bucket name"),
        queue_url=_name(environ, "QUEUE_URL", QUEUE_URL, "an SQS queue URL"),
        email_split=email_split,
        emails_per_invocation=int(_number(environ, "EMAILS_PER_INVOCATION", int, 1, 1, 10)),
        # At least the longest invocation (900 s), so a live claim never lapses under its owner.
        lease_seconds=int(_number(environ, "STATE_LEASE_SECONDS", int, 900, 900, 43200)),
        state_ttl_days=int(_number(environ, "STATE_TTL_DAYS", int, 90, 1, 3650)),
        watch_run_command=_flag(environ, "WATCH_RUN_COMMAND"),
        watch_maintenance_windows=_flag(environ, "WATCH_MAINTENANCE_WINDOWS"),
        display_time_zone=_display_time_zone(environ),
    )


def _flag(environ: Mapping[str, str], name: str) -> bool:
    """A "true"/"false" variable (the template's parameter values); unset: false."""
    raw = environ.get(name, "").strip().lower() or "false"
    if raw not in ("true", "false"):
        raise SettingsError(f"{name} must be true or false, not {raw[:50]!r}")
    return raw == "true"


def _display_time_zone(environ: Mapping[str, str]) -> str:
    """DISPLAY_TIME_ZONE, as given (both functions read it; "" = UTC only)."""
    return environ.get("DISPLAY_TIME_ZONE", "").strip()


def _topic_and_level(environ: Mapping[str, str]) -> tuple[str, str]:
    """TOPIC_ARN and LOG_LEVEL, which both functions read the same way."""
    topic_arn = environ.get("TOPIC_ARN", "").strip()
    if not topic_arn:
        raise SettingsError("TOPIC_ARN is not set: the function has no topic to publish to")
    if not TOPIC_ARN_PATTERN.fullmatch(topic_arn):
        raise SettingsError(f"TOPIC_ARN is not an SNS topic ARN: {topic_arn[:200]!r}")
    log_level = environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
    return topic_arn, log_level


def _organization_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """SCOPE (account, the default, or organization) and READER_ROLE_NAME_PREFIX."""
    scope = environ.get("SCOPE", "").strip() or "account"
    if scope not in SCOPES:
        raise SettingsError(f"SCOPE must be one of {', '.join(SCOPES)}, not {scope[:200]!r}")
    prefix = environ.get("READER_ROLE_NAME_PREFIX", "").strip() or DEFAULT_READER_PREFIX
    if not READER_PREFIX.fullmatch(prefix):
        raise SettingsError(
            "READER_ROLE_NAME_PREFIX must be 1 to 48 letters, digits or _+=,.@-, "
            f"not {prefix[:200]!r}"
        )
    return {"scope": scope, "reader_role_name_prefix": prefix}


DEFAULT_SWEEP_PERIOD = timedelta(days=1)
DEFAULT_REMINDER_DAYS = 7
# CreateStackSet's StackSetName pattern.
STACK_SET_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
CALL_AS = ("SELF", "DELEGATED_ADMIN")
# The final statuses the rule can watch (templates/parameters.py WatchedStatuses), and the
# template's default: the sweep expects an event only for a run with one of the watched ones.
FINAL_STATUSES = ("Success", "Failed", "TimedOut", "Skipped")
DEFAULT_WATCHED_STATUSES = ("Success", "Failed")


class SweepSettings(NamedTuple):
    topic_arn: str
    documents: tuple[str, ...]
    # How far apart the sweep's own runs are: a one-time schedule is checked once, in the sweep
    # period after it was due.
    sweep_period: timedelta = DEFAULT_SWEEP_PERIOD
    log_level: str = "INFO"
    work_queue_url: str = ""
    state_table: str = ""
    reminder: timedelta = timedelta(days=DEFAULT_REMINDER_DAYS)
    # organization: the places swept are the spokes' StackSet instances (listed as `call_as`)
    # and the function's own account and region, each read through its reader role.
    scope: str = "account"
    reader_role_name_prefix: str = DEFAULT_READER_PREFIX
    spoke_stack_set_name: str = ""
    call_as: str = "SELF"
    # The notifier's WatchedStatuses: a run whose targets all ended otherwise sends no event.
    watched_statuses: tuple[str, ...] = DEFAULT_WATCHED_STATUSES
    display_time_zone: str = ""  # as the notifier's Settings

    @property
    def across_organization(self) -> bool:
        return self.scope == "organization"


def load_sweep_settings(environ: Mapping[str, str]) -> SweepSettings:
    """Settings from `environ`, or SettingsError naming the first bad variable."""
    topic_arn, log_level = _topic_and_level(environ)  # checked as the notifier checks them
    organization = _organization_settings(environ)  # SCOPE, READER_ROLE_NAME_PREFIX alike too
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
    work_queue_url = environ.get("WORK_QUEUE_URL", "").strip()
    if not QUEUE_URL.fullmatch(work_queue_url):
        raise SettingsError(f"WORK_QUEUE_URL is not an SQS queue URL: {work_queue_url[:200]!r}")
    state_table = environ.get("STATE_TABLE_NAME", "").strip()
    if not TABLE_NAME.fullmatch(state_table):
        raise SettingsError(f"STATE_TABLE_NAME is not a DynamoDB table name: {state_table[:200]!r}")
    return SweepSettings(
        topic_arn=topic_arn,
        documents=documents,
        sweep_period=sweep_period(environ.get("SWEEP_SCHEDULE", "")),
        log_level=log_level,
        work_queue_url=work_queue_url,
        state_table=state_table,
        reminder=timedelta(
            days=_number(environ, "REMINDER_DAYS", int, DEFAULT_REMINDER_DAYS, 1, 365)
        ),
        **organization,
        **_spoke_stack_set(environ, organization["scope"] == "organization"),
        watched_statuses=_watched_statuses(environ),
        display_time_zone=_display_time_zone(environ),
    )


def _watched_statuses(environ: Mapping[str, str]) -> tuple[str, ...]:
    """WATCHED_STATUSES (comma-separated final statuses; the template's default when not set)."""
    statuses = tuple(
        dict.fromkeys(
            name.strip() for name in environ.get("WATCHED_STATUSES", "").split(",") if name.strip()
        )
    )
    for status in statuses:
        if status not in FINAL_STATUSES:
            raise SettingsError(
                f"WATCHED_STATUSES must list some of {', '.join(FINAL_STATUSES)}, "
                f"not {status[:50]!r}"
            )
    return statuses or DEFAULT_WATCHED_STATUSES


def _spoke_stack_set(environ: Mapping[str, str], across_organization: bool) -> dict[str, str]:
    """SPOKE_STACK_SET_NAME (required under SCOPE=organization: its instances are the places the
    sweep covers) and STACK_SET_CALL_AS (SELF, the default, or DELEGATED_ADMIN)."""
    name = environ.get("SPOKE_STACK_SET_NAME", "").strip()
    if across_organization and not STACK_SET_NAME.fullmatch(name):
        raise SettingsError(
            "SPOKE_STACK_SET_NAME must name the spokes' StackSet under SCOPE=organization, "
            f"not {name[:200]!r}"
        )
    call_as = environ.get("STACK_SET_CALL_AS", "").strip() or "SELF"
    if call_as not in CALL_AS:
        raise SettingsError(
            f"STACK_SET_CALL_AS must be one of {', '.join(CALL_AS)}, not {call_as[:200]!r}"
        )
    return {"spoke_stack_set_name": name, "call_as": call_as}


def sweep_period(expression: str) -> timedelta:
    """The gap between the sweep's own runs, read from SWEEP_SCHEDULE (1 day when not set)."""
    if not expression.strip():
        return DEFAULT_SWEEP_PERIOD
    from .schedule import ScheduleError, period_at, read_schedule
    from .times import utc_now

    try:
        schedule = read_schedule(expression)
    except ScheduleError as error:
        raise SettingsError(f"SWEEP_SCHEDULE is not a schedule: {error}") from None
    period = period_at(schedule, utc_now()) if schedule.kind in ("rate", "cron") else None
    if period is None:
        raise SettingsError(
            f"SWEEP_SCHEDULE must be a recurring rate(...) or cron(...), not {expression[:200]!r}"
        )
    return period


def _number(
    environ: Mapping[str, str],
    name: str,
    kind: Callable[[str], float],
    default: float,
    low: float,
    high: float,
) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number from {low} to {high}, not {raw!r}") from None
    # The chained comparison is also False for NaN.
    if not low <= value <= high:
        raise SettingsError(f"{name} must be from {low} to {high}, not {raw!r}")
    return value


def _name(environ: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise SettingsError(f"{name} is not set: the notifier needs {what} (see the template)")
    if not pattern.fullmatch(value):
        raise SettingsError(f"{name} is not {what}: {value[:200]!r}")
    return value
