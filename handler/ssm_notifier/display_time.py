"""Times as people read them: UTC, and beside it the deployment's DisplayTimeZone if one is set.

E.g. `2026-11-29 05:40 UTC (06:40 CET)`, `2026-03-29 23:30 UTC (2026-03-30 01:30 CEST)` when the
local date differs. The zone is an IANA name (`Europe/Paris`), read with `zoneinfo` from the
system's time zone data (Lambda's Amazon Linux 2023 runtimes ship /usr/share/zoneinfo) or the
`tzdata` package where there is one. A name that is not a zone there, or not a zone name at all,
is logged once per sandbox as an error and times are shown in UTC only: a wrong setting costs
the local time, never a digest.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, tzinfo

from .log import fields, get_logger
from .times import as_utc, parse_time

# The tz database's file names (its Theory file, "Names of timezones"): components of ASCII
# letters, digits, "_", "-" and "+" (Etc/GMT+5) joined by "/"; at most 50 characters, as AWS
# bounds the IANA names it takes (scheduler service-2.json ScheduleExpressionTimezone, 1-50).
ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
ZONE_NAME_MAX_CHARS = 50

logger = get_logger()


@functools.lru_cache(maxsize=8)
def display_zone(name: str) -> tzinfo | None:
    """The zone `name` names, None for "" (UTC only) or a name that is not a known zone (logged
    once: the cache keeps the answer for the sandbox's life)."""
    if not name:
        return None
    if len(name) > ZONE_NAME_MAX_CHARS or not ZONE_NAME.fullmatch(name):
        reason = "not an IANA time zone name such as Europe/Paris"
    else:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:
            reason = f"no such zone in this runtime's time zone data ({type(error).__name__})"
    logger.error(
        "DISPLAY_TIME_ZONE not used: times are shown in UTC only",
        extra=fields(display_time_zone=name[: ZONE_NAME_MAX_CHARS + 10], reason=reason),
    )
    return None


def shown(moment: datetime | str, zone: tzinfo | None = None) -> str:
    """`2026-11-29 05:40 UTC`, with `(06:40 CET)` after it in `zone`; an event's time that is
    not a time is returned as it is (the caller bounds it)."""
    when = parse_time(moment) if isinstance(moment, str) else as_utc(moment)
    if when is None:
        return str(moment)
    text = when.strftime("%Y-%m-%d %H:%M UTC")
    if zone is None:
        return text
    local = when.astimezone(zone)
    local_format = "%H:%M" if local.date() == when.date() else "%Y-%m-%d %H:%M"
    return f"{text} ({local.strftime(local_format)} {local.tzname() or local.strftime('%z')})"
