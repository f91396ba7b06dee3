"""Nothing is lost: records the handler reports failed are redelivered, and after the queue's
redrive count they are in the dead-letter queue (where an alarm watches), never dropped.

The queue is a moto queue with the redrive policy the template gives the real one; the loop below
plays the SQS event source mapping: receive a batch, call the handler, delete what it did not
report failed, make the rest visible again.
"""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import ClientError
from moto import mock_aws
from notifier_testkit import REGION, FakeClock
from ssm_notifier.notify import process_batch
from ssm_notifier.settings import Settings

from templates.config import Config
from templates.sample_events import association_event

MAX_RECEIVES = Config().max_receive_count


def as_records(messages: list[dict], queue_arn: str) -> list[dict]:
    """SQS messages in the shape the event source mapping hands to the function."""
    return [
        {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": REGION,
        }
        for message in messages
    ]


def queues(sqs) -> tuple[str, str]:
    """The event queue, with the template's redrive policy, and its dead-letter queue."""
    dead_letters = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
    dead_letters_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="events",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": MAX_RECEIVES}
            )
        },
    )["QueueUrl"]
    return queue, dead_letters


def test_unhandled_records_reach_the_dead_letter_queue_after_the_redrive_count():
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        queue, dead_letters = queues(sqs)
        queue_arn = f"arn:aws:sqs:{REGION}:123456789012:events"
        # A topic that does not exist: every publish fails, as with a deleted topic.
        settings = Settings(topic_arn=f"arn:aws:sns:{REGION}:123456789012:deleted")
        sent = {
            sqs.send_message(QueueUrl=queue, MessageBody=body)["MessageId"]
            for body in ["{not json", json.dumps(association_event("i-0aaa", "Failed"))]
        }

        deliveries = 0
        while messages := sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            deliveries += 1
            clock = FakeClock()
            result = process_batch(
                as_records(messages, queue_arn),
                settings,
                ssm=None,  # no lookups: the Failed event's lookup errors only degrade the digest
                sns=sns,
                clock=clock,
                sleep=clock.sleep,
            )
            failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
            assert failed == {message["MessageId"] for message in messages}
            for message in messages:  # what the event source mapping does with failed items
                sqs.change_message_visibility(
                    QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            assert deliveries <= MAX_RECEIVES, "redelivered past the redrive count"

        assert deliveries == MAX_RECEIVES
        parked = sqs.receive_message(QueueUrl=dead_letters, MaxNumberOfMessages=10)["Messages"]
        assert {message["MessageId"] for message in parked} == sent


class FlakySns:
    """SNS whose first `failures` publishes are throttled, as during a burst; then the real one."""

    def __init__(self, sns, failures: int) -> None:
        self.sns = sns
        self.failures = failures

    def publish(self, **message: str) -> dict:
        if self.failures:
            self.failures -= 1
            raise ClientError({"Error": {"Code": "Throttling"}}, "Publish")
        return self.sns.publish(**message)


def test_a_record_whose_publish_fails_once_then_succeeds_never_reaches_the_dead_letter_queue():
    """The redrive count leaves room for a retry (a count of 1 would dead-letter this record)."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        sns = boto3.client("sns", region_name=REGION)
        topic_arn = sns.create_topic(Name="notifier")["TopicArn"]
        queue, dead_letters = queues(sqs)
        flaky = FlakySns(sns, failures=1)
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(association_event("i-0aaa")))

        outcomes = []
        while messages := sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", []):
            clock = FakeClock()
            result = process_batch(
                as_records(messages, f"arn:aws:sqs:{REGION}:123456789012:events"),
                Settings(topic_arn=topic_arn),
                ssm=None,
                sns=flaky,
                clock=clock,
                sleep=clock.sleep,
            )
            failed = {item["itemIdentifier"] for item in result["batchItemFailures"]}
            outcomes.append(bool(failed))
            for message in messages:
                if message["MessageId"] in failed:
                    sqs.change_message_visibility(
                        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                    )
                else:
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

        assert outcomes == [True, False]  # failed once, published on the next receive
        assert "Messages" not in sqs.receive_message(QueueUrl=dead_letters)
