"""Publish arguments: both renderings per protocol, attributes that filter policies match."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import jsonschema
import pytest
from chat_schema import schema, validate
from moto import mock_aws
from ssm_notifier import chat, routing
from ssm_notifier.inbox import Entry, Links, plan_emails
from test_chat import entry

LINKS = Links("https://console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=d", {})


def email_of(entries: list[Entry], **plan):
    (email,) = plan_emails(entries, LINKS, budget_bytes=routing.EMAIL_BUDGET_BYTES, **plan)
    return email


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        (["Success", "Failed", "TimedOut"], "Failed"),
        (["Success", "TimedOut"], "TimedOut"),
        (["Success", "Skipped"], "Skipped"),
        (["Success", "InProgress"], "InProgress"),
        (["Success"], "Success"),
    ],
)
def test_worst_status(statuses: list[str], worst: str) -> None:
    assert routing.worst_status([entry(f"i-{n}", s) for n, s in enumerate(statuses)]) == worst


def test_arguments_carry_the_email_as_default_and_the_chat_json_for_https() -> None:
    email = email_of([entry("i-1"), entry("i-2", "Success", account="222222222222")])
    arguments = routing.publish_arguments("arn:aws:sns:us-east-1:1:t", email, LINKS)
    assert arguments["MessageStructure"] == "json"
    structure = json.loads(arguments["Message"])
    assert set(structure) == {"default", "https"}
    assert structure["default"] == email.body
    validate(json.loads(structure["https"]))
    attributes = arguments["MessageAttributes"]
    assert len(attributes) <= routing.SNS_MAX_ATTRIBUTES
    assert attributes["worst_status"] == {"DataType": "String", "StringValue": "Failed"}
    assert json.loads(attributes["accounts"]["StringValue"]) == ["111111111111", "222222222222"]
    assert attributes["accounts"]["DataType"] == "String.Array"


def test_the_largest_planned_email_still_fits_with_both_renderings() -> None:
    entries = [
        entry(f"i-{n:017x}", output="\n".join(['"\\' * 40] * 12), summary='"' * 300)
        for n in range(5_000)
    ]
    email = email_of(entries)
    arguments = routing.publish_arguments("arn:aws:sns:us-east-1:1:t", email, LINKS)
    assert len(arguments["Message"].encode()) < routing.SNS_MESSAGE_MAX_BYTES
    assert len(chat.compact(chat.render(email, LINKS)).encode()) <= chat.CHAT_MAX_BYTES


def test_an_email_planned_over_the_budget_is_refused_with_the_fix_named() -> None:
    entries = [entry(f"i-{n:017x}", output="\n".join(['"' * 150] * 12)) for n in range(5_000)]
    (email,) = plan_emails(entries, LINKS)  # the email-only budget
    with pytest.raises(routing.MessageTooLargeError, match="EMAIL_BUDGET_BYTES"):
        routing.publish_arguments("arn:aws:sns:us-east-1:1:t", email, LINKS)


def test_attribute_arrays_are_bounded_failing_accounts_first() -> None:
    entries = [entry(f"i-{n}", "Success", account=f"{n:012}") for n in range(80)]
    entries.append(entry("i-x", account="999999999999"))
    accounts = json.loads(routing.message_attributes(entries)["accounts"]["StringValue"])
    assert len(accounts) == routing.ARRAY_MAX_ITEMS and accounts[0] == "999999999999"


@mock_aws
def test_filter_policies_deliver_only_what_they_admit() -> None:
    """SNS (moto) with the attributes as published: failures-only and one account's route."""
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="digests")["TopicArn"]
    queues = {}
    policies = {
        "all": None,
        "failures": {"worst_status": ["Failed", "TimedOut"]},
        "account_2": {"accounts": ["222222222222"]},
    }
    for name, policy in policies.items():
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        attributes = {"RawMessageDelivery": "true"}
        if policy:
            attributes |= {
                "FilterPolicy": json.dumps(policy),
                "FilterPolicyScope": "MessageAttributes",
            }
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn["Attributes"]["QueueArn"],
            Attributes=attributes,
        )
        queues[name] = url
    digests = {
        "failed_in_1": [entry("i-1", document_name="D1"), entry("i-2", "Success")],
        "ok_in_2": [entry("i-3", "Success", account="222222222222", document_name="D2")],
        "timed_out_in_1_and_2": [
            entry("i-4", "TimedOut", document_name="D3"),
            entry("i-5", "Success", account="222222222222", document_name="D3"),
        ],
    }
    for digest in digests.values():
        sns.publish(**routing.publish_arguments(topic, email_of(digest), LINKS))

    def received(name: str) -> list[str]:
        messages = sqs.receive_message(QueueUrl=queues[name], MaxNumberOfMessages=10)
        bodies = [m["Body"] for m in messages.get("Messages", [])]
        return sorted(
            next(key for key, d in digests.items() if f"({d[0].document_name})" in body)
            for body in bodies
        )

    assert received("all") == sorted(digests)
    assert received("failures") == ["failed_in_1", "timed_out_in_1_and_2"]
    assert received("account_2") == ["ok_in_2", "timed_out_in_1_and_2"]


def test_a_digest_chat_cannot_render_still_goes_out_with_a_valid_fallback(monkeypatch) -> None:
    email = email_of([entry("i-1")])

    def broken(*_, **__):
        raise RuntimeError("boom")

    monkeypatch.setattr(chat, "render", broken)
    arguments = routing.publish_arguments("arn:aws:sns:us-east-1:1:t", email, LINKS)
    structure = json.loads(arguments["Message"])
    assert structure["default"] == email.body
    payload = json.loads(structure["https"])
    jsonschema.validate(payload, schema("custom_notification.schema.json"))
    assert "could not be shown in chat (RuntimeError: boom)" in payload["content"]["description"]
    assert payload["content"]["title"] == email.subject


@pytest.mark.parametrize("module", ["chat", "routing"])
def test_importing_chat_or_routing_imports_no_boto3(module: str) -> None:
    handler_root = Path(__file__).resolve().parents[2] / "handler"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys; import ssm_notifier.{module}; "
            "print('boto3' in sys.modules, 'botocore' in sys.modules)",
        ],
        env={**os.environ, "PYTHONPATH": str(handler_root)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["False", "False"]
