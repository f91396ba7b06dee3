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

from .periods import CRON, DEFAULT_PERIOD, RATE, parse_rate

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOPIC_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)
DOCUMENT_NAME = re.compile(r"[A-Za-z0-9_.:/-]{3,128}")


class SettingsError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


class Settings(NamedTuple):
    topic_arn: str
    # Outside Lambda only: deployed, the runtime's level (LoggingConfig.ApplicationLogLevel) rules.
    log_level: str = "INFO"
    enrich_max_lookups: int = 10
    enrich_time_budget_seconds: float = 10.0


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from `environ`, or SettingsError naming the first bad variable."""
    topic_arn = environ.get("TOPIC_ARN", "").strip()
    if not topic_arn:
        raise SettingsError("TOPIC_ARN is not set: the function has no topic to publish to")
    if not TOPIC_ARN_PATTERN.fullmatch(topic_arn):
        raise SettingsError(f"TOPIC_ARN is not an SNS topic ARN: {topic_arn[:200]!r}")
    log_level = environ.get("LOG_LEVEL", "").strip().upper() or "INFO"
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {log_level!r}")
    return Settings(
        topic_arn=topic_arn,
        log_level=log_level,
        enrich_max_lookups=int(_number(environ, "ENRICH_MAX_LOOKUPS", int, 10, 0, 1000)),
        enrich_time_budget_seconds=_number(
            environ, "ENRICH_TIME_BUDGET_SECONDS", float, 10.0, 0, 900
        ),
    )


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
