"""settings: the notifier's and the sweep's settings, their defaults, and a clear error naming
each bad variable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from notifier_testkit import TOPIC_ARN
from ssm_notifier.settings import Settings, SettingsError, load_settings, load_sweep_settings


def test_defaults() -> None:
    assert load_settings({"TOPIC_ARN": TOPIC_ARN}) == Settings(
        topic_arn=TOPIC_ARN,
        log_level="INFO",
        enrich_max_lookups=10,
        enrich_time_budget_seconds=10.0,
    )


def test_values_are_read() -> None:
    settings = load_settings(
        {
            "TOPIC_ARN": "arn:aws-cn:sns:cn-north-1:123456789012:alerts.fifo",
            "LOG_LEVEL": "debug",
            "ENRICH_MAX_LOOKUPS": "0",
            "ENRICH_TIME_BUDGET_SECONDS": "2.5",
        }
    )
    assert (settings.log_level, settings.enrich_max_lookups) == ("DEBUG", 0)
    assert settings.enrich_time_budget_seconds == 2.5


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "TOPIC_ARN is not set"),
        ({"TOPIC_ARN": "  "}, "TOPIC_ARN is not set"),
        (
            {"TOPIC_ARN": "arn:aws:sqs:us-east-1:123456789012:q"},
            "TOPIC_ARN is not an SNS topic ARN",
        ),
        ({"TOPIC_ARN": TOPIC_ARN, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
        (
            {"TOPIC_ARN": TOPIC_ARN, "ENRICH_MAX_LOOKUPS": "ten"},
            "ENRICH_MAX_LOOKUPS must be a number",
        ),
        (
            {"TOPIC_ARN": TOPIC_ARN, "ENRICH_MAX_LOOKUPS": "2.5"},
            "ENRICH_MAX_LOOKUPS must be a number",
        ),
        ({"TOPIC_ARN": TOPIC_ARN, "ENRICH_MAX_LOOKUPS": "-1"}, "ENRICH_MAX_LOOKUPS must be from 0"),
        (
            {"TOPIC_ARN": TOPIC_ARN, "ENRICH_TIME_BUDGET_SECONDS": "nan"},
            "ENRICH_TIME_BUDGET_SECONDS must be from 0",
        ),
        (
            {"TOPIC_ARN": TOPIC_ARN, "ENRICH_TIME_BUDGET_SECONDS": "1e9"},
            "ENRICH_TIME_BUDGET_SECONDS must be from 0",
        ),
    ],
)
def test_bad_values_are_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


# The sweep's settings

SWEEP_ENV = {
    "TOPIC_ARN": TOPIC_ARN,
    "WATCHED_DOCUMENTS": "AWS-UpdateSSMAgent",
    "SWEEP_SCHEDULE": "rate(1 day)",
}


def test_sweep_settings_from_the_environment() -> None:
    settings = load_sweep_settings(
        {**SWEEP_ENV, "WATCHED_DOCUMENTS": " AWS-UpdateSSMAgent, My-Doc ,,AWS-UpdateSSMAgent"}
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
def test_a_missing_or_bad_sweep_variable_is_named(changes, error) -> None:
    with pytest.raises(SettingsError, match=error):
        load_sweep_settings({**SWEEP_ENV, **changes})


@pytest.mark.parametrize(
    ("schedule", "period"),
    [
        ("rate(6 hours)", timedelta(hours=6)),
        ("cron(0 2 * * ? *)", timedelta(days=1)),
        ("", timedelta(days=1)),
    ],
)
def test_the_sweep_period_is_its_rate_else_one_day(schedule, period) -> None:
    assert load_sweep_settings({**SWEEP_ENV, "SWEEP_SCHEDULE": schedule}).sweep_period == period
