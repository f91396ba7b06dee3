"""AWS's documented sample events through the generated rule pattern, then through the handler.

The pattern is evaluated with moto's EventBridge pattern matcher (the same code that filters
`put_events` in the end-to-end run), after resolving the rule's parameter references the way
CloudFormation would for the given parameter values.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from moto.events.models import EventPattern
from ssm_notifier.notify import process_batch
from ssm_notifier.settings import load_settings

from templates.readme.sample_email import ENVIRONMENT, EmptyStateTable, ReportBucket

# AWS's documented sample of this detail-type (EventBridge user guide, Systems Manager events).
AWS_SAMPLE = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 State Manager Instance Association State Change",
    "source": "aws.ssm",
    "account": "123456789012",
    "time": "2017-02-23T15:23:48Z",
    "region": "us-east-1",
    "resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-12345678",
        "arn:aws:ssm:us-east-1:123456789012:document/my-documentName",
    ],
    "detail": {
        "association-id": "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3",
        "instance-id": "i-12345678",
        "document-name": "my-documentName",
        "document-version": "1",
        "targets": '[{"key":"instanceids","values":["i-12345678"]}]',
        "creation-date": "2017-02-13T17:22:54.458Z",
        "last-successful-execution-date": "2017-02-13T17:22:54.458Z",
        "last-execution-date": "2017-02-13T17:22:54.458Z",
        "last-updated-date": "2017-02-13T17:22:54.458Z",
        "status": "Success",
        "detailed-status": "Success",
        "error-code": "testErrorCode",
        "execution-summary": "testExecutionSummary",
        "output-url": "sampleurl",
        "instance-association-cwe-version": "1",
    },
}


def sample(**detail) -> dict:
    event = copy.deepcopy(AWS_SAMPLE)
    event["detail"].update(detail)
    return event


def agent_update(instance: str = "i-12345678", **detail) -> dict:
    """The sample as the agent-update association sends it: an AWS-owned document, whose ARN
    carries no account id."""
    event = sample(**{"document-name": "AWS-UpdateSSMAgent", "instance-id": instance, **detail})
    event["resources"] = [
        f"arn:aws:ec2:us-east-1:123456789012:instance/{instance}",
        "arn:aws:ssm:us-east-1::document/AWS-UpdateSSMAgent",
    ]
    return event


NO_VALUE = object()


def resolve(value, parameters: dict, conditions: dict | None = None):
    """`value` as CloudFormation resolves it for these parameters: Ref, Fn::If on the template's
    conditions (Fn::Equals, Fn::Or, Condition), AWS::NoValue dropped from lists."""
    conditions = conditions or {}
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return NO_VALUE if value["Ref"] == "AWS::NoValue" else parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        name, taken, otherwise = value["Fn::If"]
        chosen = taken if holds(conditions[name], parameters, conditions) else otherwise
        return resolve(chosen, parameters, conditions)
    if isinstance(value, dict):
        return {key: resolve(item, parameters, conditions) for key, item in value.items()}
    if isinstance(value, list):
        items = [resolve(item, parameters, conditions) for item in value]
        return [item for item in items if item is not NO_VALUE]
    return value


def holds(condition: dict, parameters: dict, conditions: dict) -> bool:
    ((function, arguments),) = condition.items()
    if function == "Condition":
        return holds(conditions[arguments], parameters, conditions)
    if function == "Fn::Equals":
        left, right = (resolve(a, parameters, conditions) for a in arguments)
        return left == right
    if function == "Fn::Or":
        return any(holds(each, parameters, conditions) for each in arguments)
    raise NotImplementedError(function)


def rule_pattern(notifications: dict, **overrides: str) -> EventPattern:
    parameters = {
        name: spec.get("Default", "") for name, spec in notifications["Parameters"].items()
    } | overrides
    lists = {
        name: str(value).split(",")
        for name, value in parameters.items()
        if notifications["Parameters"][name]["Type"] == "CommaDelimitedList"
    }
    pattern = notifications["Resources"]["Rule"]["Properties"]["EventPattern"]
    resolved = resolve(pattern, parameters | lists, notifications["Conditions"])
    return EventPattern.load(json.dumps(resolved))


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        (agent_update(), True),
        (agent_update(status="Failed", **{"detailed-status": "Failed"}), True),
        (agent_update(status="Pending"), False),
        (agent_update(status="TimedOut"), False),  # not watched by default
        (sample(), False),  # the sample's own document is not watched
        ({**agent_update(), "detail-type": "EC2 Command Status-change Notification"}, False),
        ({**agent_update(), "source": "aws.ec2"}, False),
    ],
    ids=["success", "failed", "pending", "timed-out", "other-document", "other-type", "other-src"],
)
def test_default_pattern_matches_only_final_runs_of_the_watched_document(
    notifications, event, matches
):
    assert rule_pattern(notifications).matches_event(event) is matches


def test_watched_documents_and_statuses_are_deploy_time_choices(notifications):
    pattern = rule_pattern(
        notifications,
        WatchedDocuments="AWS-UpdateSSMAgent,my-documentName",
        WatchedStatuses="Success,Failed,TimedOut",
    )
    assert pattern.matches_event(sample())
    assert pattern.matches_event(agent_update(status="TimedOut"))
    assert not pattern.matches_event(agent_update(status="Skipped"))


def test_the_seeds_account_scoped_resources_pattern_would_miss_aws_owned_documents():
    """Why the rule matches by name: the seed matched `resources` with the account id."""
    seed = EventPattern.load(
        json.dumps(
            {
                "source": ["aws.ssm"],
                "detail-type": ["EC2 State Manager Instance Association State Change"],
                "detail": {"status": ["Success", "Failed"]},
                "resources": ["arn:aws:ssm:us-east-1:123456789012:document/AWS-UpdateSSMAgent"],
            }
        )
    )
    assert not seed.matches_event(agent_update())


class _FakeSns:
    def __init__(self):
        self.published = []

    def publish(self, **message):
        self.published.append(message)
        return {"MessageId": str(len(self.published))}


class _NoOutputSsm:
    def describe_association_executions(self, **_):
        return {"AssociationExecutions": []}


def test_matching_samples_become_one_readable_digest(notifications):
    pattern = rule_pattern(notifications)
    events = [
        agent_update("i-0aaa1111bbbb22223", status="Failed", **{"detailed-status": "Failed"}),
        agent_update("i-0ccc3333dddd44445"),
        agent_update("i-0eee5555ffff66667", status="Pending"),
    ]
    delivered = [event for event in events if pattern.matches_event(event)]
    records = [
        {"messageId": f"m-{n}", "body": json.dumps(event), "awsRegion": "us-east-1"}
        for n, event in enumerate(delivered)
    ]
    sns, now = _FakeSns(), [0.0]
    result = process_batch(
        records,
        load_settings({**ENVIRONMENT, "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"}),
        clients={
            "ssm": _NoOutputSsm(),
            "sns": sns,
            "dynamodb": EmptyStateTable(),
            "s3": ReportBucket(),
            "sqs": None,
        },
        clock=lambda: now[0],
        sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
    )
    assert result == {"batchItemFailures": []}
    (message,) = sns.published
    # The success is counted (and named in the report); the failure is named in the email.
    assert message["Subject"] == "SSM associations: 1 failed (1 new), 0 recovered, 1 ok"
    body = message["Message"]
    assert "NEW i-0aaa1111bbbb22223: Failed" in body
    assert "(AWS-UpdateSSMAgent): 1 failed, 1 other in this digest" in body
    assert "i-0eee5555ffff66667" not in body  # Pending never reached the queue


RUN_SAMPLES = Path(__file__).resolve().parent / "events" / "runs"


def run_sample(name: str, **detail) -> dict:
    """AWS's documented sample (tests/events/runs/), with `detail` fields overridden."""
    event = json.loads((RUN_SAMPLES / f"{name}.json").read_text())
    event["detail"].update(detail)
    return event


WATCHING_POWERSHELL = {"WatchedDocuments": "AWS-UpdateSSMAgent,AWS-RunPowerShellScript"}


def test_by_default_no_run_command_or_maintenance_window_event_reaches_the_queue(notifications):
    pattern = rule_pattern(notifications, **WATCHING_POWERSHELL)
    for event in (
        run_sample("command_invocation_status_change"),
        run_sample("command_invocation_status_change", status="Failed"),
        run_sample("maintenance_window_task_target_invocation"),
        run_sample("maintenance_window_task_target_invocation", status="FAILED"),
    ):
        assert not pattern.matches_event(event), event["detail-type"]
    assert pattern.matches_event(agent_update())


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        (run_sample("command_invocation_status_change"), True),  # Success, as published
        (run_sample("command_invocation_status_change", status="Failed"), True),
        (run_sample("command_invocation_status_change", status="TimedOut"), True),
        (run_sample("command_invocation_status_change", status="Cancelled"), True),
        (run_sample("command_invocation_status_change", status="InProgress"), False),
        (run_sample("command_invocation_status_change", status="Pending"), False),
        (run_sample("command_invocation_status_change", status="Delayed"), False),
        (
            run_sample(
                "command_invocation_status_change",
                status="Failed",
                **{"document-name": "AWS-RunShellScript"},
            ),
            False,
        ),
        (run_sample("command_status_change"), False),  # the command as a whole: no instance
        (run_sample("maintenance_window_task_target_invocation"), False),  # not watched here
        (agent_update(), True),  # association runs as before
    ],
    ids=[
        "success",
        "failed",
        "timed-out",
        "cancelled",
        "in-progress",
        "pending",
        "delayed",
        "document-not-watched",
        "command-level",
        "window",
        "association",
    ],
)
def test_watch_run_command_admits_final_invocations_of_the_watched_documents(
    notifications, event, matches
):
    pattern = rule_pattern(notifications, WatchRunCommand="true", **WATCHING_POWERSHELL)
    assert pattern.matches_event(event) is matches


@pytest.mark.parametrize(
    ("event", "matches"),
    [
        (run_sample("maintenance_window_task_target_invocation"), True),  # TIMED_OUT
        (run_sample("maintenance_window_task_target_invocation", status="SUCCESS"), True),
        (run_sample("maintenance_window_task_target_invocation", status="FAILED"), True),
        (run_sample("maintenance_window_task_target_invocation", status="CANCELLED"), True),
        (run_sample("maintenance_window_task_target_invocation", status="IN_PROGRESS"), False),
        (run_sample("maintenance_window_task_execution"), False),
        (run_sample("maintenance_window_execution"), False),
        (run_sample("command_invocation_status_change"), False),  # not watched here
        (agent_update(status="Failed"), True),
    ],
    ids=[
        "timed-out",
        "success",
        "failed",
        "cancelled",
        "in-progress",
        "task-execution",
        "window-execution",
        "run-command",
        "association",
    ],
)
def test_watch_maintenance_windows_admits_final_target_invocations(notifications, event, matches):
    pattern = rule_pattern(notifications, WatchMaintenanceWindows="true")
    assert pattern.matches_event(event) is matches


def test_both_watched_admit_both_kinds_and_still_only_the_watched_association_runs(notifications):
    pattern = rule_pattern(
        notifications, WatchRunCommand="true", WatchMaintenanceWindows="true", **WATCHING_POWERSHELL
    )
    assert pattern.matches_event(run_sample("command_invocation_status_change", status="Failed"))
    assert pattern.matches_event(run_sample("maintenance_window_task_target_invocation"))
    assert pattern.matches_event(agent_update())
    assert not pattern.matches_event(agent_update(status="Pending"))
    assert not pattern.matches_event(sample())  # the association sample's own document
