"""When an association's last scheduled run was due, and since when its executions count: the
sweep's window, read from the association's real schedule (`schedule`).

- grace: runs start late (stopped or offline instances run when they come back; the service
  does not start on the exact second): a tenth of the period around now, at most 1 hour (1 hour
  for a one-time `at`).
- due: the latest occurrence at or before `now - grace`. Targets missing from every execution
  created at or after it (a minute early allowed for clock skew) were missed.
- a rate has no reliable anchor (it counts from its last run, which the sweep cannot know), so
  its `due` is one period before `now - grace`: the window is one period plus the grace.
- nothing is due: no schedule (runs only when started), a schedule not begun, an association
  with ApplyOnlyAtCronInterval created or updated after `due` (it waits for its next occurrence).
- a schedule with no next occurrence (a one-time `at`, a cron whose years are over) is checked
  once: only while `due` falls within the last sweep period.
A ScheduleError (an expression AWS would reject) is the caller's: "schedule not understood".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .text import duration_text
from .times import as_utc

MAX_GRACE = timedelta(hours=1)
GRACE_FRACTION = 0.1
# An execution may be created a moment before the occurrence by the service's clock.
CLOCK_SKEW = timedelta(minutes=1)


class Window(NamedTuple):
    """`since` set: executions created at or after it count. `since` None: nothing is due, and
    `reason` says why. `reading` says how the schedule was read, for the digest."""

    reading: str
    since: datetime | None
    due: datetime | None = None
    grace: timedelta = timedelta(0)
    reason: str = ""

    @property
    def text(self) -> str:
        if self.since is None or self.due is None:
            return f"{self.reading}; {self.reason}"
        return (
            f"{self.reading}; last due {_iso(self.due)}, grace {duration_text(self.grace)}: "
            f"runs looked for since {_iso(self.since)}"
        )


def association_window(
    description: dict[str, Any], now: datetime, sweep_period: timedelta
) -> Window:
    """The window of an AssociationDescription at `now`; raises schedule.ScheduleError."""
    from .schedule import period_at, read_schedule  # read per association, not at cold start

    expression = description.get("ScheduleExpression") or ""
    schedule = read_schedule(expression, offset_days=int(description.get("ScheduleOffset") or 0))
    reading = schedule.describe()
    if schedule.kind == "on-demand":
        return Window(reading, None, reason="nothing is due: it runs only when started")
    period = period_at(schedule, now)
    grace = min(period * GRACE_FRACTION, MAX_GRACE) if period else MAX_GRACE
    due = schedule.previous(now - grace)
    if due is None:
        upcoming = schedule.next(now - grace)
        when = f"first due {_iso(upcoming)}" if upcoming else "it has no occurrence"
        return Window(reading, None, grace=grace, reason=f"nothing is due yet: {when}")
    if schedule.next(now) is None and due < now - sweep_period - grace:
        return Window(
            reading,
            None,
            due,
            grace,
            f"its last run was due {_iso(due)}, before the last sweep period: checked then",
        )
    changed = _latest(description.get("LastUpdateAssociationDate"), description.get("Date"))
    if description.get("ApplyOnlyAtCronInterval") and changed is not None and changed > due:
        upcoming = schedule.next(now)
        return Window(
            reading,
            None,
            due,
            grace,
            f"created or updated {_iso(changed)}, after its last due run, and runs only at its "
            f"cron interval: next due {_iso(upcoming) if upcoming else 'never'}",
        )
    return Window(reading, due - min(CLOCK_SKEW, grace), due, grace)


def _latest(*moments: Any) -> datetime | None:
    known = [as_utc(moment) for moment in moments if isinstance(moment, datetime)]
    return max(known) if known else None


def _iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
