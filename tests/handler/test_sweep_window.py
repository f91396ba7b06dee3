"""sweep_window: the window an association's executions are looked for in, from its real schedule.

Replaces test_periods (the rough period guess): the issue's table rows, the grace (a tenth of the
period, at most 1 hour: was test_the_lookback_adds_a_tenth_of_the_period_at_most_an_hour), crons of
every shape (was test_cron_bound_is_the_longest_gap_the_schedule_allows: now exact occurrences),
and the association's own rate or no schedule (was test_the_association_period_is_its_rate_else_the_
sweeps; rate parsing itself is test_schedule's).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ssm_notifier.schedule import ScheduleError
from ssm_notifier.sweep_window import association_window

NOW = datetime(2026, 5, 14, 6, 0, tzinfo=UTC)  # a Thursday
DAY = timedelta(days=1)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def window(schedule: str | None, **description):
    if schedule is not None:
        description["ScheduleExpression"] = schedule
    return association_window(description, NOW, DAY)


@pytest.mark.parametrize(
    ("schedule", "due", "grace"),
    [
        # The rows: the last real occurrence, not a guessed period.
        ("cron(0 0 2 ? * SUN *)", "2026-05-10T02:00:00", timedelta(hours=1)),  # weekly, seconds
        ("cron(0 0 ? * THU#2 *)", "2026-05-14T00:00:00", timedelta(hours=1)),  # 2nd Thursday
        ("cron(15 10 ? * 6L *)", "2026-04-24T10:15:00", timedelta(hours=1)),  # last Friday
        ("cron(0 15 10 ? * * *)", "2026-05-13T10:15:00", timedelta(hours=1)),  # daily, 7 fields
        # More shapes.
        ("cron(0 2 ? * SUN *)", "2026-05-10T02:00:00", timedelta(hours=1)),
        ("cron(0 2 1 * ? *)", "2026-05-01T02:00:00", timedelta(hours=1)),  # monthly
        ("cron(30 4 * * ? *)", "2026-05-14T04:30:00", timedelta(hours=1)),  # daily
        ("cron(0 */6 * * ? *)", "2026-05-14T00:00:00", timedelta(minutes=36)),
        ("cron(15 * * * ? *)", "2026-05-14T05:15:00", timedelta(minutes=6)),
        ("cron(0 2 ? * MON-FRI *)", "2026-05-14T02:00:00", timedelta(hours=1)),
        ("cron(0 2 1 1,7 ? *)", "2026-01-01T02:00:00", timedelta(hours=1)),
        # A rate has no anchor: one period plus the grace back.
        ("rate(1 day)", "2026-05-13T05:00:00", timedelta(hours=1)),
        ("rate(30 minutes)", "2026-05-14T05:27:00", timedelta(minutes=3)),
        ("rate(7 days)", "2026-05-07T05:00:00", timedelta(hours=1)),
    ],
)
def test_the_window_starts_at_the_last_due_occurrence_before_the_grace(schedule, due, grace):
    read = window(schedule)

    assert (read.due, read.grace) == (at(due), grace)
    # Executions created from a minute early (clock skew) count.
    assert read.since == at(due) - min(grace, timedelta(minutes=1))
    assert read.reason == ""
    assert f"last due {due}Z" in read.text


def test_a_run_just_due_is_not_looked_for_before_its_grace_has_passed() -> None:
    """Daily at 05:30: 30 minutes ago, within the hour of grace: yesterday's run is the one due."""
    assert window("cron(30 5 * * ? *)").due == at("2026-05-13T05:30:00")


def test_the_schedule_offset_moves_every_occurrence() -> None:
    """Mondays 01:00 with ScheduleOffset 2: Wednesdays 01:00."""
    assert window("cron(0 1 ? * MON *)", ScheduleOffset=2).due == at("2026-05-13T01:00:00")


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        (None, "nothing is due: it runs only when started"),
        ("", "nothing is due: it runs only when started"),
        ("at(2026-06-01T00:00:00)", "nothing is due yet: first due 2026-06-01T00:00:00Z"),
        (
            "at(2026-04-01T00:00:00)",
            "its last run was due 2026-04-01T00:00:00Z, before the last sweep period: checked then",
        ),
        ("cron(0 2 * * ? 2027)", "nothing is due yet: first due 2027-01-01T02:00:00Z"),
    ],
)
def test_nothing_is_due(schedule, reason) -> None:
    read = window(schedule)

    assert read.since is None
    assert read.reason == reason


def test_a_one_time_run_is_checked_in_the_sweep_period_after_it() -> None:
    """The issue's `at(...)` row: checked once, never every day after."""
    read = window("at(2026-05-13T12:00:00)")

    assert read.due == at("2026-05-13T12:00:00")
    assert read.since is not None


def test_apply_only_at_cron_interval_after_an_update_waits_for_the_next_occurrence() -> None:
    updated = at("2026-05-12T09:00:00")  # after Monday's 03:00 run
    read = window(
        "cron(0 3 ? * MON *)",
        ApplyOnlyAtCronInterval=True,
        Date=at("2026-01-05T00:00:00"),
        LastUpdateAssociationDate=updated,
    )

    assert read.since is None
    assert "next due 2026-05-18T03:00:00Z" in read.reason
    # Without the flag the association runs when created or updated: the window stands.
    assert window("cron(0 3 ? * MON *)", LastUpdateAssociationDate=updated).since is not None


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 15 10 ? * *)",  # Quartz's seconds-first example in 6 fields: AWS rejects it
        "cron(0 2 * *)",  # not AWS's six fields
        "rate(1 fortnight)",
        "every day",
    ],
)
def test_an_expression_aws_rejects_raises(schedule) -> None:
    with pytest.raises(ScheduleError):
        window(schedule)
