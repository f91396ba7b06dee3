"""The sweep's pure rules: settings, schedule periods, subject and body limits, paging caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from notifier_testkit import TOPIC_ARN
from ssm_notifier import sweep
from ssm_notifier.settings import SettingsError
from ssm_notifier.targets import InstanceState, OutOfTimeError, Pager

HANDLER_ROOT = Path(__file__).resolve().parents[2] / "handler"
NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
ENV = {
    "TOPIC_ARN": TOPIC_ARN,
    "WATCHED_DOCUMENTS": "AWS-UpdateSSMAgent",
    "SWEEP_SCHEDULE": "rate(1 day)",
}


# Settings


def test_settings_from_the_environment() -> None:
    settings = sweep.load_sweep_settings(
        {**ENV, "WATCHED_DOCUMENTS": " AWS-UpdateSSMAgent, My-Doc ,,AWS-UpdateSSMAgent"}
    )

    assert settings.documents == ("AWS-UpdateSSMAgent", "My-Doc")
    assert settings.sweep_period == timedelta(days=1)
    assert settings.log_level == "INFO"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"TOPIC_ARN": ""}, "TOPIC_ARN is not set"),
        ({"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"}, "TOPIC_ARN is not an SNS topic"),
        ({"WATCHED_DOCUMENTS": " , "}, "WATCHED_DOCUMENTS is not set"),
        ({"WATCHED_DOCUMENTS": "AWS-UpdateSSMAgent,bad name"}, "invalid document name: 'bad name'"),
        ({"SWEEP_SCHEDULE": "daily"}, "SWEEP_SCHEDULE must be rate"),
        ({"SWEEP_SCHEDULE": "rate(0 days)"}, "SWEEP_SCHEDULE must be rate"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
    ],
)
def test_a_missing_or_bad_variable_is_named(changes, error) -> None:
    with pytest.raises(SettingsError, match=error):
        sweep.load_sweep_settings({**ENV, **changes})


@pytest.mark.parametrize(
    ("schedule", "period"),
    [
        ("rate(6 hours)", timedelta(hours=6)),
        ("cron(0 2 * * ? *)", timedelta(days=1)),
        ("", timedelta(days=1)),
    ],
)
def test_the_sweep_period_is_its_rate_else_one_day(schedule, period) -> None:
    assert sweep.load_sweep_settings({**ENV, "SWEEP_SCHEDULE": schedule}).sweep_period == period


# Periods


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
    assert sweep.parse_rate(expression) == length


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
    period = sweep.association_period(schedule, timedelta(hours=6))

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
    assert sweep.Period(length, "").lookback == lookback


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
    assert sweep.duration_text(length) == text


# Subject and body


def result(document="AWS-UpdateSSMAgent", missed=0, error="", association_id="a-1"):
    return sweep.AssociationResult(
        document,
        association_id,
        missed=[InstanceState(f"i-{n:017x}", "stopped") for n in range(missed)],
        error=error,
    )


def report(*results) -> sweep.SweepReport:
    return sweep.SweepReport(list(results), NOW, region="us-east-1")


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([result(missed=1)], "[SSM] 1 instance missed by AWS-UpdateSSMAgent"),
        ([result(missed=2), result(missed=0)], "[SSM] 2 instances missed by AWS-UpdateSSMAgent"),
        ([result(missed=2), result("Doc-B", missed=3)], "[SSM] 5 instances missed by 2 documents"),
        (
            [result(missed=1), result(error="ThrottlingException"), result(error="x")],
            "[SSM] 1 instance missed by AWS-UpdateSSMAgent (2 checks failed)",
        ),
        ([result(error="AccessDenied")], "[SSM] Sweep of AWS-UpdateSSMAgent: 1 check failed"),
    ],
)
def test_subject_counts_and_names(results, expected) -> None:
    assert sweep.subject(report(*results)) == expected


@pytest.mark.parametrize(
    "document",
    ["D" * 128, "Döc-\u00e9t\u00e9\x1b[31m\nname", "x" * 300],
)
def test_subject_is_printable_ascii_of_at_most_99_characters(document) -> None:
    for results in ([result(document, missed=12_345)], [result(document, error="e")] * 3):
        text = sweep.subject(report(*results))

        assert len(text) <= 99
        assert all(" " <= char <= "~" for char in text), text
        assert text.startswith("[SSM] ")


def test_subject_of_a_long_name_keeps_the_count() -> None:
    text = sweep.subject(report(result("D" * 128, missed=7), result(error="e")))

    assert text.startswith("[SSM] 7 instances missed by DDDD")
    assert text.endswith("... (1 check failed)")


def test_the_body_stays_under_its_budget_and_counts_what_it_left_out() -> None:
    big = report(
        result(missed=3_000, association_id="a-1"),
        result(missed=3_000, association_id="a-2"),
        *[result(error="ThrottlingException " * 20, association_id=f"e-{n}") for n in range(500)],
    )

    body = sweep.message(big, budget_bytes=60_000)

    assert len(body.encode()) <= 60_000
    shown = body.count("Last successful association run")
    assert 0 < shown < 6_000
    assert f"... and {6_000 - shown} more instances (message size limit)" in body
    assert "Could not check:" in body
    assert "  ... and " in body.split("Could not check:")[1]


def test_the_full_size_body_is_under_the_sns_limit() -> None:
    body = sweep.message(report(result(missed=20_000)))

    assert len(body.encode()) < 256 * 1024
    assert "more instances (message size limit)" in body


def test_control_characters_from_the_api_do_not_reach_the_body() -> None:
    odd = result(missed=1)
    odd.name = "name\x1b[31m"
    odd.notes.append("bell\x07")

    body = sweep.message(report(odd))

    assert "\x1b" not in body
    assert "\x07" not in body


def test_no_console_links_in_a_partition_or_region_that_is_not_known() -> None:
    unknown = sweep.SweepReport([result(missed=1)], NOW, region="mars-1", partition="aws")

    assert "https://" not in sweep.message(unknown)


def test_console_links_follow_the_partition() -> None:
    china = sweep.SweepReport(
        [result(missed=1, association_id="11111111-1111-4111-8111-111111111111")],
        NOW,
        region="cn-north-1",
        partition="aws-cn",
    )

    assert "https://console.amazonaws.cn/systems-manager/state-manager/" in sweep.message(china)


# Paging


def pages(count: int):
    calls = []

    def call(**request):
        calls.append(request)
        number = len(calls)
        return {"Items": [number], **({"NextToken": f"t{number}"} if number < count else {})}

    return call, calls


def test_pager_follows_next_token_to_the_end() -> None:
    call, calls = pages(3)

    items, cut = Pager(lambda: 100, 10).items(call, {"A": 1}, lambda page: page["Items"])

    assert (items, cut) == ([1, 2, 3], False)
    assert calls == [{"A": 1}, {"A": 1, "NextToken": "t1"}, {"A": 1, "NextToken": "t2"}]


def test_pager_stops_at_its_page_cap_and_says_so() -> None:
    call, calls = pages(5)

    items, cut = Pager(lambda: 100, 10, max_pages=2).items(call, {}, lambda page: page["Items"])

    assert (items, cut, len(calls)) == ([1, 2], True, 2)


def test_pager_stops_at_its_item_cap_and_says_so() -> None:
    call, _ = pages(5)

    items, cut = Pager(lambda: 100, 10).items(call, {}, lambda p: p["Items"] * 2, max_items=3)

    assert (items, cut) == ([1, 1, 2], True)


def test_pager_makes_no_call_once_the_time_budget_is_spent() -> None:
    call, calls = pages(1)

    with pytest.raises(OutOfTimeError):
        Pager(lambda: 9.9, 10).items(call, {}, lambda page: page["Items"])
    assert calls == []


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
    assert sweep.cron_bound(expression) == bound
