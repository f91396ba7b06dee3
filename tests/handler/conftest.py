"""Fixtures for the handler tests: fake AWS credentials, a moto topic, a stubbed SSM client, the
sweep's stubbed SSM, EC2 and SNS clients."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from notifier_testkit import REGION, REPORT_BUCKET, STATE_TABLE, FakeClock, Topic, create_stores
from ssm_notifier import log
from ssm_notifier.settings import Settings
from sweep_testkit import TABLE, Aws

from templates.state_store import TABLE_KEYS


def create_state_table(dynamodb) -> None:
    """The notifier's state table layout: string keys pk and sk (TTL on expires_at)."""
    dynamodb.create_table(
        TableName=TABLE,
        **TABLE_KEYS,  # the stack's own (templates/state_store.py)
        BillingMode="PAY_PER_REQUEST",
    )


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
    """The notifier's settings, its state table, report bucket and queue created on moto."""
    queue_url = create_stores()
    return Settings(
        topic_arn=topic.arn,
        state_table=STATE_TABLE,
        report_bucket=REPORT_BUCKET,
        queue_url=queue_url,
    )


@pytest.fixture
def aws() -> Iterator[Aws]:
    """Stubbed SSM, EC2 and SNS clients for the sweep, moto's state table and work queue (see
    sweep_testkit)."""
    with mock_aws():
        yield from _sweep_aws()


def _sweep_aws() -> Iterator[Aws]:
    clients = {name: boto3.client(name, region_name=REGION) for name in ("ssm", "ec2", "sns")}
    stubs = {name: Stubber(client) for name, client in clients.items()}
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    create_state_table(dynamodb)
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="sweep-work")["QueueUrl"]
    state = Aws(
        clients["ssm"],
        clients["ec2"],
        clients["sns"],
        stubs["ssm"],
        stubs["ec2"],
        stubs["sns"],
        dynamodb,
        sqs,
        queue_url,
    )
    clients["sns"].meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: state.published.append(params)
    )
    for stub in stubs.values():
        stub.activate()
    yield state
    for stub in stubs.values():
        stub.deactivate()
