"""AWS's documented sample events through the generated rule pattern, then through the handler.

The pattern is evaluated with moto's EventBridge pattern matcher (the same code that filters
`put_events` in the end-to-end run), after resolving the rule's parameter references the way
CloudFormation would for the given parameter values.
"""

from __future__ import annotations

import copy
import json

import pytest
from moto.events.models import EventPattern
from ssm_notifier.notify import process_batch
from ssm_notifier.settings import load_settings

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


def resolve(value, parameters: dict):
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if isinstance(value, dict):
        return {key: resolve(item, parameters) for key, item in value.items()}
    return value


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
    return EventPattern.load(json.dumps(resolve(pattern, parameters | lists)))


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
        load_settings({"TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t"}),
        ssm=_NoOutputSsm(),
        sns=sns,
        clock=lambda: now[0],
        sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
    )
    assert result == {"batchItemFailures": []}
    (message,) = sns.published
    assert message["Subject"] == "[SSM] AWS-UpdateSSMAgent: 1 failed, 1 succeeded"
    body = message["Message"]
    assert body.index("i-0aaa1111bbbb22223: Failed") < body.index("i-0ccc3333dddd44445: Success")
    assert "i-0eee5555ffff66667" not in body  # Pending never reached the queue
