"""Schedule periods for the sweep: how long an association may go between runs, and the grace.

The period is the association's own `rate(N minutes|hours|days)`; for a `cron(...)`, the longest
gap its fields allow (`cron_bound`); with no schedule or anything else, the sweep's own period (its
`SWEEP_SCHEDULE` if that is a rate, else 1 day). Executions are looked for over the period plus a
grace of a tenth of it, at most 1 hour, because a run does not start on the exact second: without
it, a daily association that ran 24 h 30 s ago would count every target as missed.

To be replaced by `schedule` (an exact schedule reader); until then the sweep reads periods here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NamedTuple

from .text import counted

DEFAULT_PERIOD = timedelta(days=1)
MAX_GRACE = timedelta(hours=1)
GRACE_FRACTION = 0.1

RATE = re.compile(r"rate\(\s*([1-9][0-9]{0,5})\s+(minutes?|hours?|days?)\s*\)", re.IGNORECASE)
CRON = re.compile(r"cron\(([^()]+)\)")


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
            return counted(minutes // size, unit)
    if minutes >= 60:
        return f"{counted(minutes // 60, 'hour')} {counted(minutes % 60, 'minute')}"
    return counted(minutes, "minute")
