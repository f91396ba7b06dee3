"""settings: the notifier's and the sweep's settings, their defaults, and a clear error naming
each bad variable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier_testkit import QUEUE_URL, REPORT_BUCKET, STATE_TABLE, TOPIC_ARN
from ssm_notifier.settings import Settings, SettingsError, load_settings, load_sweep_settings

# What the template always sets (the function's environment).
REQUIRED = {
    "TOPIC_ARN": TOPIC_ARN,
    "STATE_TABLE": STATE_TABLE,
    "REPORT_BUCKET": REPORT_BUCKET,
    "QUEUE_URL": QUEUE_URL,
}


def test_defaults() -> None:
    assert load_settings(REQUIRED) == Settings(
        topic_arn=TOPIC_ARN,
        log_level="INFO",
        enrich_max_lookups=10,
        enrich_time_budget_seconds=10.0,
        state_table=STATE_TABLE,
        report_bucket=REPORT_BUCKET,
        queue_url=QUEUE_URL,
        email_split="none",
        emails_per_invocation=1,
        lease_seconds=900,
        state_ttl_days=90,
    )


def test_values_are_read() -> None:
    settings = load_settings(
        {
            **REQUIRED,
            "TOPIC_ARN": "arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo",
            "QUEUE_URL": "https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q-1",
            "LOG_LEVEL": "debug",
            "ENRICH_MAX_LOOKUPS": "0",
            "ENRICH_TIME_BUDGET_SECONDS": "2.5",
            "EMAIL_SPLIT": "Account",
            "EMAILS_PER_INVOCATION": "10",
            "STATE_LEASE_SECONDS": "1800",
            "STATE_TTL_DAYS": "30",
        }
    )
    assert (settings.log_level, settings.enrich_max_lookups) == ("DEBUG", 0)
    assert settings.enrich_time_budget_seconds == 2.5
    assert (settings.email_split, settings.emails_per_invocation) == ("account", 10)
    assert (settings.lease_seconds, settings.state_ttl_days) == (1800, 30)
    assert settings.queue_url.endswith("/123456789012/q-1")


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TOPIC_ARN is not set"),
        ({"TOPIC_ARN": "  "}, "TOPIC_ARN is not set"),
        (
            {"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"},
            "TOPIC_ARN is not an SNS topic ARN",
        ),
        ({**REQUIRED, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({**REQUIRED, "STATE_TABLE": ""}, "STATE_TABLE is not set"),
        ({**REQUIRED, "STATE_TABLE": "a b"}, "STATE_TABLE is not a DynamoDB table name"),
        ({**REQUIRED, "REPORT_BUCKET": " "}, "REPORT_BUCKET is not set"),
        ({**REQUIRED, "REPORT_BUCKET": "Reports"}, "REPORT_BUCKET is not an S3 bucket name"),
        ({**REQUIRED, "QUEUE_URL": ""}, "QUEUE_URL is not set"),
        ({**REQUIRED, "QUEUE_URL": "http://sqs/q"}, "QUEUE_URL is not an SQS queue URL"),
        ({**REQUIRED, "EMAIL_SPLIT": "region"}, "EMAIL_SPLIT must be one of none, account"),
        ({**REQUIRED, "EMAILS_PER_INVOCATION": "0"}, "EMAILS_PER_INVOCATION must be from 1"),
        ({**REQUIRED, "EMAILS_PER_INVOCATION": "11"}, "EMAILS_PER_INVOCATION must be from 1"),
        ({**REQUIRED, "EMAILS_PER_INVOCATION": "two"}, "EMAILS_PER_INVOCATION must be a number"),
        ({**REQUIRED, "STATE_LEASE_SECONDS": "60"}, "STATE_LEASE_SECONDS must be from 900"),
        ({**REQUIRED, "STATE_TTL_DAYS": "0"}, "STATE_TTL_DAYS must be from 1"),
        (
            {**REQUIRED, "ENRICH_MAX_LOOKUPS": "ten"},
            "ENRICH_MAX_LOOKUPS must be a number",
        ),
        (
            {**REQUIRED, "ENRICH_MAX_LOOKUPS": "2.5"},
            "ENRICH_MAX_LOOKUPS must be a number",
        ),
        ({**REQUIRED, "ENRICH_MAX_LOOKUPS": "-1"}, "ENRICH_MAX_LOOKUPS must be from 0"),
        (
            {**REQUIRED, "ENRICH_TIME_BUDGET_SECONDS": "nan"},
            "ENRICH_TIME_BUDGET_SECONDS must be from 0",
        ),
        (
            {**REQUIRED, "ENRICH_TIME_BUDGET_SECONDS": "1e9"},
            "ENRICH_TIME_BUDGET_SECONDS must be from 0",
        ),
    ],
)
def test_bad_values_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


@pytest.mark.parametrize(
    ("environ", "kinds"),
    [
        ({}, {"association"}),
        ({"WATCH_RUN_COMMAND": "false", "WATCH_MAINTENANCE_WINDOWS": ""}, {"association"}),
        ({"WATCH_RUN_COMMAND": "true"}, {"association", "command"}),
        ({"WATCH_MAINTENANCE_WINDOWS": " TRUE "}, {"association", "window"}),
        (
            {"WATCH_RUN_COMMAND": "true", "WATCH_MAINTENANCE_WINDOWS": "true"},
            {"association", "command", "window"},
        ),
    ],
)
def test_the_watched_run_kinds_are_read(environ: dict[str, str], kinds: set[str]) -> None:
    assert load_settings({**REQUIRED, **environ}).watched_kinds == kinds


@pytest.mark.parametrize("name", ["WATCH_RUN_COMMAND", "WATCH_MAINTENANCE_WINDOWS"])
def test_a_watch_flag_that_is_not_true_or_false_is_named(name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be true or false"):
        load_settings({**REQUIRED, name: "yes"})


# The sweep's settings

SWEEP_ENV = {
    "TOPIC_ARN": TOPIC_ARN,
    "WATCHED_DOCUMENTS": "AWS-UpdateSSMAgent",
    "SWEEP_SCHEDULE": "rate(1 day)",
    "WORK_QUEUE_URL": "https://sqs.eu-west-1.amazonaws.com/123456789012/sweep-work",
    "STATE_TABLE_NAME": "notifier-StateTable-1ABC",
}


def test_sweep_settings_from_the_environment() -> None:
    settings = load_sweep_settings(
        {**SWEEP_ENV, "WATCHED_DOCUMENTS": " AWS-UpdateSSMAgent, My-Doc ,,AWS-UpdateSSMAgent"}
    )

    assert settings.documents == ("AWS-UpdateSSMAgent", "My-Doc")
    assert settings.sweep_period == timedelta(days=1)
    assert settings.log_level == "INFO"
    assert settings.work_queue_url == SWEEP_ENV["WORK_QUEUE_URL"]
    assert settings.state_table == "notifier-StateTable-1ABC"
    assert settings.reminder == timedelta(days=7)
    assert load_sweep_settings({**SWEEP_ENV, "REMINDER_DAYS": "3"}).reminder == timedelta(days=3)
    # The template's default WatchedStatuses when not set (a sweep deployed before it was passed).
    assert settings.watched_statuses == ("Success", "Failed")
    chosen = load_sweep_settings({**SWEEP_ENV, "WATCHED_STATUSES": "Failed, TimedOut,Failed"})
    assert chosen.watched_statuses == ("Failed", "TimedOut")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"TOPIC_ARN": ""}, "TOPIC_ARN is not set"),
        ({"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"}, "TOPIC_ARN is not an SNS topic"),
        ({"WATCHED_DOCUMENTS": " , "}, "WATCHED_DOCUMENTS is not set"),
        ({"WATCHED_DOCUMENTS": "AWS-UpdateSSMAgent,bad name"}, "invalid document name: 'bad name'"),
        ({"SWEEP_SCHEDULE": "daily"}, "SWEEP_SCHEDULE is not a schedule"),
        ({"SWEEP_SCHEDULE": "rate(0 days)"}, "SWEEP_SCHEDULE is not a schedule"),
        ({"SWEEP_SCHEDULE": "at(2026-01-01T00:00:00)"}, "SWEEP_SCHEDULE must be a recurring"),
        ({"WORK_QUEUE_URL": ""}, "WORK_QUEUE_URL is not an SQS queue URL"),
        ({"STATE_TABLE_NAME": "a b"}, "STATE_TABLE_NAME is not a DynamoDB table name"),
        ({"REMINDER_DAYS": "0"}, "REMINDER_DAYS must be from 1 to 365"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        ({"WATCHED_STATUSES": "Success,Pending"}, "WATCHED_STATUSES must list some of"),
    ],
)
def test_a_missing_or_bad_sweep_variable_is_named(changes, error) -> None:
    with pytest.raises(SettingsError, match=error):
        load_sweep_settings({**SWEEP_ENV, **changes})


@pytest.mark.parametrize(
    ("schedule", "period"),
    [
        ("rate(6 hours)", timedelta(hours=6)),
        ("cron(0 2 * * ? *)", timedelta(days=1)),
        ("cron(0 2 ? * SUN *)", timedelta(days=7)),
        ("", timedelta(days=1)),
    ],
)
def test_the_sweep_period_is_read_from_its_schedule_else_one_day(schedule, period) -> None:
    assert load_sweep_settings({**SWEEP_ENV, "SWEEP_SCHEDULE": schedule}).sweep_period == period


def test_both_functions_read_the_display_time_zone_as_given() -> None:
    """Whether the zone exists is display_time's to say (logged, UTC only): a wrong zone never
    fails an invocation."""
    assert load_settings(REQUIRED).display_time_zone == ""
    assert load_sweep_settings(SWEEP_ENV).display_time_zone == ""
    for value in (" Europe/Paris ", "Mars/Olympus_Mons"):
        changed = {"DISPLAY_TIME_ZONE": value}
        assert load_settings({**REQUIRED, **changed}).display_time_zone == value.strip()
        assert load_sweep_settings({**SWEEP_ENV, **changed}).display_time_zone == value.strip()
