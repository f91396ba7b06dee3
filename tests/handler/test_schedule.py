"""Schedule expressions read exactly: AWS's documented examples, issue 14's table, rejections, CLI.

Every expected occurrence below was worked out by hand from the calendar, never by calling the
code under test. Calendar facts used (2026-01-01 is a Thursday; each checked with `date -u -d`):
    April 2026: 1 Wed, 2 Thu, 9 Thu, 16 Thu, 21 Tue, 24 Fri, 27 Mon, 28 Tue, 30 Thu.
    May 2026:   1 Fri, 2 Sat, 3 Sun, 4 Mon, 5 Tue, 7 Thu, 10 Sun, 14 Thu, 19 Tue, 21 Thu, 26 Tue,
                29 Fri, 31 Sun.
    Others:     2026-01-30 Fri, 2026-01-31 Sat, 2026-02-01 Sun, 2026-03-01 Sun, 2026-06-01 Mon,
                2026-08-01 Sat, 2026-08-15 Sat, 2026-11-15 Sun, 2019-01-25 Fri, 2019-01-31 Thu,
                2022-12-30 Fri, 2022-12-31 Sat, 2027-03-29 Mon; 2024 and 2028 are leap years.
Most rows are read at MONDAY = 2026-05-04T06:00:00Z, the time in issue 14's command.

Sources of the examples:
    SSM = AWS Systems Manager User Guide, "Reference: Cron and rate expressions for Systems Manager"
          https://docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html
    EB  = Amazon EventBridge User Guide, "Creating an Amazon EventBridge rule that runs on a
          schedule" (cron and rate expressions)
          https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
    ISSUE = issue 14's table of schedules the sweep got wrong.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from ssm_notifier.schedule import (
    CronSchedule,
    ScheduleError,
    period_at,
    read_schedule,
)

HANDLER_ROOT = Path(__file__).resolve().parents[2] / "handler"
MONDAY = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (expression, at, previous, next): previous is the latest run at or before `at`, next the
# earliest after it.
EXAMPLES = [
    # ISSUE, row 1: 7 fields, seconds first: 02:00:00 every Sunday. Monday 06:00 -> Sunday May 3
    # 02:00 before, Sunday May 10 02:00 after.
    ("cron(0 0 2 ? * SUN *)", MONDAY, "2026-05-03T02:00:00", "2026-05-10T02:00:00"),
    # ISSUE, row 2 and SSM's association offset example: 00:00 on the second Thursday. April:
    # Thursdays 2, 9 -> April 9. May: Thursdays 7, 14 -> May 14.
    ("cron(0 0 ? * THU#2 *)", MONDAY, "2026-04-09T00:00:00", "2026-05-14T00:00:00"),
    # ISSUE, row 3 and SSM's maintenance window table: 10:15 on the last Friday. April 30 is a
    # Thursday -> April 24; May 31 is a Sunday -> May 29.
    ("cron(15 10 ? * 6L *)", MONDAY, "2026-04-24T10:15:00", "2026-05-29T10:15:00"),
    # ISSUE, row 4: once, on April 1; by May 4 it is over.
    ("at(2026-04-01T00:00:00)", MONDAY, "2026-04-01T00:00:00", None),
    ("at(2026-04-01T00:00:00)", utc("2026-03-01T00:00:00"), None, "2026-04-01T00:00:00"),
    # ISSUE, row 5: no schedule (on demand).
    ("", MONDAY, None, None),
    # ISSUE, row 6 as AWS spells it: seconds first needs 7 fields (the 6-field form is rejected
    # below); 10:15:00 every day -> Sunday 10:15 before Monday 06:00, Monday 10:15 after.
    ("cron(0 15 10 ? * * *)", MONDAY, "2026-05-03T10:15:00", "2026-05-04T10:15:00"),
    # SSM, association CLI example and issue 14's command: 02:00 every Sunday.
    ("cron(0 2 ? * SUN *)", MONDAY, "2026-05-03T02:00:00", "2026-05-10T02:00:00"),
    # SSM, cron examples for associations.
    ("cron(0/30 * * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T06:30:00"),  # at counts
    ("cron(0 0/1 * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T07:00:00"),
    ("cron(0 0/2 * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T08:00:00"),  # 0,2,4,6,8
    ("cron(0 0/4 * * ? *)", MONDAY, "2026-05-04T04:00:00", "2026-05-04T08:00:00"),  # 0,4,8
    ("cron(0 0/8 * * ? *)", MONDAY, "2026-05-04T00:00:00", "2026-05-04T08:00:00"),  # 0,8,16
    ("cron(0 0/12 * * ? *)", MONDAY, "2026-05-04T00:00:00", "2026-05-04T12:00:00"),  # 0,12
    ("cron(15 13 ? * * *)", MONDAY, "2026-05-03T13:15:00", "2026-05-04T13:15:00"),
    # Every Monday 13:15: today's is still ahead; the one before is Monday April 27.
    ("cron(15 13 ? * MON *)", MONDAY, "2026-04-27T13:15:00", "2026-05-04T13:15:00"),
    # Third Tuesday 23:30. April: Tuesdays 7, 14, 21. May: 5, 12, 19.
    ("cron(30 23 ? * TUE#3 *)", MONDAY, "2026-04-21T23:30:00", "2026-05-19T23:30:00"),
    # SSM: last Tuesday at midnight. April 30 Thu -> 28; May 31 Sun -> 26.
    ("cron(0 0 ? * 3L *)", MONDAY, "2026-04-28T00:00:00", "2026-05-26T00:00:00"),
    # SSM: the optional seconds field, 0, with minutes */30 -> 00 and 30 past every hour.
    ("cron(0 */30 * * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T06:30:00"),
    # SSM, maintenance windows: 6 fields 09:30 daily; 7 fields 09:30:24 daily.
    ("cron(30 09 ? * * *)", MONDAY, "2026-05-03T09:30:00", "2026-05-04T09:30:00"),
    ("cron(24 30 09 ? * * *)", MONDAY, "2026-05-03T09:30:24", "2026-05-04T09:30:24"),
    # Third Thursday 02:00. April: 2, 9, 16. May: 7, 14, 21.
    ("cron(0 2 ? * THU#3 *)", MONDAY, "2026-04-16T02:00:00", "2026-05-21T02:00:00"),
    ("cron(15 10 ? * * *)", MONDAY, "2026-05-03T10:15:00", "2026-05-04T10:15:00"),
    # Weekdays 10:15: Monday's is ahead; before it, Friday May 1.
    ("cron(15 10 ? * MON-FRI *)", MONDAY, "2026-05-01T10:15:00", "2026-05-04T10:15:00"),
    # Last day of the month 02:00: April 30, May 31.
    ("cron(0 2 L * ? *)", MONDAY, "2026-04-30T02:00:00", "2026-05-31T02:00:00"),
    # SSM, maintenance window CLI example: Tuesdays 16:00 -> April 28 and May 5.
    ("cron(0 16 ? * TUE *)", MONDAY, "2026-04-28T16:00:00", "2026-05-05T16:00:00"),
    # EB, cron examples table.
    ("cron(0 10 * * ? *)", MONDAY, "2026-05-03T10:00:00", "2026-05-04T10:00:00"),
    ("cron(15 12 * * ? *)", MONDAY, "2026-05-03T12:15:00", "2026-05-04T12:15:00"),
    ("cron(0 18 ? * MON-FRI *)", MONDAY, "2026-05-01T18:00:00", "2026-05-04T18:00:00"),
    ("cron(0 8 1 * ? *)", MONDAY, "2026-05-01T08:00:00", "2026-06-01T08:00:00"),
    ("cron(0/15 * * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T06:15:00"),
    ("cron(0/10 * ? * MON-FRI *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T06:10:00"),
    # Saturday noon: the last run was Friday 23:50, the next is Monday 00:00.
    (
        "cron(0/10 * ? * MON-FRI *)",
        utc("2026-05-02T12:00:00"),
        "2026-05-01T23:50:00",
        "2026-05-04T00:00:00",
    ),
    # Every 5 minutes 08:00-17:55 on weekdays: Monday 06:00 is before the day's first run.
    ("cron(0/5 8-17 ? * MON-FRI *)", MONDAY, "2026-05-01T17:55:00", "2026-05-04T08:00:00"),
    # Hours 20-2 wrap: 20..23 and 0..2 of each weekday (EB: "Run from 12:00 am to 2:00 am on
    # Monday morning"). Monday 06:00: Monday 02:30 before, Monday 20:00 after.
    ("cron(0/30 20-2 ? * MON-FRI *)", MONDAY, "2026-05-04T02:30:00", "2026-05-04T20:00:00"),
    # Saturday noon: Saturday 00:00-02:30 is not a weekday's -> Friday 23:30, Monday 00:00.
    (
        "cron(0/30 20-2 ? * MON-FRI *)",
        utc("2026-05-02T12:00:00"),
        "2026-05-01T23:30:00",
        "2026-05-04T00:00:00",
    ),
    # EB put-rule examples.
    ("cron(0 12 * * ? *)", MONDAY, "2026-05-03T12:00:00", "2026-05-04T12:00:00"),
    ("cron(5,35 14 * * ? *)", MONDAY, "2026-05-03T14:35:00", "2026-05-04T14:05:00"),
    # Last Friday 10:15 in 2019-2022 only: in 2026 the last was December 2022 (31 Sat -> 30).
    ("cron(15 10 ? * 6L 2019-2022)", MONDAY, "2022-12-30T10:15:00", None),
    # ... and from mid-2018 the first is January 2019 (31 Thu -> 25).
    ("cron(15 10 ? * 6L 2019-2022)", utc("2018-06-01T00:00:00"), None, "2019-01-25T10:15:00"),
    # Wildcards AWS documents, beyond the example tables.
    # W: weekday nearest the 15th. May 15 is a Friday; August 15 a Saturday -> Friday 14;
    # November 15 a Sunday -> Monday 16.
    ("cron(0 0 15W * ? *)", MONDAY, "2026-04-15T00:00:00", "2026-05-15T00:00:00"),
    (
        "cron(0 0 15W * ? *)",
        utc("2026-08-01T00:00:00"),
        "2026-07-15T00:00:00",
        "2026-08-14T00:00:00",
    ),
    (
        "cron(0 0 15W * ? *)",
        utc("2026-11-01T00:00:00"),
        "2026-10-15T00:00:00",
        "2026-11-16T00:00:00",
    ),
    # 1W never leaves the month: August 1 is a Saturday -> Monday August 3, not Friday July 31.
    (
        "cron(0 0 1W * ? *)",
        utc("2026-07-15T00:00:00"),
        "2026-07-01T00:00:00",
        "2026-08-03T00:00:00",
    ),
    # LW: last weekday. January 31 is a Saturday -> Friday 30; May 31 a Sunday -> Friday 29.
    (
        "cron(0 0 LW * ? *)",
        utc("2026-02-15T00:00:00"),
        "2026-01-30T00:00:00",
        "2026-02-27T00:00:00",
    ),
    ("cron(0 0 LW * ? *)", MONDAY, "2026-04-30T00:00:00", "2026-05-29T00:00:00"),
    # L alone in day-of-week is its last day, Saturday: May 2 and May 9.
    ("cron(0 0 ? * L *)", MONDAY, "2026-05-02T00:00:00", "2026-05-09T00:00:00"),
    # The fifth Friday: May 2026 has Fridays 1, 8, 15, 22, 29. Before it, only January (Fridays 2,
    # 9, 16, 23, 30); February to April have four each.
    ("cron(0 0 ? * FRI#5 *)", MONDAY, "2026-01-30T00:00:00", "2026-05-29T00:00:00"),
    # Month names, lists and a range that wraps the year end (NOV-FEB = 11, 12, 1, 2).
    ("cron(0 0 1 JAN,JUL ? *)", MONDAY, "2026-01-01T00:00:00", "2026-07-01T00:00:00"),
    ("cron(0 0 1 NOV-FEB ? *)", MONDAY, "2026-02-01T00:00:00", "2026-11-01T00:00:00"),
    # A stepped range: days 1, 3, 5, 7, 9.
    ("cron(0 0 1-10/2 * ? *)", MONDAY, "2026-05-03T00:00:00", "2026-05-05T00:00:00"),
    ("cron(*/5 * * * ? *)", MONDAY, "2026-05-04T06:00:00", "2026-05-04T06:05:00"),
    # Years: a list in the future.
    ("cron(0 0 1 1 ? 2027,2030)", MONDAY, None, "2027-01-01T00:00:00"),
    # February 29 only: 2024 before, 2028 after.
    ("cron(0 0 29 FEB ? *)", MONDAY, "2024-02-29T00:00:00", "2028-02-29T00:00:00"),
    # Never fires: February has no 30th.
    ("cron(0 0 30 FEB ? *)", MONDAY, None, None),
    # Lower case is read as upper case (day and month names, L).
    ("cron(15 10 ? * 6l *)", MONDAY, "2026-04-24T10:15:00", "2026-05-29T10:15:00"),
    ("cron(0 2 ? * sun *)", MONDAY, "2026-05-03T02:00:00", "2026-05-10T02:00:00"),
]


@pytest.mark.parametrize(
    ("expression", "at", "previous", "upcoming"),
    EXAMPLES,
    ids=[f"{row[0] or 'none'}@{row[1]:%Y-%m-%dT%H:%M}" for row in EXAMPLES],
)
def test_documented_examples_give_their_real_occurrences(
    expression: str, at: datetime, previous: str | None, upcoming: str | None
) -> None:
    schedule = read_schedule(expression)

    assert schedule.previous(at) == (utc(previous) if previous else None)
    assert schedule.next(at) == (utc(upcoming) if upcoming else None)


@pytest.mark.parametrize(
    ("expression", "kind"),
    [
        ("cron(0 2 ? * SUN *)", "cron"),
        ("rate(7 days)", "rate"),
        ("at(2020-07-07T15:55:00)", "at"),  # SSM's single-run example
        ("", "on-demand"),
        (None, "on-demand"),
        ("   ", "on-demand"),
    ],
)
def test_the_kind_of_each_form(expression: str | None, kind: str) -> None:
    assert read_schedule(expression).kind == kind


# Periods: the gap between the runs around a time, what the sweep's window is made of.


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("cron(0 0 2 ? * SUN *)", timedelta(days=7)),  # ISSUE row 1: weekly, not 1 day
        ("cron(0 0 ? * THU#2 *)", timedelta(days=35)),  # ISSUE row 2: April 9 -> May 14
        ("cron(15 10 ? * 6L *)", timedelta(days=35)),  # ISSUE row 3: April 24 -> May 29
        ("at(2026-04-01T00:00:00)", None),  # ISSUE row 4: once, over
        ("", None),  # ISSUE row 5: no schedule
        ("cron(0 15 10 ? * * *)", timedelta(days=1)),  # ISSUE row 6, 7 fields: daily
        ("cron(0 0/4 * * ? *)", timedelta(hours=4)),
        ("cron(0/5 8-17 ? * MON-FRI *)", timedelta(hours=62, minutes=5)),  # Fri 17:55 -> Mon 8:00
        ("cron(15 10 ? * 6L 2019-2022)", None),  # its years are over
        ("rate(5 hours)", timedelta(hours=5)),
    ],
)
def test_period_at_is_the_gap_between_the_runs_around_the_time(
    expression: str, period: timedelta | None
) -> None:
    assert period_at(read_schedule(expression), MONDAY) == period


# Rates: counted from the anchor.

ANCHOR = utc("2026-05-01T12:00:00")  # Friday noon, e.g. the association's creation


@pytest.mark.parametrize(
    ("expression", "previous", "upcoming"),
    [
        # SSM association rate examples. From Friday 12:00 to Monday 06:00 is 66 hours.
        ("rate(30 minutes)", "2026-05-04T06:00:00", "2026-05-04T06:30:00"),  # 132 half hours
        ("rate(1 hour)", "2026-05-04T06:00:00", "2026-05-04T07:00:00"),
        ("rate(5 hours)", "2026-05-04T05:00:00", "2026-05-04T10:00:00"),  # 13 * 5 h = 65 h
        ("rate(15 days)", "2026-05-01T12:00:00", "2026-05-16T12:00:00"),  # not a day yet
        ("rate(7 days)", "2026-05-01T12:00:00", "2026-05-08T12:00:00"),
        # EB rate examples.
        ("rate(1 minute)", "2026-05-04T06:00:00", "2026-05-04T06:01:00"),
        ("rate(1 day)", "2026-05-03T12:00:00", "2026-05-04T12:00:00"),
    ],
)
def test_a_rate_counts_from_its_anchor(expression: str, previous: str, upcoming: str) -> None:
    schedule = read_schedule(expression, anchor=ANCHOR)

    assert schedule.previous(MONDAY) == utc(previous)
    assert schedule.next(MONDAY) == utc(upcoming)


def test_a_rate_has_no_run_before_its_anchor() -> None:
    schedule = read_schedule("rate(1 hour)", anchor=ANCHOR)
    thursday = utc("2026-04-30T12:00:00")

    assert schedule.previous(thursday) is None
    assert schedule.next(thursday) == ANCHOR
    assert schedule.previous(ANCHOR) == ANCHOR  # the anchor itself is a run


def test_a_rate_without_anchor_is_bounded_by_one_period_each_way() -> None:
    schedule = read_schedule("rate(5 hours)")

    assert schedule.previous(MONDAY) == utc("2026-05-04T01:00:00")
    assert schedule.next(MONDAY) == utc("2026-05-04T11:00:00")
    assert period_at(schedule, MONDAY) == timedelta(hours=5)


def test_an_anchor_in_another_zone_is_the_same_instant() -> None:
    paris = timezone(timedelta(hours=2))
    schedule = read_schedule("rate(5 hours)", anchor=datetime(2026, 5, 1, 14, 0, tzinfo=paris))

    assert schedule.previous(MONDAY) == utc("2026-05-04T05:00:00")


# ScheduleOffset: days after each cron occurrence.


def test_a_schedule_offset_moves_every_occurrence_by_its_days() -> None:
    # SSM's association example: second Thursday + 3 days = the Sunday after. April 9 -> April 12;
    # May 14 -> May 17. Monday May 4 lies between them.
    schedule = read_schedule("cron(0 0 ? * THU#2 *)", offset_days=3)

    assert schedule.previous(MONDAY) == utc("2026-04-12T00:00:00")
    assert schedule.next(MONDAY) == utc("2026-05-17T00:00:00")
    # On May 15 the Thursday (May 14) has passed but its run (May 17) has not.
    assert schedule.previous(utc("2026-05-15T00:00:00")) == utc("2026-04-12T00:00:00")


@pytest.mark.parametrize(
    ("expression", "offset"),
    [("rate(7 days)", 2), ("at(2026-04-01T00:00:00)", 1), ("cron(0 0 ? * THU#2 *)", 7)],
)
def test_a_schedule_offset_is_for_crons_of_one_to_six_days(expression: str, offset: int) -> None:
    with pytest.raises(ScheduleError):
        read_schedule(expression, offset_days=offset)


# Exact boundaries and time zones of `at`.


def test_an_occurrence_is_previous_at_its_own_second_and_next_just_before() -> None:
    schedule = read_schedule("cron(0 0 2 ? * SUN *)")
    run = utc("2026-05-03T02:00:00")

    assert schedule.previous(run) == run
    assert schedule.next(run) == utc("2026-05-10T02:00:00")
    assert schedule.next(run - timedelta(microseconds=1)) == run
    assert schedule.previous(run - timedelta(microseconds=1)) == utc("2026-04-26T02:00:00")
    assert schedule.previous(run + timedelta(microseconds=999_999)) == run


def test_times_in_other_zones_are_read_as_the_same_instant() -> None:
    schedule = read_schedule("cron(0 0 2 ? * SUN *)")
    new_york = timezone(timedelta(hours=-4))

    # 2026-05-03 22:30 in New York is Monday 02:30 UTC: after Sunday 02:00 UTC's run.
    later = schedule.previous(datetime(2026, 5, 3, 22, 30, tzinfo=new_york))
    assert later == utc("2026-05-03T02:00:00")
    assert later.tzinfo is UTC


def test_a_naive_time_is_refused() -> None:
    schedule = read_schedule("cron(0 2 ? * SUN *)")

    with pytest.raises(TypeError, match="timezone-aware"):
        schedule.next(datetime(2026, 5, 4, 6, 0))
    with pytest.raises(TypeError, match="timezone-aware"):
        read_schedule("rate(1 day)", anchor=datetime(2026, 5, 4, 6, 0))


def test_a_cron_that_never_fires_answers_at_once() -> None:
    # Months with fewer days than asked for; February 29 in years with no leap year (2100 is not
    # one: a century not divisible by 400).
    never = ["cron(0 0 30 FEB ? *)", "cron(0 0 31 4,6,9,11 ? *)", "cron(0 0 29 FEB ? 2100-2103)"]
    started = time.perf_counter()
    for expression in never:
        schedule = read_schedule(expression)
        assert (schedule.previous(MONDAY), schedule.next(MONDAY)) == (None, None)
    assert time.perf_counter() - started < 0.5


def test_a_fifth_weekday_skips_the_months_without_one() -> None:
    # 2027: March 1 is a Monday -> Mondays 1, 8, 15, 22, 29; April 1 a Thursday -> 5, 12, 19, 26;
    # May 1 a Saturday -> 3, 10, 17, 24, 31.
    fifth_monday = read_schedule("cron(0 0 ? * 2#5 2027)")

    assert fifth_monday.next(MONDAY) == utc("2027-03-29T00:00:00")
    assert fifth_monday.next(utc("2027-03-29T00:00:00")) == utc("2027-05-31T00:00:00")
    assert fifth_monday.previous(utc("2027-05-30T00:00:00")) == utc("2027-03-29T00:00:00")


def test_searching_is_by_fields_not_by_seconds() -> None:
    # Every second of 2026, then the year's last second from its first: a search second by
    # second would take millions of steps; field by field it is immediate.
    every_second = read_schedule("cron(* * * * * ? 2026)")
    yearly = read_schedule("cron(59 59 23 31 DEC ? *)")
    started = time.perf_counter()
    assert every_second.next(MONDAY) == MONDAY + timedelta(seconds=1)
    assert every_second.previous(utc("2030-01-01T00:00:00")) == utc("2026-12-31T23:59:59")
    assert yearly.previous(utc("2026-12-31T23:59:58")) == utc("2025-12-31T23:59:59")
    assert time.perf_counter() - started < 0.5


def test_a_cron_reads_its_six_fields_with_seconds_zero() -> None:
    schedule = read_schedule("cron(0 2 ? * SUN *)")

    assert isinstance(schedule, CronSchedule)
    assert (schedule.seconds, schedule.minutes, schedule.hours) == ((0,), (0,), (2,))
    assert schedule.fields["day-of-week"] == "SUN"


# Rejections: what AWS refuses, each with a one-line reason.


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        # SSM and EB: singular unit exactly for 1.
        ("rate(1 hours)", "AWS wants the unit 'hour' for the value 1"),
        ("rate(5 hour)", "AWS wants the unit 'hours' for the value 5"),
        ("rate(0 minutes)", "positive whole number"),
        ("rate(5 seconds)", "not minute(s), hour(s) or day(s)"),
        ("rate(-5 minutes)", "rate(N minute|minutes"),
        ("rate(1.5 hours)", "rate(N minute|minutes"),
        ("rate(5)", "rate(N minute|minutes"),
        # ISSUE row 6: six fields are minutes ... year, so '?' lands in the month.
        ("cron(0 15 10 ? * *)", "month: '?' is allowed only in day-of-month and day-of-week"),
        # Both day fields set, or neither.
        ("cron(0 12 1 * MON *)", "one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 * * * *)", "one of day-of-month and day-of-week must be '?'"),
        ("cron(0 12 ? * ? *)", "one of day-of-month and day-of-week must be '?'"),
        # Out of range and backwards.
        ("cron(60 * * * ? *)", "minutes: '60' is not 0-59"),
        ("cron(0 24 * * ? *)", "hours: '24' is not 0-23"),
        ("cron(0 0 0 * ? *)", "day-of-month: '0' is not 1-31"),
        ("cron(0 0 1-32 * ? *)", "day-of-month: '32' is not 1-31"),
        ("cron(0 0 1 13 ? *)", "month: '13' is not 1-12 or JAN-DEC"),
        ("cron(0 0 ? * 0 *)", "day-of-week: '0' is not 1-7 or SUN-SAT"),
        ("cron(0 0 ? * 8 *)", "day-of-week: '8' is not 1-7"),
        ("cron(0 0 ? * MON-XYZ *)", "day-of-week: 'XYZ'"),
        ("cron(0 0 1 * ? 1969)", "year: '1969' is not 1970-2199"),
        ("cron(0 0 1 * ? 2200)", "year: '2200' is not 1970-2199"),
        ("cron(0 0 1 * ? 2022-2019)", "year: range '2022-2019' runs backwards"),
        ("cron(0/0 * * * ? *)", "minutes: step '0'"),
        ("cron(0/ * * * ? *)", "minutes: step ''"),
        ("cron(1,,2 * * * ? *)", "minutes: '' is not"),
        ("cron(\u0661 2 ? * SUN *)", "minutes: '\u0661' is not 0-59"),  # an Arabic-Indic 1
        ("rate(\u0665 minutes)", "rate(N minute|minutes"),
        # '#': 1 to 5, and one expression only (EB's own invalid example).
        ("cron(0 0 ? * THU#6 *)", "the number after '#' is 1 to 5"),
        ("cron(0 0 ? * 3#1,6#3 *)", "with '#' the field holds one expression"),
        ("cron(0 0 L,15 * ? *)", "stand alone"),
        ("cron(0 0 32W * ? *)", "is not nW"),
        ("cron(0 0 ? * 2L,6 *)", "L and nL stand alone"),
        # Field counts and shape.
        ("cron(0 0 * * ?)", "has 5 fields"),
        ("cron(0 0 0 0 * * ? *)", "has 8 fields"),
        ("cron(0 0 * * ? *", "a cron is cron(fields)"),
        ("at(2026-02-30T00:00:00)", "no such time"),
        ("at(2026-04-01 00:00:00)", "at(yyyy-mm-ddThh:mm:ss)"),
        ("weekly", "is not rate(...), cron(...) or at(...)"),
    ],
)
def test_expressions_aws_rejects_are_refused_with_a_reason(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        read_schedule(expression)

    message = str(raised.value)
    assert reason in message
    assert message.startswith(repr(expression.strip()))
    assert "\n" not in message


def test_the_quartz_six_field_form_is_told_how_aws_spells_it() -> None:
    with pytest.raises(
        ScheduleError, match=r"with seconds first it takes 7: cron\(0 15 10 \? \* \* \*\)"
    ):
        read_schedule("cron(0 15 10 ? * *)")


def test_a_long_bad_expression_stays_one_short_line() -> None:
    with pytest.raises(ScheduleError) as raised:
        read_schedule("cron(" + "1," * 200 + "x * * * ? *)")

    assert len(str(raised.value).splitlines()) == 1
    assert len(str(raised.value)) < 300


# The command operators use.


def run_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(HANDLER_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ssm_notifier.schedule", *arguments],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_command_prints_period_previous_and_next_last() -> None:
    result = run_command("--at", "2026-05-04T06:00:00Z", "cron(0 2 ? * SUN *)")

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "period_s=604800 previous=2026-05-03T02:00:00Z next=2026-05-10T02:00:00Z"
    )


def test_the_command_prints_dashes_where_there_is_no_occurrence() -> None:
    once = run_command("--at", "2026-05-04T06:00:00Z", "at(2026-04-01T00:00:00)")
    none = run_command("--at", "2026-05-04T06:00:00Z", "")

    assert once.stdout.splitlines()[-1] == "period_s=- previous=2026-04-01T00:00:00Z next=-"
    assert none.stdout.splitlines()[-1] == "period_s=- previous=- next=-"


def test_the_command_takes_an_anchor_and_an_offset() -> None:
    rate = run_command(
        "--at", "2026-05-04T06:00:00Z", "--anchor", "2026-05-01T12:00:00Z", "rate(5 hours)"
    )
    offset = run_command(
        "--at", "2026-05-04T06:00:00Z", "--offset-days", "3", "cron(0 0 ? * THU#2 *)"
    )

    assert rate.stdout.splitlines()[-1] == (
        "period_s=18000 previous=2026-05-04T05:00:00Z next=2026-05-04T10:00:00Z"
    )
    assert offset.stdout.splitlines()[-1] == (
        "period_s=3024000 previous=2026-04-12T00:00:00Z next=2026-05-17T00:00:00Z"
    )


def test_the_command_defaults_to_now() -> None:
    before = datetime.now(UTC)
    result = run_command("cron(* * * * ? *)")
    after = datetime.now(UTC)

    previous = result.stdout.splitlines()[-1].split()[1].removeprefix("previous=")
    moment = datetime.fromisoformat(previous)
    assert before - timedelta(minutes=1) < moment <= after


@pytest.mark.parametrize("expression", ["rate(1 hours)", "cron(0 15 10 ? * *)", "cron(0 0 * * ?)"])
def test_the_command_exits_2_with_one_line_on_a_rejected_expression(expression: str) -> None:
    result = run_command("--at", "2026-05-04T06:00:00Z", expression)

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"schedule not understood: {expression!r}: ")


def test_the_command_says_how_the_fields_are_read() -> None:
    seven = run_command("--at", "2026-05-04T06:00:00Z", "cron(0 0 2 ? * SUN *)")
    six = run_command("--at", "2026-05-04T06:00:00Z", "cron(0 2 ? * SUN *)")

    expected = "seconds=0 minutes=0 hours=2 day-of-month=? month=* day-of-week=SUN year=*"
    assert expected in seven.stdout.splitlines()[0]
    assert expected in six.stdout.splitlines()[0]


def test_importing_the_reader_stays_cheap() -> None:
    """The sweep imports it at cold start: no boto3, no argparse (the command's), no zoneinfo."""
    environ = dict(os.environ)
    heavy = ("boto3", "botocore", "argparse", "zoneinfo", "calendar", "dataclasses")
    probe = f"import sys, ssm_notifier.schedule; print([m for m in {heavy!r} if m in sys.modules])"
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-B",
            "-c",
            f"import sys; sys.path.insert(0, {str(HANDLER_ROOT)!r}); {probe}",
        ],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert result.stdout.strip() == "[]"
