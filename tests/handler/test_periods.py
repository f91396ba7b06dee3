"""periods: an association's period from its rate or cron, its grace, and how it reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ssm_notifier import periods


@pytest.mark.parametrize(
    ("expression", "length"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(30 minutes)", timedelta(minutes=30)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(12 hours)", timedelta(hours=12)),
        ("rate(1 day)", timedelta(days=1)),
        ("rate(14 days)", timedelta(days=14)),
        (" rate( 2 Hours ) ", timedelta(hours=2)),
        ("cron(0 2 ? * SUN *)", None),
        ("rate(0 days)", None),
        ("rate(1 week)", None),
        ("rate(9999999 days)", None),
        ("at(2026-05-04T06:00:00)", None),
        ("", None),
    ],
)
def test_rate_parsing(expression, length) -> None:
    assert periods.parse_rate(expression) == length


@pytest.mark.parametrize(
    ("schedule", "length", "rule"),
    [
        ("rate(30 minutes)", timedelta(minutes=30), "rate(30 minutes)"),
        ("rate(2 days)", timedelta(days=2), "rate(2 days)"),
        ("cron(0 2 ? * SUN *)", timedelta(days=7), "cron(0 2 ? * SUN *): at most 7 days apart"),
        (
            "at(2026-05-04T06:00:00)",
            timedelta(hours=6),
            "at(2026-05-04T06:00:00) is not a rate or cron: the sweep's period is used",
        ),
        ("", timedelta(hours=6), "no schedule: the sweep's period is used"),
    ],
)
def test_the_association_period_is_its_rate_else_the_sweeps(schedule, length, rule) -> None:
    period = periods.association_period(schedule, timedelta(hours=6))

    assert (period.length, period.rule) == (length, rule)


@pytest.mark.parametrize(
    ("length", "lookback"),
    [
        (timedelta(minutes=30), timedelta(minutes=33)),
        (timedelta(hours=5), timedelta(hours=5, minutes=30)),
        (timedelta(days=1), timedelta(hours=25)),
        (timedelta(days=7), timedelta(days=7, hours=1)),
    ],
)
def test_the_lookback_adds_a_tenth_of_the_period_at_most_an_hour(length, lookback) -> None:
    assert periods.Period(length, "").lookback == lookback


@pytest.mark.parametrize(
    ("length", "text"),
    [
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(minutes=90), "1 hour 30 minutes"),
        (timedelta(days=2), "2 days"),
    ],
)
def test_duration_text(length, text) -> None:
    assert periods.duration_text(length) == text


@pytest.mark.parametrize(
    ("expression", "bound"),
    [
        ("cron(0 2 ? * SUN *)", timedelta(days=7)),  # weekly
        ("cron(0 2 ? * MON-FRI *)", timedelta(days=7)),  # an upper bound, not the usual gap
        ("cron(0 2 1 * ? *)", timedelta(days=31)),  # monthly
        ("cron(0 2 1 1,7 ? *)", timedelta(days=366)),  # some months only
        ("cron(30 4 * * ? *)", timedelta(days=1)),  # daily
        ("cron(0 */6 * * ? *)", timedelta(hours=6)),
        ("cron(15 * * * ? *)", timedelta(hours=1)),
        ("cron(0 2 * *)", None),  # not AWS's six fields
        ("rate(1 day)", None),
    ],
)
def test_cron_bound_is_the_longest_gap_the_schedule_allows(expression, bound) -> None:
    assert periods.cron_bound(expression) == bound
