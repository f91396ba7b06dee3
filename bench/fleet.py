"""Fleet benchmark: one association run over 10,000 instances, through the handler, against moto.

Not a test: it prints figures. Three passes over the same batches (the event source mapping's
batch size and maximum concurrency, read from templates.config):
1. the event source mapping, simulated: `maximum_concurrency` threads take batches from one list
   and call lambda_handler with the real clock and real pacing sleeps; every publish is timed;
2. the core alone, batch after batch, on a clock that skips the pacing sleeps: processing speed;
3. the same under tracemalloc: the peak of traced allocations during a batch.
Enrichment is a fake SSM client answering instantly; the state table, report bucket and queue are
moto's (passes 2 and 3 each start from an empty table, so they do the first-report work again).
Run: python bench/fleet.py
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "handler")]

import boto3  # noqa: E402  (after the path set-up above)
from moto import mock_aws  # noqa: E402
from ssm_notifier import log, notify  # noqa: E402
from ssm_notifier.settings import load_settings  # noqa: E402

from templates.config import Config  # noqa: E402
from templates.state_store import TABLE_KEYS  # noqa: E402

EVENTS = 10_000
FAILED_EVERY = 100  # 1% of the instances fail
DUPLICATE_EVERY = 50  # every 50th record is a redelivery of the one before it
REGION = "us-east-1"
ACCOUNT = "123456789012"
ASSOCIATION_ID = "0d3e5a44-7f1b-4c55-9d7e-2f0c6b1a9e10"
RUN_STARTED = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
CANNED_STDOUT = "Updating amazon-ssm-agent\nFailed to update amazon-ssm-agent to 100000\n"


def fleet_records() -> list[dict]:
    """EVENTS SQS records of one AWS-UpdateSSMAgent run, some of them delivered twice."""
    records: list[dict] = []
    instance = 0
    for n in range(EVENTS):
        if n % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            body = records[-1]["body"]
        else:
            instance += 1
            body = json.dumps(instance_event(instance))
        records.append({"messageId": f"msg-{n:05}", "body": body, "awsRegion": REGION})
    return records


def instance_event(number: int) -> dict:
    instance_id = f"i-{number:017x}"
    status = "Failed" if number % FAILED_EVERY == 0 else "Success"
    run_time = (RUN_STARTED + timedelta(seconds=number % 600)).isoformat().replace("+00:00", "Z")
    return {
        "version": "0",
        "id": f"event-{number}",
        "detail-type": "EC2 State Manager Instance Association State Change",
        "source": "aws.ssm",
        "account": ACCOUNT,
        "time": run_time,
        "region": REGION,
        "resources": [
            f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance_id}",
            f"arn:aws:ssm:{REGION}::document/AWS-UpdateSSMAgent",
        ],
        "detail": {
            "association-id": ASSOCIATION_ID,
            "instance-id": instance_id,
            "document-name": "AWS-UpdateSSMAgent",
            "document-version": "$DEFAULT",
            "last-execution-date": run_time,
            "status": status,
            "detailed-status": status,
            "error-code": "ExecutionError" if status == "Failed" else "",
            "execution-summary": "1 out of 1 plugin processed, "
            + ("1 failed" if status == "Failed" else "1 success"),
            "output-url": "",
        },
    }


class CannedSsm:
    """Answers the enrichment chain instantly with one canned output."""

    def describe_association_executions(self, **kwargs: object) -> dict:
        return {"AssociationExecutions": [{"ExecutionId": "exec-1", "CreatedTime": RUN_STARTED}]}

    def describe_association_execution_targets(self, **kwargs: object) -> dict:
        source = {"OutputSourceId": "command-1", "OutputSourceType": "RunCommand"}
        return {"AssociationExecutionTargets": [{"OutputSource": source}]}

    def list_command_invocations(self, **kwargs: object) -> dict:
        return {"CommandInvocations": [{"CommandPlugins": [{"Name": "aws:updateSsmAgent"}]}]}

    def get_command_invocation(self, **kwargs: object) -> dict:
        return {"StandardOutputContent": CANNED_STDOUT, "StandardErrorContent": "exit status 1"}

    def describe_instance_information(self, Filters: list | None = None, **_: object) -> dict:  # noqa: N803
        """Instance names: each instance asked for is a managed node named after its id."""
        ids = next((f["Values"] for f in Filters or [] if f.get("Key") == "InstanceIds"), [])
        return {
            "InstanceInformationList": [{"InstanceId": i, "ComputerName": f"host-{i}"} for i in ids]
        }


class TimedSns:
    """The moto SNS client, noting when each publish starts (wall clock, shared by threads)."""

    def __init__(self, sns: object) -> None:
        self._sns = sns
        self._lock = threading.Lock()
        self.starts: list[float] = []

    def publish(self, **kwargs: str) -> dict:
        with self._lock:
            self.starts.append(time.monotonic())
        return self._sns.publish(**kwargs)


class SkippingClock:
    """The real clock, moved on by pacing sleeps instead of sleeping: none is spent in them."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.skipped

    def sleep(self, seconds: float) -> None:
        self.skipped += seconds


class LambdaContext:
    def __init__(self, timeout_seconds: int) -> None:
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def simulate_event_source_mapping(batches: list[list[dict]], config: Config) -> list[str]:
    """Pass 1: worker threads take batches from one list; return the ids reported as failed."""
    pending = list(reversed(batches))
    lock = threading.Lock()
    failed: list[str] = []

    def poller() -> None:
        while True:
            with lock:
                if not pending:
                    return
                batch = pending.pop()
            context = LambdaContext(config.timeout_seconds)
            response = notify.lambda_handler({"Records": batch}, context)
            with lock:
                failed.extend(item["itemIdentifier"] for item in response["batchItemFailures"])

    workers = [threading.Thread(target=poller) for _ in range(config.maximum_concurrency)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return failed


def most_in_one_second(starts: list[float]) -> int:
    """The most publishes starting within any window [t, t + 1 s)."""
    ordered = sorted(starts)
    best = 0
    first = 0
    for last, moment in enumerate(ordered):
        while ordered[first] <= moment - 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def drain(sqs: object, queue_url: str) -> int:
    count = 0
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages", []
    ):
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        count += len(messages)
    return count


def create_state_table(dynamodb: object, name: str) -> str:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        **TABLE_KEYS,  # the stack's own (templates/state_store.py)
    )
    return name


def main() -> None:
    config = Config().validate()
    records = fleet_records()
    batches = [records[i : i + config.batch_size] for i in range(0, EVENTS, config.batch_size)]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": REGION,
            "LOG_LEVEL": "ERROR",  # the per-instance "not fetched" warnings would drown the figures
        }
    )
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="notifier")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"]
        )
        # ec2: instance names (moto's EC2 holds no Name tag of these: the fake SSM names them).
        stores = {
            name: boto3.client(name, region_name=REGION) for name in ("dynamodb", "s3", "ec2")
        }
        stores["sqs"] = sqs
        stores["s3"].create_bucket(Bucket="reports")
        os.environ.update(
            {
                "TOPIC_ARN": topic_arn,
                "STATE_TABLE": create_state_table(stores["dynamodb"], "state"),
                "REPORT_BUCKET": "reports",
                "QUEUE_URL": sqs.create_queue(QueueName="notifications")["QueueUrl"],
            }
        )
        settings = load_settings(os.environ)
        timed_sns = TimedSns(sns)
        notify.RUNTIME.clients.set("sns", timed_sns)
        notify.RUNTIME.clients.set("ssm", CannedSsm())
        for name, client in stores.items():
            notify.RUNTIME.clients.set(name, client)
        # Configured once here: the threads would otherwise race to add the log handler.
        log.configure(settings.log_level)

        started = time.monotonic()
        failed = simulate_event_source_mapping(batches, config)
        wall = time.monotonic() - started
        messages = drain(sqs, queue_url)
        max_per_second = most_in_one_second(timed_sns.starts)

        # Pass 2: the core alone, pacing sleeps skipped, on an empty table of its own.
        clients = {"ssm": CannedSsm(), "sns": sns, **stores}
        core = settings._replace(state_table=create_state_table(stores["dynamodb"], "state-2"))
        core_seconds = 0.0
        for batch in batches:
            clock = SkippingClock()
            begun = time.perf_counter()
            notify.process_batch(batch, core, clients=clients, clock=clock, sleep=clock.sleep)
            core_seconds += time.perf_counter() - begun

        # Pass 3: memory, apart from pass 2 because tracing slows everything down.
        traced = settings._replace(state_table=create_state_table(stores["dynamodb"], "state-3"))
        tracemalloc.start()
        peak_bytes = 0
        for batch in batches:
            tracemalloc.reset_peak()
            clock = SkippingClock()
            notify.process_batch(batch, traced, clients=clients, clock=clock, sleep=clock.sleep)
            peak_bytes = max(peak_bytes, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()

    events_per_s = EVENTS / core_seconds
    peak_mib = peak_bytes / 2**20
    print(
        f"batch size {config.batch_size}, maximum concurrency {config.maximum_concurrency}: "
        f"{len(batches)} batches"
    )
    print(f"simulated event source mapping: {wall:.1f} s wall clock, {len(failed)} records failed")
    print(f"messages published: {messages}")
    print(f"most published in any one second: {max_per_second}")
    print(f"handler time per 1,000 events (no pacing sleeps): {core_seconds / EVENTS * 1e6:.1f} ms")
    print(f"events per second in-process: {events_per_s:,.0f}")
    print(f"peak traced memory during a batch: {peak_mib:.1f} MiB")
    print(
        f"fleet: events={EVENTS} messages={messages} max_per_second={max_per_second} "
        f"events_per_s={events_per_s:.0f} peak_mib={peak_mib:.1f}"
    )


if __name__ == "__main__":
    main()
