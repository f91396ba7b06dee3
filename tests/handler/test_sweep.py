"""sweep: the entry point publishes what the check found, raises when it cannot, and reads its
settings and the time left from the environment and the Lambda context."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from notifier_testkit import TOPIC_ARN
from ssm_notifier import sweep
from ssm_notifier.clients import ClientCache
from ssm_notifier.settings import SettingsError
from sweep_testkit import (
    ASSOC_A,
    DOCUMENT,
    NOW,
    Aws,
    run,
    stub_describe,
    stub_ec2,
    stub_executions,
    stub_list,
    stub_nodes,
    stub_publish,
)


def test_a_publish_failure_raises_so_lambda_retries(aws) -> None:
    stub_list(aws, ASSOC_A)
    stub_describe(aws, ASSOC_A, [{"Key": "InstanceIds", "Values": ["i-01"]}])
    stub_executions(aws, ASSOC_A)
    stub_ec2(aws, [{"Name": "instance-id", "Values": ["i-01"]}], {"i-01": "stopped"})
    stub_nodes(aws, None, {})
    aws.sns_stub.add_client_error("publish", "KMSAccessDeniedException", "key policy")

    with pytest.raises(ClientError, match="KMSAccessDeniedException"):
        run(aws)


@pytest.fixture
def handler_env(monkeypatch, aws) -> Aws:
    monkeypatch.setenv("TOPIC_ARN", TOPIC_ARN)
    monkeypatch.setenv("WATCHED_DOCUMENTS", f" {DOCUMENT} ,")
    monkeypatch.setenv("SWEEP_SCHEDULE", "rate(1 day)")
    runtime = sweep.Runtime(clients=ClientCache(pytest.fail), now=lambda: NOW)
    for name in ("ssm", "ec2", "sns"):
        runtime.clients.set(name, getattr(aws, name))
    monkeypatch.setattr(sweep, "RUNTIME", runtime)
    return aws


def test_lambda_handler_sweeps_with_the_environment_and_the_context_time(handler_env) -> None:
    aws = handler_env

    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 10_000  # under the publish reserve: nothing is checked, and that is said

    stub_publish(aws)  # and no SSM call at all: out of time before the first

    summary = sweep.lambda_handler({"source": "aws.events"}, Context())

    assert summary["not_checked"] == 1
    assert "time budget" in aws.published[0]["Message"]


def test_lambda_handler_without_topic_arn_raises(handler_env, monkeypatch) -> None:
    monkeypatch.delenv("TOPIC_ARN")

    with pytest.raises(SettingsError, match="TOPIC_ARN is not set"):
        sweep.lambda_handler({}, None)
    handler_env.assert_done()
