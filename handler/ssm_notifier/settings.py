"""The function's settings, read from its environment when an invocation starts.

Read per invocation, not at import, so a broken configuration fails the invocation (and the whole
batch is retried) with a message that names the variable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TOPIC_ARN_PATTERN = re.compile(
    r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?"
)


class SettingsError(ValueError):
    """An environment variable is missing or invalid; the message names it."""


class Settings(NamedTuple):
    topic_arn: str
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
