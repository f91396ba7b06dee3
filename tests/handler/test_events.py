"""events.parse_record: what is accepted, what is rejected and why."""

from __future__ import annotations

import json

import pytest
from notifier_testkit import SAMPLE_BODY
from ssm_notifier.events import InvalidRecordError, message_id_of, parse_record

from templates.sample_events import association_event, sqs_record


def test_documented_sample_is_parsed_field_by_field() -> None:
    event = parse_record(sqs_record(SAMPLE_BODY, "m-1"))

    assert event.association_id == "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3"
    assert event.instance_id == "i-12345678"
    assert event.document_name == "my-documentName"
    assert event.status == "Success"
    assert event.error_code == "testErrorCode"
    assert event.execution_summary == "testExecutionSummary"
    assert event.output_url == "sampleurl"
    assert event.last_execution_date == "2017-02-13T17:22:54.458Z"
    assert (event.region, event.account, event.partition) == ("us-east-1", "123456789012", "aws")
    assert event.raw == json.loads(SAMPLE_BODY)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "body is not JSON"),
        ("[1, 2]", "body is not a JSON object"),
        ('"just a string"', "body is not a JSON object"),
        ('{"hello": "world"}', "not an EventBridge event: no source, detail-type, detail"),
        (json.dumps({**association_event(), "source": "aws.ec2"}), "unexpected source 'aws.ec2'"),
        (
            json.dumps(
                {**association_event(), "detail-type": "EC2 Command Status-change Notification"}
            ),
            "unexpected detail-type 'EC2 Command Status-change Notification'",
        ),
        (json.dumps({**association_event(), "detail": "text"}), "detail is not a JSON object"),
        (
            json.dumps({**association_event(), "detail": {"instance-id": "i-1"}}),
            "no association-id",
        ),
        (
            json.dumps({**association_event(), "detail": {"association-id": "a-1"}}),
            "no instance-id",
        ),
        (
            json.dumps(
                {**association_event(), "detail": {"association-id": "", "instance-id": "i"}}
            ),
            "no association-id",
        ),
    ],
)
def test_unhandleable_bodies_are_rejected_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(InvalidRecordError) as rejected:
        parse_record(sqs_record(body, "m-1"))
    assert reason in rejected.value.reason


def test_a_record_without_body_is_rejected() -> None:
    record = sqs_record(association_event(), "m-1")
    del record["body"]
    with pytest.raises(InvalidRecordError, match="no body"):
        parse_record(record)


def test_missing_empty_null_and_extra_detail_fields_become_empty_text() -> None:
    body = {
        "source": "aws.ssm",
        "detail-type": "EC2 State Manager Instance Association State Change",
        "detail": {
            "association-id": "a-1",
            "instance-id": "i-1",
            "status": None,
            "error-code": "",
            "execution-summary": {"unexpected": "shape"},
            "something-new": [1, 2],
        },
    }
    event = parse_record(sqs_record(body, "m-1"))

    assert (event.status, event.error_code, event.document_name, event.output_url) == (
        "",
        "",
        "",
        "",
    )
    assert event.execution_summary == '{"unexpected":"shape"}'
    # No region in the event: the SQS record's region; no resources: the aws partition.
    assert (event.region, event.account, event.partition) == ("us-east-1", "", "aws")


def test_partition_comes_from_the_resource_arns() -> None:
    body = association_event()
    body["resources"] = ["arn:aws-cn:ssm:cn-north-1::document/AWS-UpdateSSMAgent"]
    assert parse_record(sqs_record(body, "m-1")).partition == "aws-cn"


def test_a_record_without_message_id_is_not_an_sqs_event() -> None:
    with pytest.raises(ValueError, match="no messageId"):
        message_id_of({"body": "{}"})
