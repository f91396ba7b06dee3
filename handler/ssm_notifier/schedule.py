"""Schedule expressions of State Manager associations, read exactly: previous and next occurrences.

Forms read (AWS Systems Manager User Guide, "Reference: Cron and rate expressions for Systems
Manager"; Amazon EventBridge User Guide, "Cron expressions" and "Rate expressions"):
- `rate(N unit)`, unit `minute|hour|day` when N is 1, `minutes|hours|days` when N > 1. Occurrences
  are `anchor + k * period` (k >= 0), the anchor being a time the association is known to have
  run on its rate (its creation or last update). Without an anchor the real occurrences are
  unknown: `previous(at)` is `at - period` and `next(at)` is `at + period`, the bounds.
- `cron(minutes hours day-of-month month day-of-week year)`, or the same with a leading seconds
  field (7 fields). AWS tells the forms apart by the count of fields alone: 6 fields never start
  with seconds, so Quartz's 6-field seconds-first `cron(0 15 10 ? * *)` reads as month `?` and is
  rejected (its 7-field form `cron(0 15 10 ? * * *)` is daily at 10:15:00). Fields take `*`, lists,
  ranges (wrapping past the end, as AWS's `20-2` hours example does), steps (`0/15`, `*/5`,
  `1-10/2`), JAN-DEC and SUN-SAT (1-7 = SUN-SAT), years 1970-2199; day-of-month also `L`, `L-n`,
  `nW`, `LW`; day-of-week also `L` (Saturday), `nL` (last n-day of the month) and `n#k` (k-th
  n-day, alone in its field). Exactly one of day-of-month and day-of-week is `?`. A cron that can
  never fire (`cron(0 0 30 FEB ? *)`) is read; it has no occurrences.
- `at(yyyy-mm-ddThh:mm:ss)`: once.
- None or "": no schedule; the association runs only when started.

Time zone: UTC. State Manager has no schedule time zone (CreateAssociation takes none; the API
reference says an association's schedule runs in UTC); time zones belong to maintenance windows
and EventBridge Scheduler. An association's ScheduleOffset (days after each cron occurrence, cron
only) is `offset_days`.

Not enforced, because the sweep reads expressions AWS has already accepted and the same reader
serves EventBridge-style expressions: the association-only limits (rates of 30 minutes to 30 days,
crons no faster than every 5 minutes, no months) and the "no faster than 1 minute" cron limit.

Search walks the fields, year -> month -> day -> time of day, with the days of a month computed
once per (month length, weekday of the 1st): never minute by minute, and bounded by year 2199.
Import cost: `re`, `bisect` and `datetime` only; the command line (`main`) imports argparse.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

FIRST_YEAR = 1970
LAST_YEAR = 2199
MAX_OFFSET_DAYS = 6  # ScheduleOffset's bounds in the SSM API: 1 to 6


class ScheduleError(ValueError):
    """An expression AWS would reject; the message is one line saying why."""


def read_schedule(
    expression: str | None, *, anchor: datetime | None = None, offset_days: int = 0
) -> Schedule:
    """The schedule an association's ScheduleExpression describes.

    `anchor` (timezone-aware) is a time a rate schedule ran on its rate; crons ignore it.
    `offset_days` is the association's ScheduleOffset (cron only). Raises ScheduleError.
    """
    text = (expression or "").strip()
    if anchor is not None:
        anchor = _utc(anchor, "anchor")
    if not 0 <= offset_days <= MAX_OFFSET_DAYS:
        raise ScheduleError(f"schedule offset {offset_days} is not 0 to {MAX_OFFSET_DAYS} days")
    try:
        if not text:
            schedule: Schedule = OnDemandSchedule()
        elif text.startswith("rate("):
            schedule = _read_rate(text, anchor)
        elif text.startswith("at("):
            schedule = _read_at(text)
        elif text.startswith("cron("):
            return _read_cron(text, offset_days)
        else:
            raise ScheduleError("is not rate(...), cron(...) or at(...)")
    except ScheduleError as error:
        raise ScheduleError(f"{_quoted(text)}: {error}") from None
    if offset_days:
        raise ScheduleError(f"{_quoted(text)}: a schedule offset applies to cron expressions only")
    return schedule


def period_at(schedule: Schedule, at: datetime) -> timedelta | None:
    """The gap between the occurrences around `at`: next - previous; a rate's own period.

    None when either occurrence is missing: no schedule, a one-time schedule, a cron whose years
    have not begun or are over.
    """
    if isinstance(schedule, RateSchedule):
        return schedule.every
    previous, upcoming = schedule.previous(at), schedule.next(at)
    if previous is None or upcoming is None:
        return None
    return upcoming - previous


class Schedule:
    """When an association runs: `kind` is "rate", "cron", "at" or "on-demand"."""

    __slots__ = ("expression",)
    kind = ""

    def __init__(self, expression: str) -> None:
        self.expression = expression

    def previous(self, at: datetime) -> datetime | None:
        """The latest occurrence at or before `at` (timezone-aware), in UTC; None if none."""
        raise NotImplementedError

    def next(self, at: datetime) -> datetime | None:
        """The earliest occurrence after `at` (timezone-aware), in UTC; None if none."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line saying how the expression is read, for operators."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.expression!r}>"


class OnDemandSchedule(Schedule):
    """No schedule: the association runs only when someone starts it."""

    __slots__ = ()
    kind = "on-demand"

    def __init__(self) -> None:
        super().__init__("")

    def previous(self, at: datetime) -> datetime | None:
        _utc(at, "at")
        return None

    def next(self, at: datetime) -> datetime | None:
        _utc(at, "at")
        return None

    def describe(self) -> str:
        return "on-demand: no schedule, runs only when started"


class AtSchedule(Schedule):
    """`at(...)`: one run at `when`."""

    __slots__ = ("when",)
    kind = "at"

    def __init__(self, expression: str, when: datetime) -> None:
        super().__init__(expression)
        self.when = when

    def previous(self, at: datetime) -> datetime | None:
        return self.when if self.when <= _utc(at, "at") else None

    def next(self, at: datetime) -> datetime | None:
        return self.when if self.when > _utc(at, "at") else None

    def describe(self) -> str:
        return f"at: once, at {iso(self.when)}"


class RateSchedule(Schedule):
    """`rate(...)`: every `every`, counted from `anchor` when one is known."""

    __slots__ = ("anchor", "every")
    kind = "rate"

    def __init__(self, expression: str, every: timedelta, anchor: datetime | None) -> None:
        super().__init__(expression)
        self.every = every
        self.anchor = anchor

    def previous(self, at: datetime) -> datetime | None:
        moment = _utc(at, "at")
        try:
            if self.anchor is None:
                return moment - self.every
            if moment < self.anchor:
                return None
            return self.anchor + (moment - self.anchor) // self.every * self.every
        except OverflowError:
            return None

    def next(self, at: datetime) -> datetime | None:
        moment = _utc(at, "at")
        try:
            if self.anchor is None:
                return moment + self.every
            if moment < self.anchor:
                return self.anchor
            return self.anchor + ((moment - self.anchor) // self.every + 1) * self.every
        except OverflowError:
            return None

    def describe(self) -> str:
        every = self.expression.removeprefix("rate(").removesuffix(")")
        if self.anchor is None:
            return (
                f"rate: every {every}, no anchor: the previous run is at most one period back, "
                "the next at most one period ahead"
            )
        return f"rate: every {every}, counted from {iso(self.anchor)}"


class CronSchedule(Schedule):
    """`cron(...)`: the times whose every field matches, plus `offset` (the ScheduleOffset)."""

    __slots__ = (
        "_day_cache",
        "_day_rule",
        "_fires",
        "_hour_set",
        "_minute_set",
        "fields",
        "hours",
        "minutes",
        "months",
        "offset",
        "seconds",
        "years",
    )
    kind = "cron"

    def __init__(
        self,
        expression: str,
        fields: dict[str, str],
        values: dict[str, tuple[int, ...]],
        day_rule: DayRule,
        offset: timedelta,
    ) -> None:
        super().__init__(expression)
        self.fields = fields
        self.seconds = values["seconds"]
        self.minutes = values["minutes"]
        self.hours = values["hours"]
        self.months = values["month"]
        self.years = values["year"]
        self.offset = offset
        self._minute_set = frozenset(self.minutes)
        self._hour_set = frozenset(self.hours)
        self._day_rule = day_rule
        self._day_cache: dict[tuple[int, int], tuple[int, ...]] = {}
        # Month length and weekday of the 1st decide a month's days: if no combination any of
        # the months can have yields a day, the cron never fires and nothing is searched.
        self._fires = any(
            self._month_days(length, first)
            for month in self.months
            for length in _LENGTHS[month]
            for first in range(1, 8)
        )

    def previous(self, at: datetime) -> datetime | None:
        moment = _utc(at, "at").replace(microsecond=0, tzinfo=None) - self.offset
        found = self._at_or_before(moment) if self._fires else None
        return None if found is None else (found + self.offset).replace(tzinfo=UTC)

    def next(self, at: datetime) -> datetime | None:
        moment = _utc(at, "at").replace(microsecond=0, tzinfo=None) - self.offset
        found = self._after(moment) if self._fires else None
        return None if found is None else (found + self.offset).replace(tzinfo=UTC)

    def describe(self) -> str:
        fields = " ".join(f"{name}={text}" for name, text in self.fields.items())
        offset = f", then {self.offset.days} days later (schedule offset)" if self.offset else ""
        never = "; never fires" if not self._fires else ""
        return f"cron (UTC): {fields}{offset}{never}"

    def _month_days(self, length: int, first: int) -> tuple[int, ...]:
        days = self._day_cache.get((length, first))
        if days is None:
            days = self._day_cache[(length, first)] = self._day_rule(length, first)
        return days

    def _days(self, year: int, month: int) -> tuple[int, ...]:
        first = date(year, month, 1).isoweekday() % 7 + 1  # AWS numbering: 1 = SUN .. 7 = SAT
        return self._month_days(_month_length(year, month), first)

    def _after(self, moment: datetime) -> datetime | None:
        """The earliest matching time after `moment` (naive UTC, whole seconds)."""
        today = (moment.year, moment.month, moment.day)
        for year in self.years[bisect_left(self.years, moment.year) :]:
            months = self.months
            if year == moment.year:
                months = months[bisect_left(months, moment.month) :]
            for month in months:
                days = self._days(year, month)
                if (year, month) == today[:2]:
                    days = days[bisect_left(days, moment.day) :]
                for day in days:
                    if (year, month, day) == today:
                        time = self._time_after(moment.hour, moment.minute, moment.second)
                        if time is None:
                            continue
                    else:
                        time = (self.hours[0], self.minutes[0], self.seconds[0])
                    return datetime(year, month, day, *time)
        return None

    def _at_or_before(self, moment: datetime) -> datetime | None:
        """The latest matching time at or before `moment` (naive UTC, whole seconds)."""
        today = (moment.year, moment.month, moment.day)
        for year in reversed(self.years[: bisect_right(self.years, moment.year)]):
            months = self.months
            if year == moment.year:
                months = months[: bisect_right(months, moment.month)]
            for month in reversed(months):
                days = self._days(year, month)
                if (year, month) == today[:2]:
                    days = days[: bisect_right(days, moment.day)]
                for day in reversed(days):
                    if (year, month, day) == today:
                        time = self._time_at_or_before(moment.hour, moment.minute, moment.second)
                        if time is None:
                            continue
                    else:
                        time = (self.hours[-1], self.minutes[-1], self.seconds[-1])
                    return datetime(year, month, day, *time)
        return None

    def _time_after(self, hour: int, minute: int, second: int) -> tuple[int, int, int] | None:
        if hour in self._hour_set:
            if minute in self._minute_set:
                found = _first_after(self.seconds, second)
                if found is not None:
                    return hour, minute, found
            found = _first_after(self.minutes, minute)
            if found is not None:
                return hour, found, self.seconds[0]
        found = _first_after(self.hours, hour)
        if found is not None:
            return found, self.minutes[0], self.seconds[0]
        return None

    def _time_at_or_before(
        self, hour: int, minute: int, second: int
    ) -> tuple[int, int, int] | None:
        if hour in self._hour_set:
            if minute in self._minute_set:
                found = _last_at_or_before(self.seconds, second)
                if found is not None:
                    return hour, minute, found
            found = _last_at_or_before(self.minutes, minute - 1)
            if found is not None:
                return hour, found, self.seconds[-1]
        found = _last_at_or_before(self.hours, hour - 1)
        if found is not None:
            return found, self.minutes[-1], self.seconds[-1]
        return None


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`: 2026-05-03T02:00:00Z."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


# Reading rate(...) and at(...)

_RATE = re.compile(r"rate\((\d+) +([a-z]+)\)", re.ASCII)
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"at\((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\)", re.ASCII)


def _read_rate(text: str, anchor: datetime | None) -> RateSchedule:
    match = _RATE.fullmatch(text)
    if not match:
        raise ScheduleError("a rate is rate(N minute|minutes|hour|hours|day|days)")
    count, unit = int(match.group(1)), match.group(2)
    if count < 1:
        raise ScheduleError("a rate's value must be a positive whole number")
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNITS:
        raise ScheduleError(f"unit {unit!r} is not minute(s), hour(s) or day(s)")
    if (count == 1) != (unit == singular):
        wanted = singular if count == 1 else singular + "s"
        raise ScheduleError(f"AWS wants the unit {wanted!r} for the value {count}")
    try:
        every = timedelta(seconds=count * _RATE_UNITS[singular])
    except OverflowError:
        raise ScheduleError("the rate is longer than any date can hold") from None
    return RateSchedule(text, every, anchor)


def _read_at(text: str) -> AtSchedule:
    match = _AT.fullmatch(text)
    if not match:
        raise ScheduleError("a one-time schedule is at(yyyy-mm-ddThh:mm:ss)")
    try:
        when = datetime(*(int(part) for part in match.groups()), tzinfo=UTC)
    except ValueError as error:
        raise ScheduleError(f"no such time: {error}") from None
    return AtSchedule(text, when)


# Reading cron(...)

_NAMES = ("seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_WEEKDAYS = {
    name: number for number, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)
}
# name: (lowest, highest, names, whether ranges wrap past the highest value)
_BOUNDS: dict[str, tuple[int, int, dict[str, int], bool]] = {
    "seconds": (0, 59, {}, True),
    "minutes": (0, 59, {}, True),
    "hours": (0, 23, {}, True),
    "day-of-month": (1, 31, {}, True),
    "month": (1, 12, _MONTHS, True),
    "day-of-week": (1, 7, _WEEKDAYS, True),
    "year": (FIRST_YEAR, LAST_YEAR, {}, False),
}


def _read_cron(text: str, offset_days: int) -> CronSchedule:
    match = re.fullmatch(r"cron\(([^()]*)\)", text)
    if not match:
        raise ScheduleError("a cron is cron(fields)")
    parts = match.group(1).split()
    try:
        return _cron_from_fields(text, parts, offset_days)
    except ScheduleError as error:
        reason = str(error)
        if len(parts) == 6 and _reads_with_seconds(parts):
            reason += (
                "; AWS reads 6 fields as minutes hours day-of-month month day-of-week year, "
                f"with seconds first it takes 7: cron({' '.join([*parts, '*'])})"
            )
        raise ScheduleError(reason) from None


def _reads_with_seconds(parts: list[str]) -> bool:
    """Whether 6 fields would be valid as Quartz reads them: seconds first, no year."""
    try:
        _cron_from_fields("", [*parts, "*"], 0)
    except ScheduleError:
        return False
    return True


def _cron_from_fields(text: str, parts: list[str], offset_days: int) -> CronSchedule:
    if len(parts) == 6:
        parts = ["0", *parts]
    elif len(parts) != 7:
        raise ScheduleError(
            f"has {len(parts)} fields: AWS wants 6 (minutes hours day-of-month month day-of-week "
            "year) or 7 with seconds first"
        )
    fields = dict(zip(_NAMES, (part.upper() for part in parts), strict=True))
    values = {
        name: _values(name, fields[name])
        for name in ("seconds", "minutes", "hours", "month", "year")
    }
    day_of_month, day_of_week = fields["day-of-month"], fields["day-of-week"]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleError(
            "one of day-of-month and day-of-week must be '?', and only one "
            f"(they are {day_of_month!r} and {day_of_week!r})"
        )
    if day_of_week == "?":
        rule = _day_of_month_rule(day_of_month)
    else:
        rule = _day_of_week_rule(day_of_week)
    return CronSchedule(text, fields, values, rule, timedelta(days=offset_days))


def _values(name: str, text: str) -> tuple[int, ...]:
    """The values a plain field (`*`, lists, ranges, steps, names) allows, sorted."""
    if text == "?":
        raise ScheduleError(f"{name}: '?' is allowed only in day-of-month and day-of-week")
    chosen: set[int] = set()
    for item in text.split(","):
        chosen.update(_item_values(name, item))
    return tuple(sorted(chosen))


def _item_values(name: str, item: str) -> list[int]:
    lowest, highest, _names, wraps = _BOUNDS[name]
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        count = highest - lowest + 1
        if not _is_number(step_text) or not 1 <= int(step_text) <= count:
            raise ScheduleError(f"{name}: step {step_text!r} is not a whole number 1 to {count}")
        step = int(step_text)
    if base == "*":
        start, end = lowest, highest
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _value(name, first), _value(name, last)
    else:
        start = _value(name, base)
        end = highest if slash else start
    if start <= end:
        span = list(range(start, end + 1))
    elif wraps:
        span = [*range(start, highest + 1), *range(lowest, end + 1)]
    else:
        raise ScheduleError(f"{name}: range {base!r} runs backwards")
    return span[::step]


def _value(name: str, text: str) -> int:
    lowest, highest, names, _wraps = _BOUNDS[name]
    if text in names:
        return names[text]
    if _is_number(text) and lowest <= int(text) <= highest:
        return int(text)
    spelled = f" or {min(names, key=names.get)}-{max(names, key=names.get)}" if names else ""
    raise ScheduleError(f"{name}: {text!r} is not {lowest}-{highest}{spelled}")


# Day rules: (month length, AWS weekday of the 1st) -> the month's matching days, sorted.
DayRule = Callable[[int, int], tuple[int, ...]]


def _day_of_month_rule(text: str) -> DayRule:
    if text == "L" or text.startswith("L-"):
        back_text = text[2:] if text != "L" else "0"
        if not _is_number(back_text) or int(back_text) > 30:
            raise ScheduleError(f"day-of-month: {text!r} is not L or L-n (n 0-30)")
        back = int(back_text)
        return lambda length, first: (length - back,) if length - back >= 1 else ()
    if text == "LW":
        return lambda length, first: (_weekday_near(length, length, first),)
    if text.endswith("W"):
        day_text = text[:-1]
        if not _is_number(day_text) or not 1 <= int(day_text) <= 31:
            raise ScheduleError(f"day-of-month: {text!r} is not nW (n 1-31) or LW")
        day = int(day_text)
        # A day the month lacks (31W in April) gives no run that month.
        return lambda length, first: (_weekday_near(day, length, first),) if day <= length else ()
    if "L" in text or "W" in text or "#" in text:
        raise ScheduleError(f"day-of-month: {text!r}: L, L-n, nW and LW stand alone in the field")
    days = _values("day-of-month", text)
    return lambda length, first: tuple(day for day in days if day <= length)


def _day_of_week_rule(text: str) -> DayRule:
    if "#" in text:
        if "," in text:
            raise ScheduleError(
                f"day-of-week: {text!r}: with '#' the field holds one expression (AWS: not 3#1,6#3)"
            )
        weekday_text, _, nth_text = text.partition("#")
        weekday = _value("day-of-week", weekday_text)
        if not _is_number(nth_text) or not 1 <= int(nth_text) <= 5:
            raise ScheduleError(f"day-of-week: {text!r}: the number after '#' is 1 to 5")
        nth = int(nth_text)

        def nth_weekday(length: int, first: int) -> tuple[int, ...]:
            day = 1 + (weekday - first) % 7 + 7 * (nth - 1)
            return (day,) if day <= length else ()

        return nth_weekday
    if text.endswith("L") and text != "L":
        if "," in text or "-" in text or "/" in text:
            raise ScheduleError(f"day-of-week: {text!r}: nL stands alone in the field")
        weekday = _value("day-of-week", text[:-1])
        return lambda length, first: (length - (_weekday_of(length, first) - weekday) % 7,)
    if "L" in text and text != "L":
        raise ScheduleError(f"day-of-week: {text!r}: L and nL stand alone in the field")
    weekdays = frozenset(_values("day-of-week", "7" if text == "L" else text))
    return lambda length, first: tuple(
        day for day in range(1, length + 1) if _weekday_of(day, first) in weekdays
    )


def _weekday_of(day: int, first: int) -> int:
    """AWS weekday (1 = SUN .. 7 = SAT) of `day` in a month whose 1st is `first`."""
    return (first - 1 + day - 1) % 7 + 1


def _weekday_near(day: int, length: int, first: int) -> int:
    """The weekday (Monday-Friday) nearest `day`, never leaving the month (AWS's `nW`, `LW`)."""
    weekday = _weekday_of(day, first)
    if weekday == 7:  # Saturday: the Friday before, unless that is last month
        return day - 1 if day > 1 else day + 2
    if weekday == 1:  # Sunday: the Monday after, unless that is next month
        return day + 1 if day < length else day - 2
    return day


# Small helpers


def _month_length(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


# The lengths each month can have, for telling a cron that never fires.
_LENGTHS = {
    month: (28, 29) if month == 2 else (_month_length(2001, month),) for month in range(1, 13)
}


def _is_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes other scripts' digits, which AWS does not."""
    return text.isascii() and text.isdigit()


def _first_after(values: tuple[int, ...], value: int) -> int | None:
    index = bisect_right(values, value)
    return values[index] if index < len(values) else None


def _last_at_or_before(values: tuple[int, ...], value: int) -> int | None:
    index = bisect_right(values, value)
    return values[index - 1] if index else None


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TypeError(f"{what} must be timezone-aware, not {moment!r}")
    return moment.astimezone(UTC)


def _seconds(length: timedelta) -> int:
    return int(length.total_seconds())


def _quoted(text: str) -> str:
    """The expression for a one-line message: repr, at most 120 characters."""
    shown = repr(text)
    return shown if len(shown) <= 120 else shown[:117] + "..."


# Command line: how an expression is read


def main(argv: list[str] | None = None) -> int:
    """`python -m ssm_notifier.schedule [--at T] [--anchor T] [--offset-days N] EXPRESSION`.

    Prints how the expression is read, then `period_s=N previous=ISO next=ISO` (`-` for none).
    Exits 2 with one line on stderr for an expression AWS would reject.
    """
    import argparse  # only here: importing the module must stay cheap
    import sys

    parser = argparse.ArgumentParser(
        prog="python -m ssm_notifier.schedule",
        description="How an association's schedule expression is read, around a given time.",
    )
    parser.add_argument("expression", help="rate(...), cron(...), at(...), or '' for none")
    parser.add_argument("--at", type=_cli_time, help="ISO 8601 time, default now (no zone: UTC)")
    parser.add_argument("--anchor", type=_cli_time, help="a time a rate schedule ran (ISO 8601)")
    parser.add_argument("--offset-days", type=int, default=0, help="ScheduleOffset (cron only)")
    args = parser.parse_args(argv)
    at = args.at or datetime.now(UTC).replace(microsecond=0)
    try:
        schedule = read_schedule(args.expression, anchor=args.anchor, offset_days=args.offset_days)
    except ScheduleError as error:
        print(f"schedule not understood: {error}", file=sys.stderr)
        return 2
    previous, upcoming, period = schedule.previous(at), schedule.next(at), period_at(schedule, at)
    print(f"at={iso(at)} {schedule.describe()}")
    print(
        f"period_s={'-' if period is None else _seconds(period)} "
        f"previous={'-' if previous is None else iso(previous)} "
        f"next={'-' if upcoming is None else iso(upcoming)}"
    )
    return 0


def _cli_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


if __name__ == "__main__":
    raise SystemExit(main())
