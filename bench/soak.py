"""Soak: a burst through the real handler, with redelivery and faults played on a fake clock.

Not a test: it prints figures, counted from what the emulator really holds. moto in process:
- SQS: the queue with the template's redrive (maxReceiveCount and visibility timeout from
  templates.config) to a dead-letter queue; an event source mapping simulated with
  `maximum_concurrency` lanes, each taking up to `batch_size` records, deleting the records the
  handler reports done, and leaving the rest to come back when their visibility timeout runs out
  on the fake clock. An invocation that reaches the Lambda timeout on the fake clock is killed:
  nothing of its batch is deleted.
- SNS: the topic with an SQS subscription, to read every email back. SSM and SNS calls go through
  fakes that play botocore's try loop with the handler's own timeouts and tries (soak_adapter):
  hung associations (every SSM call hangs), slow ones, and SNS tries that hang, fail to connect,
  answer 500 or 400, answer late, or publish but lose the answer (the "succeeds but times out").
- DynamoDB and S3 (the state table and the report bucket) for handlers that use them.
Input: 1,000 associations x 10 instances across 20 accounts and 3 regions (templates/sample_events),
shuffled, 10% delivered twice, some instances with an older event of another status arriving in any
order, and a few records that cannot be formatted (a lone surrogate, a 140 KB field).

Counted: emails (messages on the subscription), max_emails_per_invocation (publishes that reached
SNS in one invocation), duplicates (an instance and status named in two emails), unnamed_failures
(an instance whose latest run failed, named in no email and no S3 report),
dead_lettered_without_failure (a well-formed record in the dead-letter queue), left_on_queue
(records neither done nor dead-lettered when the run ends: delayed re-enqueues included), timeouts
(invocations killed at the Lambda timeout), events_per_s (distinct events / simulated seconds until
the last well-formed record the handler reported done was deleted). Run: python bench/soak.py
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "handler"), str(ROOT / "bench")]

import boto3  # noqa: E402  (after the path set-up above)
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError  # noqa: E402
from moto import mock_aws  # noqa: E402
from soak_adapter import HANDLER  # noqa: E402

from templates.config import Config  # noqa: E402
from templates.sample_events import association_event, sqs_record  # noqa: E402
from templates.state_store import TABLE_KEYS  # noqa: E402

ASSOCIATIONS = int(os.environ.get("SOAK_ASSOCIATIONS", "1000"))
INSTANCES = 10
ACCOUNTS = [f"{100000000000 + n * 7919:012d}" for n in range(20)]
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
HOME_REGION = "us-east-1"
RUN_TIME = "2026-05-04T03:02:10.000Z"
EARLIER_TIME = "2026-05-04T02:01:00.000Z"
DUPLICATE_SHARE = 0.10
SEED = 13
# An instance as emails and reports name it: "i-...: Failed" or, named, "i-... (web-1): Failed".
NAMED = re.compile(r"\b(i-[0-9a-f]{17})(?: \([^)\n]*\))?: ([A-Za-z]+)")
FAILED = ("Failed", "TimedOut")
SSM_HUNG_EVERY, SSM_SLOW_EVERY = 25, 40  # associations whose SSM calls hang / are slow
SNS_HUNG_PUBLISH_SHARE = 0.01  # publishes during which the endpoint hangs on every try
SNS_TRY_FAULTS = (  # per try: (share, kind)
    (0.02, "hang"),
    (0.01, "connect"),
    (0.02, "lost"),
    (0.02, "error500"),
    (0.02, "throttle"),
    (0.05, "slow"),
)
FAST_CALL_SECONDS = 0.05
MAX_INVOCATIONS = 2_000
WALL_START = 1_777_777_777.0


class LambdaTimeout(BaseException):
    """The fake clock reached the function's timeout: the invocation is killed where it stands."""


class FakeClock:
    """One invocation's clock: moves only when a fake call or a sleep spends time."""

    def __init__(self, start: float, timeout: float) -> None:
        self._now = start
        self.deadline = start + timeout

    def now(self) -> float:
        return self._now

    def seconds_left(self) -> float:
        return self.deadline - self._now

    def wall(self) -> float:
        """Epoch seconds on the same fake time line (claim leases, TTLs)."""
        return WALL_START + self._now

    def sleep(self, seconds: float) -> None:
        self.spend(seconds)

    def spend(self, seconds: float) -> None:
        self._now += max(0.0, seconds)
        if self._now >= self.deadline:
            self._now = self.deadline
            raise LambdaTimeout


class Tries:
    """botocore's try loop, played on the fake clock with the handler's own budget."""

    def __init__(self, clock: FakeClock, budget: tuple[int, float, float], rng: random.Random):
        self.clock, self.rng = clock, rng
        self.tries, self.connect, self.read = budget

    def run(self, operation: str, draw: Any, act: Any) -> Any:
        last: Exception | None = None
        for attempt in range(self.tries):
            if attempt:
                throttled = isinstance(last, ClientError) and _code(last) == "Throttling"
                base = 1.0 if throttled else 0.05
                self.clock.spend(self.rng.random() * min(base * 2 ** (attempt - 1), 20))
            kind = draw()
            if kind == "ok":
                self.clock.spend(FAST_CALL_SECONDS)
                return act()
            if kind == "slow":
                self.clock.spend(self.read * 0.6)
                return act()
            if kind == "connect":
                self.clock.spend(self.connect)
                last = ConnectTimeoutError(endpoint_url=f"https://{operation}")
            elif kind in ("hang", "lost"):
                if kind == "lost":
                    act()  # the service did it; the answer never arrives
                self.clock.spend(self.read)
                last = ReadTimeoutError(endpoint_url=f"https://{operation}")
            else:
                self.clock.spend(FAST_CALL_SECONDS)
                status, code = (500, "InternalError") if kind == "error500" else (400, "Throttling")
                last = ClientError(
                    {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                    operation,
                )
        assert last is not None
        raise last


def _code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


class FaultySns:
    """The moto SNS client behind botocore's try loop with faults; counts what reached SNS."""

    def __init__(self, sns: Any, tries: Tries) -> None:
        self._sns, self._tries = sns, tries
        self.delivered = 0

    def publish(self, **kwargs: Any) -> dict:
        def act() -> dict:
            answer = self._sns.publish(**kwargs)
            self.delivered += 1
            return answer

        if self._tries.rng.random() < SNS_HUNG_PUBLISH_SHARE:
            return self._tries.run("sns.Publish", lambda: "hang", act)
        return self._tries.run("sns.Publish", self._draw, act)

    def _draw(self) -> str:
        roll = self._tries.rng.random()
        for share, kind in SNS_TRY_FAULTS:
            if roll < share:
                return kind
            roll -= share
        return "ok"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sns, name)


class FaultySsm:
    """The enrichment chain: hung or slow per association, else one canned failed run."""

    def __init__(self, tries: Tries) -> None:
        self._tries = tries

    def _call(self, operation: str, association_id: str, answer: dict) -> dict:
        number = int(association_id.rsplit("-", 1)[-1], 16) if association_id else 0
        kind = "ok"
        if number % SSM_HUNG_EVERY == 3:
            kind = "hang"
        elif number % SSM_SLOW_EVERY == 11:
            kind = "slow"
        return self._tries.run(operation, lambda: kind, lambda: answer)

    def describe_association_executions(self, AssociationId: str = "", **_: Any) -> dict:  # noqa: N803
        created = {"ExecutionId": "exec-1", "CreatedTime": _when("2026-05-04T03:00:00")}
        return self._call(
            "ssm.DescribeAssociationExecutions", AssociationId, {"AssociationExecutions": [created]}
        )

    def describe_association_execution_targets(self, AssociationId: str = "", **_: Any) -> dict:  # noqa: N803
        source = {"OutputSourceId": "command-1", "OutputSourceType": "RunCommand"}
        return self._call(
            "ssm.DescribeAssociationExecutionTargets",
            AssociationId,
            {"AssociationExecutionTargets": [{"OutputSource": source}]},
        )

    def describe_instance_information(self, Filters: list | None = None, **_: Any) -> dict:  # noqa: N803
        """Each instance asked for is a managed node named after its id (instance_names)."""
        ids = next((f["Values"] for f in Filters or [] if f.get("Key") == "InstanceIds"), [])
        nodes = [{"InstanceId": i, "ComputerName": f"host-{i[-6:]}"} for i in ids]
        return self._tries.run(
            "ssm.DescribeInstanceInformation",
            lambda: "ok",
            lambda: {"InstanceInformationList": nodes},
        )

    def get_command_invocation(self, **_: Any) -> dict:
        return self._tries.run(
            "ssm.GetCommandInvocation",
            lambda: "ok",
            lambda: {
                "StandardOutputContent": "Updating amazon-ssm-agent\n"
                "Failed to update amazon-ssm-agent to 100000\n",
                "StandardErrorContent": "exit status 1",
            },
        )


def _when(text: str) -> Any:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Aws:
    """The clients one invocation gets, and the names of the resources."""

    def __init__(self, clients: dict[str, Any], names: dict[str, str], ssm: Any, sns: Any) -> None:
        self.ssm, self.sns = ssm, sns
        self.dynamodb, self.s3, self.sqs = clients["dynamodb"], clients["s3"], clients["sqs"]
        # Instance names: moto's EC2 holds none of the burst's instances (no Name tags), so each
        # digest asks the fake SSM for computer names; Organizations is only read under
        # Scope=organization, which the soak is not.
        self.ec2, self.organizations = clients["ec2"], clients["organizations"]
        self.topic_arn = names["topic_arn"]
        self.table_name = names["table_name"]
        self.bucket = names["bucket"]
        self.queue_url = names["queue_url"]


# -- the burst -------------------------------------------------------------------------------------


def association_id(number: int) -> str:
    return f"5e1f0000-0000-4000-8000-{number:012x}"


def instance_id(association: int, instance: int) -> str:
    return f"i-{association:08x}{instance:09x}"


def burst(rng: random.Random) -> tuple[list[str], dict[tuple[str, str], str], set[str]]:
    """(bodies, latest status per (association, instance), bodies that cannot be formatted)."""
    bodies: list[str] = []
    latest: dict[tuple[str, str], str] = {}
    for a in range(ASSOCIATIONS):
        account, region = ACCOUNTS[a % len(ACCOUNTS)], REGIONS[a % len(REGIONS)]
        for n in range(INSTANCES):
            failed = (n == 0 and a % 2 == 0) or (n == 1 and a % 7 == 0)
            status = ("TimedOut" if a % 14 == 0 and n == 1 else "Failed") if failed else "Success"
            instance = instance_id(a, n)
            common = {"account": account, "region": region, "association_id": association_id(a)}
            event = association_event(instance, status, time=RUN_TIME, **common)
            bodies.append(json.dumps(event))
            latest[(association_id(a), instance)] = status
            if n == 2 and a % 10 == 0:  # an older run of another status, arriving in any order
                older = "Success" if status in FAILED else "Failed"
                bodies.append(
                    json.dumps(association_event(instance, older, time=EARLIER_TIME, **common))
                )
    bad = set()
    for a in (5, 500):  # records that cannot be formatted, among legitimate neighbours
        common = {
            "account": ACCOUNTS[a % 20],
            "region": REGIONS[a % 3],
            "association_id": association_id(a),
        }
        bad.add(json.dumps(association_event("i-\ud800", "Failed", **common)))
        bad.add(json.dumps(association_event("i-oversize", "x" * 140_000, **common)))
    bodies.extend(sorted(bad))
    bodies.extend(rng.sample(bodies, int(len(bodies) * DUPLICATE_SHARE)))
    rng.shuffle(bodies)
    return bodies, latest, bad


# -- the event source mapping on a fake clock ------------------------------------------------------


def receive(queue_name: str, limit: int) -> list[dict]:
    """Up to `limit` visible messages, as the mapping's poller takes them (moto workaround 3)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[DEFAULT_ACCOUNT_ID][HOME_REGION]
    messages = backend.receive_message(
        queue_name,
        count=limit,
        wait_seconds_timeout=0,
        visibility_timeout=43_200,  # released by the harness when the fake clock says so
        message_attribute_names=["All"],
    )
    return [
        {
            "MessageId": message.id,
            "ReceiptHandle": message.receipt_handle,
            "Body": message.body,
            "Attributes": {"ApproximateReceiveCount": str(message.approximate_receive_count)},
            "MessageAttributes": message.message_attributes,
        }
        for message in messages
    ]


def as_lambda_record(message: dict, queue_arn: str) -> dict:
    record = sqs_record(message["Body"], message["MessageId"], region=HOME_REGION)
    record["receiptHandle"] = message["ReceiptHandle"]
    record["eventSourceARN"] = queue_arn
    record["attributes"] = message.get("Attributes", {})
    record["messageAttributes"] = {
        name: {"stringValue": value.get("StringValue"), "dataType": value.get("DataType")}
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return record


def run(
    config: Config,
    clients: dict[str, Any],
    names: dict[str, str],
    rng: random.Random,
    bad: set[str],
) -> dict:
    sqs, url = clients["sqs"], names["queue_url"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    visibility = 6 * config.timeout_seconds + config.batching_window_seconds
    lanes = [0.0] * config.maximum_concurrency
    hidden: list[tuple[float, str]] = []  # (visible again at, receipt handle)
    figures = Counter()
    per_invocation: list[int] = []
    finished_at = 0.0
    for _ in range(MAX_INVOCATIONS):
        lane = min(range(len(lanes)), key=lanes.__getitem__)
        now = lanes[lane]
        due = [handle for when, handle in hidden if when <= now]
        hidden = [(when, handle) for when, handle in hidden if when > now]
        for handle in due:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
        messages = receive(url.rsplit("/", 1)[-1], config.batch_size)
        if not messages:
            if not hidden:
                break
            lanes[lane] = max(now, min(when for when, _ in hidden))
            continue
        records = [as_lambda_record(message, queue_arn) for message in messages]
        clock = FakeClock(now, config.timeout_seconds)
        sns = FaultySns(clients["sns"], Tries(clock, HANDLER.budgets["sns"], rng))
        ssm = FaultySsm(Tries(clock, HANDLER.budgets["ssm"], rng))
        aws = Aws(clients, names, ssm, sns)
        figures["invocations"] += 1
        try:
            response = HANDLER.invoke(records, aws, clock)
            failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
        except LambdaTimeout:
            figures["timeouts"] += 1
            failed = {record["messageId"] for record in records}
        per_invocation.append(sns.delivered)
        ended = clock.now()
        for record in records:
            if record["messageId"] in failed:
                hidden.append((now + visibility, record["receiptHandle"]))
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
                if record["body"] not in bad:
                    figures["well_formed_done_at"] = max(figures["well_formed_done_at"], ended)
        figures["records_failed"] += len(failed)
        lanes[lane] = ended
        finished_at = max(finished_at, ended)
    figures["simulated_seconds"] = finished_at
    figures["max_emails_per_invocation"] = max(per_invocation, default=0)
    return figures


# -- what the emulator holds -----------------------------------------------------------------------


def drain(sqs: Any, url: str) -> list[str]:
    bodies: list[str] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def report_texts(s3: Any, bucket: str) -> list[str]:
    texts = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            texts.append(body.decode("utf-8", "replace"))
    return texts


def speed_up_moto_sqs() -> None:
    """moto 5.2 workarounds for speed only (the queue's behaviour is unchanged); delete when moto's
    SQS receive is no longer quadratic in the queue's length:
    1. every receive checks each message's retention through get_queue_attributes, which counts all
       the queue's messages again: read the retention period from the queue instead;
    2. every visibility check builds a datetime for "now": use time.time(), the same instant;
    3. (in `receive`) the poller's receive calls moto's SQS backend for a whole batch at once: a
       receive walks the whole queue, so 10 messages a call makes a 2,000-record batch cost 200
       walks. The backend's receive is the one the API calls: receive counts, visibility and the
       redrive to the dead-letter queue are moto's own."""
    from moto.sqs import models

    def retained(backend: Any, queue_name: str, message: Any) -> bool:
        retention = int(backend.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()

    models.SQSBackend.is_message_valid_based_on_retention_period = retained
    models.unix_time = time.time
    models.unix_time_millis = lambda: time.time() * 1000


def main() -> None:
    started = time.perf_counter()
    speed_up_moto_sqs()
    rng = random.Random(SEED)
    config = Config().validate()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "soak",
            "AWS_SECRET_ACCESS_KEY": "soak",
            "AWS_DEFAULT_REGION": HOME_REGION,
        }
    )
    os.environ.pop("AWS_PROFILE", None)
    bodies, latest, bad = burst(rng)
    with mock_aws():
        clients = {
            service: boto3.client(service, region_name=HOME_REGION)
            for service in ("sqs", "sns", "dynamodb", "s3", "ec2", "organizations")
        }
        sqs, sns = clients["sqs"], clients["sns"]
        dead_url = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = {"deadLetterTargetArn": dead_arn, "maxReceiveCount": config.max_receive_count}
        queue_url = sqs.create_queue(
            QueueName="queue",
            Attributes={
                "RedrivePolicy": json.dumps(redrive),
                "VisibilityTimeout": str(
                    6 * config.timeout_seconds + config.batching_window_seconds
                ),
            },
        )["QueueUrl"]
        inbox_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        topic_arn = sns.create_topic(Name="notifier")["TopicArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)
        clients["dynamodb"].create_table(
            TableName="state",
            BillingMode="PAY_PER_REQUEST",
            **TABLE_KEYS,  # the stack's own (templates/state_store.py)
        )
        clients["s3"].create_bucket(Bucket="reports")
        names = {
            "topic_arn": topic_arn,
            "table_name": "state",
            "bucket": "reports",
            "queue_url": queue_url,
        }
        for body in bodies:  # one by one: two 140 KB bodies would overflow a batch's 256 KiB
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)

        figures = run(config, clients, names, rng, bad)
        # Whatever the run ended with still on the queue (delayed re-enqueues included: moto
        # delays on the real clock, which the soak does not wait for) was neither done nor
        # dead-lettered: stranded.
        depth = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        left_on_queue = sum(
            int(depth.get(name, 0))
            for name in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )

        emails = [json.loads(body)["Message"] for body in drain(sqs, inbox_url)]
        dead = drain(sqs, dead_url)
        reports = report_texts(clients["s3"], "reports")

    named_in_emails: Counter = Counter()
    for email in emails:
        for pair in set(NAMED.findall(email)):
            named_in_emails[pair] += 1
    named_anywhere = {instance for instance, _ in named_in_emails}
    for text in reports:
        named_anywhere.update(instance for instance, _ in NAMED.findall(text))
    duplicates = sum(count - 1 for count in named_in_emails.values() if count > 1)
    failed_instances = {instance for (_, instance), status in latest.items() if status in FAILED}
    unnamed = len(failed_instances - named_anywhere)
    dead_legit = sum(1 for body in dead if body not in bad)
    events = len(set(bodies) - bad)
    # Until the last well-formed record left the queue: the unformattable ones cycle to the
    # dead-letter queue for maxReceiveCount visibility timeouts whatever the handler does.
    done_at = figures["well_formed_done_at"]
    events_per_s = events / done_at if done_at else 0
    print(f"handler: {HANDLER.name}")
    print(
        f"burst: {len(bodies)} records ({events} distinct events, {len(bad)} unformattable), "
        f"{ASSOCIATIONS} associations x {INSTANCES} instances, {len(ACCOUNTS)} accounts, "
        f"{len(REGIONS)} regions, {len(failed_instances)} instances whose latest run failed"
    )
    print(
        f"event source mapping: {figures['invocations']} invocations, "
        f"{figures['records_failed']} records handed back, "
        f"{figures['simulated_seconds']:.0f} simulated seconds "
        f"(well-formed records done at {done_at:.0f} s), "
        f"{time.perf_counter() - started:.0f} s wall clock"
    )
    print(
        f"held: {len(emails)} emails, {len(reports)} report objects, {len(dead)} dead letters "
        f"({len(dead) - dead_legit} unformattable), {left_on_queue} records left on the queue"
    )
    print(
        f"soak: events={events} emails={len(emails)} "
        f"max_emails_per_invocation={figures['max_emails_per_invocation']} "
        f"duplicates={duplicates} dead_lettered_without_failure={dead_legit} "
        f"unnamed_failures={unnamed} timeouts={figures['timeouts']} "
        f"events_per_s={events_per_s:.0f} left_on_queue={left_on_queue}"
    )


if __name__ == "__main__":
    main()
