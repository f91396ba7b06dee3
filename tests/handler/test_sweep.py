"""sweep: the entry point plans a run on the scheduled event, checks and collects on work-queue
records, hands back a record it cannot handle (the others still done), and reads its settings and
the time left from the environment and the Lambda context."""

from __future__ import annotations

import json

import pytest
from notifier_testkit import TOPIC_ARN
from ssm_notifier import sweep
from ssm_notifier.clients import ClientCache
from ssm_notifier.settings import SettingsError
from sweep_testkit import (
    ASSOC_A,
    DOCUMENT,
    NOW,
    TABLE,
    Aws,
    run,
    stub_describe,
    stub_executions,
    stub_list,
    stub_publish,
    stub_states,
)


def test_a_publish_failure_hands_the_collect_back_and_the_next_sweep_closes_the_run(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A)
    stub_states(aws, {"i-01": "stopped"}, {})
    aws.sns_stub.add_client_error("publish", "KMSAccessDeniedException", "key policy")

    summary = run(aws)

    assert summary == {}  # nothing collected
    [failed] = aws.failed_records
    assert json.loads(failed["body"])["kind"] == "collect"
    # The queue retries it, then dead-letters it; the next scheduled run publishes the old run.
    aws.sns_stub.add_response("publish", {"MessageId": "sns-2"})
    stub_list(aws)  # the new run has no association left
    later = sweep.Sweep(sweep_settings(aws), clients_of(aws), NOW, lambda: 1000.0).plan(
        NOW.replace(hour=7)
    )
    aws.assert_done()
    assert later["closed"] == ["2026-05-04T06:00:00.000Z"]
    assert "  i-01: stopped (EC2)" in aws.published[-1]["Message"]


def test_an_earlier_run_that_cannot_be_closed_does_not_stop_the_new_one(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A)
    stub_states(aws, {"i-01": "stopped"}, {})
    aws.sns_stub.add_client_error("publish", "KMSAccessDeniedException", "key policy")
    run(aws)
    aws.sns_stub.add_client_error("publish", "KMSAccessDeniedException", "key policy")
    stub_list(aws, ASSOC_A)

    later = sweep.Sweep(sweep_settings(aws), clients_of(aws), NOW, lambda: 1000.0).plan(
        NOW.replace(hour=7)
    )

    aws.assert_done()
    assert (later["closed"], later["planned"]) == ([], 1)


def test_a_record_that_cannot_be_read_fails_alone(aws) -> None:
    stub_list(aws)  # no association: the collect says so (the document watched, unused)
    stub_publish(aws)
    sweep.Sweep(sweep_settings(aws), clients_of(aws), NOW, lambda: 1000.0).plan(NOW)
    records = [
        {"messageId": "bad-json", "body": "{"},
        {"messageId": "bad-kind", "body": json.dumps({"kind": "dance"})},
        {
            "messageId": "good",
            "body": json.dumps({"kind": "collect", "run": "2026-05-04T06:00:00.000Z"}),
        },
    ]

    answer = sweep.Sweep(sweep_settings(aws), clients_of(aws), NOW, lambda: 1000.0).records(records)

    assert answer == {
        "batchItemFailures": [{"itemIdentifier": "bad-json"}, {"itemIdentifier": "bad-kind"}]
    }
    aws.assert_done()


def sweep_settings(aws: Aws):
    from sweep_testkit import settings

    return settings()._replace(work_queue_url=aws.queue_url)


def clients_of(aws: Aws) -> ClientCache:
    from sweep_testkit import clients

    return clients(aws)


@pytest.fixture
def handler_env(monkeypatch, aws) -> Aws:
    monkeypatch.setenv("TOPIC_ARN", TOPIC_ARN)
    monkeypatch.setenv("WATCHED_DOCUMENTS", f" {DOCUMENT} ,")
    monkeypatch.setenv("SWEEP_SCHEDULE", "rate(1 day)")
    monkeypatch.setenv("WORK_QUEUE_URL", aws.queue_url)
    monkeypatch.setenv("STATE_TABLE_NAME", TABLE)
    runtime = sweep.Runtime(clients=ClientCache(pytest.fail), now=lambda: NOW)
    for name in ("ssm", "ec2", "sns", "dynamodb", "sqs"):
        runtime.clients.set(name, getattr(aws, name))
    monkeypatch.setattr(sweep, "RUNTIME", runtime)
    return aws


def test_the_scheduled_event_plans_one_work_message_per_association(handler_env) -> None:
    aws = handler_env

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 900_000

    stub_list(aws, ASSOC_A)

    summary = sweep.lambda_handler(
        {"source": "aws.events", "time": "2026-05-04T06:00:00Z"}, Context()
    )

    aws.assert_done()
    assert summary == {"run": "2026-05-04T06:00:00.000Z", "planned": 1, "closed": []}
    [message] = aws.sqs.receive_message(QueueUrl=aws.queue_url)["Messages"]
    assert json.loads(message["Body"]) == {
        "kind": "check",
        "run": "2026-05-04T06:00:00.000Z",
        "unit": ASSOC_A,
        "document": DOCUMENT,
    }


def test_a_check_record_uses_the_context_time(handler_env) -> None:
    """With less time left than a call needs at its worst plus the record reserve, the check
    makes no SSM call and records the association as not checked."""
    aws = handler_env

    class Context:
        def __init__(self, seconds: int) -> None:
            self.seconds = seconds

        def get_remaining_time_in_millis(self) -> int:
            return self.seconds * 1000

    stub_list(aws, ASSOC_A)
    sweep.lambda_handler({"time": "2026-05-04T06:00:00Z"}, Context(900))
    [message] = aws.sqs.receive_message(QueueUrl=aws.queue_url)["Messages"]

    answer = sweep.lambda_handler(
        {"Records": [{"messageId": message["MessageId"], "body": message["Body"]}]}, Context(100)
    )

    aws.assert_done()
    assert answer == {"batchItemFailures": []}
    item = aws.dynamodb.get_item(
        TableName=TABLE,
        Key={"pk": {"S": "sweep-run#2026-05-04T06:00:00.000Z"}, "sk": {"S": f"result#{ASSOC_A}"}},
    )["Item"]
    assert "out of time after 0 calls" in json.loads(item["data"]["S"])["error"]


def test_lambda_handler_without_topic_arn_raises(handler_env, monkeypatch) -> None:
    monkeypatch.delenv("TOPIC_ARN")

    with pytest.raises(SettingsError, match="TOPIC_ARN is not set"):
        sweep.lambda_handler({}, None)
    handler_env.assert_done()
