"""Fixtures for the handler tests: fake AWS credentials, a moto topic, a stubbed SSM client, the
sweep's stubbed SSM, EC2 and SNS clients."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from notifier_testkit import REGION, FakeClock, Topic
from ssm_notifier import log
from ssm_notifier.settings import Settings
from sweep_testkit import Aws


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region, so no test can reach a real account."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    log.configure("INFO", {})  # the local setup, whatever the shell running the tests holds


@pytest.fixture
def topic() -> Iterator[Topic]:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        arn = sns.create_topic(Name="notifier")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
        yield Topic(sns, sqs, arn, queue_url)


@pytest.fixture
def ssm() -> Iterator[tuple[object, Stubber]]:
    """An SSM client whose every call must be stubbed: an unexpected call fails the test."""
    client = boto3.client("ssm", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(topic: Topic) -> Settings:
    return Settings(topic_arn=topic.arn)


@pytest.fixture
def aws() -> Iterator[Aws]:
    """Stubbed SSM, EC2 and SNS clients for the sweep (see sweep_testkit)."""
    clients = {name: boto3.client(name, region_name=REGION) for name in ("ssm", "ec2", "sns")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    state = Aws(
        clients["ssm"],
        clients["ec2"],
        clients["sns"],
        stubs["ssm"],
        stubs["ec2"],
        stubs["sns"],
    )
    clients["sns"].meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: state.published.append(params)
    )
    for stub in stubs.values():
        stub.activate()
    yield state
    for stub in stubs.values():
        stub.deactivate()
