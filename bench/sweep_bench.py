"""Sweep benchmark: the real sweep (plan, one check per association, collect) over 200 associations
and 100,000 instances, against fake SSM/EC2 (sweep_world: paged like the real APIs, slow calls and
errors injected, latency charged to a fake clock) and moto's DynamoDB and SQS (the state table and
the work queue, each call charged a latency too).

The harness plays Lambda and the event source mapping: it invokes the sweep's handler with the
scheduled event, then with one work-queue record at a time (batch size 1, as deployed) until the
queue is empty, handing a record back when the handler reports it failed (at most
MAX_RECEIVES receives, then it counts as dead-lettered). Each invocation gets the function's
timeout (templates.config) on the fake clock.

Every figure of the last line is counted from what the sweep published (the digest's text) and
compared with the world's planted truth:
  missed_found   planted (association, instance) pairs the digest names
  false_missed   pairs the digest names that were not planted
  unchecked      associations the digest lists under "Could not check"
  max_invocation_s  the longest invocation on the fake clock (must stay under the timeout)
  targets_per_s  targets the sweep recorded as checked, over the fake seconds of all invocations
A second run 10 minutes later (nothing changed) shows the reminders: no missed instance is named
again, and of the not-checked only the errors are (a schedule not understood is said once).
The memory figure is tracemalloc's peak over the check of the association that targets all
100,000 instances, run against the fakes alone (moto's own allocations stand in for AWS).
Run: python bench/sweep_bench.py (or tox -e sweep-bench).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "handler"), str(ROOT / "bench")]
for name, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
}.items():
    os.environ[name] = value

import boto3  # noqa: E402  (after the path set-up above)
import sweep_world  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402
from ssm_notifier import log, sweep  # noqa: E402
from ssm_notifier.clients import SWEEP_CALL_SECONDS, ClientCache  # noqa: E402
from ssm_notifier.paging import Pager  # noqa: E402
from ssm_notifier.settings import SweepSettings  # noqa: E402
from ssm_notifier.sweep_check import check_association  # noqa: E402
from ssm_notifier.targets import Fleet  # noqa: E402
from sweep_world import DOCUMENT, REGION, Clock, FakeEc2, FakeSsm, World  # noqa: E402

from templates.config import Config  # noqa: E402
from templates.state_store import TABLE_KEYS  # noqa: E402

TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:notifier"
MAX_RECEIVES = 3  # the work queue's maxReceiveCount
AWS_LATENCY = {"dynamodb": 0.01, "sqs": 0.02, "sns": 0.05}
# The first result record of this association fails (throttled table): its message must come back.
FLAKY_RECORD_GROUP = 10
SECTION = re.compile(r"^== .*\(([0-9a-f-]{36})\) ==$")
INSTANCE = re.compile(r"^  (i-[0-9a-f]{17}): ")


class Charged:
    """A client whose every call charges a latency to the fake clock (and may fail once)."""

    def __init__(self, client, service: str, clock: Clock, flaky_sk: str = "") -> None:
        self._client = client
        self._service = service
        self._clock = clock
        self._flaky_sk = flaky_sk
        self.meta = getattr(client, "meta", None)

    def __getattr__(self, name):
        call = getattr(self._client, name)

        def charged(**request):
            self._clock.charge(AWS_LATENCY[self._service])
            if (
                self._flaky_sk
                and name == "put_item"
                and request["Item"]["sk"]["S"] == self._flaky_sk
            ):
                self._flaky_sk = ""
                raise ClientError(
                    {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}},
                    "PutItem",
                )
            return call(**request)

        return charged


class FakeSns:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.published: list[dict] = []
        self.meta = None

    def publish(self, **request):
        self.clock.charge(AWS_LATENCY["sns"])
        assert len(request["Message"].encode()) <= 256 * 1024 and len(request["Subject"]) < 100
        self.published.append(request)
        return {"MessageId": f"sns-{len(self.published)}"}


class Harness:
    def __init__(self, world: World, timeout: int) -> None:
        self.world = world
        self.timeout = timeout
        self.clock = Clock()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="state",
            **TABLE_KEYS,  # the stack's own (templates/state_store.py)
            BillingMode="PAY_PER_REQUEST",
        )
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.queue_url = self.sqs.create_queue(
            QueueName="work", Attributes={"VisibilityTimeout": "0"}
        )["QueueUrl"]
        self.sns = FakeSns(self.clock)
        self.clients = ClientCache(lambda service: None)
        self.clients.set("ssm", FakeSsm(world, self.clock, SWEEP_CALL_SECONDS))
        self.clients.set("ec2", FakeEc2(world, self.clock, SWEEP_CALL_SECONDS))
        flaky = f"result#{sweep_world.association_id(FLAKY_RECORD_GROUP)}"
        self.clients.set("dynamodb", Charged(dynamodb, "dynamodb", self.clock, flaky))
        self.clients.set("sqs", Charged(self.sqs, "sqs", self.clock))
        self.clients.set("sns", self.sns)
        self.settings = SweepSettings(
            topic_arn=TOPIC_ARN,
            documents=(DOCUMENT,),
            work_queue_url=self.queue_url,
            state_table="state",
        )
        self.invocations: list[float] = []
        self.dead_lettered = 0
        self.redelivered = 0
        self.peak_bytes = 0

    def invoke(self, event):
        start = self.clock.seconds
        answer = sweep.handle(
            event,
            self.settings,
            self.clients,
            now=self.clock.now(),
            seconds_left=lambda: self.timeout - (self.clock.seconds - start),
        )
        elapsed = self.clock.seconds - start
        assert elapsed < self.timeout, f"an invocation ran {elapsed:.0f} s, over the timeout"
        self.invocations.append(elapsed)
        return answer

    def sweep(self, at_seconds: float = 0.0) -> list[dict]:
        """One scheduled run, worked off the queue to its digest; the digests it published."""
        published_before = len(self.sns.published)
        # The scheduled time is the run's time (its checks' "now"); the fake clock only measures.
        run_at = (sweep_world.NOW + timedelta(seconds=at_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.invoke({"source": "aws.events", "detail-type": "Scheduled Event", "time": run_at})
        receives: dict[str, int] = {}
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1)
            messages = answer.get("Messages") or []
            if not messages:
                break
            [message] = messages
            record = {
                "messageId": message["MessageId"],
                "body": message["Body"],
                "eventSource": "aws:sqs",
            }
            receives[message["MessageId"]] = receives.get(message["MessageId"], 0) + 1
            failed = self.invoke({"Records": [record]})["batchItemFailures"]
            if not failed:
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            elif receives[message["MessageId"]] >= MAX_RECEIVES:
                self.dead_lettered += 1
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
            else:
                self.redelivered += 1
        return self.sns.published[published_before:]


def named_pairs(digests: list[dict]) -> tuple[set[tuple[str, str]], set[str], int]:
    """(association, instance) pairs named, associations under "Could not check", targets."""
    pairs: set[tuple[str, str]] = set()
    unchecked: set[str] = set()
    targets = 0
    for digest in digests:
        section = ""
        in_problems = False
        for line in digest["Message"].splitlines():
            if match := SECTION.match(line):
                section = match.group(1)
            elif match := INSTANCE.match(line):
                pairs.add((section, match.group(1)))
            elif line.startswith("Could not check:"):
                in_problems = True
            elif (
                in_problems
                and line.startswith("  ")
                and (found := re.search(r"([0-9a-f]{8}-[0-9a-f-]{27})", line))
            ):
                unchecked.add(found.group(1))
            elif in_problems and not line.startswith("  "):
                in_problems = False
            if match := re.match(r"^  Instances: +(\d+) targeted", line):
                targets += int(match.group(1))
    return pairs, unchecked, targets


def main() -> int:
    log.configure("CRITICAL", {})
    timeout = Config().sweep_timeout_seconds
    world = World()
    truth = world.truly_missed()
    with mock_aws():
        harness = Harness(world, timeout)
        digests = harness.sweep()
        if os.environ.get("SWEEP_BENCH_DIGEST"):
            Path(os.environ["SWEEP_BENCH_DIGEST"]).write_text(
                digests[0]["Message"] if digests else ""
            )
        pairs, unchecked, _ = named_pairs(digests)
        recorded_targets = recorded_checked_targets(harness, run_id="2026-05-14T06:00:00.000Z")
        total_seconds = sum(harness.invocations)
        # "Sweep now", 10 minutes after the scheduled run: the same windows, nothing changed.
        first_run_invocations = len(harness.invocations)
        day2 = harness.sweep(at_seconds=600.0)
        if os.environ.get("SWEEP_BENCH_DIGEST"):
            Path(os.environ["SWEEP_BENCH_DIGEST"] + ".2").write_text(
                day2[0]["Message"] if day2 else ""
            )
        pairs2, unchecked2, _ = named_pairs(day2)
    found = len(pairs & truth)
    false_missed = len(pairs - truth)
    print(
        f"world: instances={sweep_world.INSTANCES} associations={len(world.associations)} "
        f"planted_pairs={len(truth)} planted_instances={len(world.planted)} "
        f"expected_unchecked={sweep_world.EXPECTED_UNCHECKED}"
    )
    print(
        f"queue: invocations={len(harness.invocations)} redelivered={harness.redelivered} "
        f"dead_lettered={harness.dead_lettered} digests_day1={len(digests)} timeout_s={timeout}"
    )
    print(
        f"memory: peak_mib={check_peak_mib(world):.1f} (tracemalloc: the check of the "
        f"{sweep_world.INSTANCES:,}-target association against the fakes)"
    )
    print(
        f"reminders (a second run 10 min later, nothing changed): "
        f"missed_named_again={len(pairs2)} "
        f"unchecked={len(unchecked2)} digests={len(day2)}"
    )
    print(
        f"sweep: associations={len(world.associations)} targets={recorded_targets} "
        f"missed_found={found} false_missed={false_missed} unchecked={len(unchecked)} "
        f"max_invocation_s={max(harness.invocations[:first_run_invocations]):.0f} "
        f"targets_per_s={recorded_targets / total_seconds:.0f}"
    )
    ok = (
        found == len(truth)
        and not false_missed
        and len(unchecked) == sweep_world.EXPECTED_UNCHECKED
        and not pairs2
        # Errors are reported on every run; a schedule not understood only once.
        and len(unchecked2) == sweep_world.EXPECTED_UNCHECKED - 1
    )
    return 0 if ok else 1


def check_peak_mib(world: World) -> float:
    """The traced peak of checking the association that targets every instance (moto's own
    allocations, which stand in for AWS, are not the function's: the check runs without them)."""
    clock = Clock()
    ssm = FakeSsm(world, clock, SWEEP_CALL_SECONDS)
    ec2 = FakeEc2(world, clock, SWEEP_CALL_SECONDS)
    pager = Pager(lambda: math.inf, 0.0)
    settings = SweepSettings(topic_arn=TOPIC_ARN, documents=(DOCUMENT,))
    tracemalloc.start()
    try:
        result = check_association(
            DOCUMENT,
            sweep_world.association_id(0),
            settings,
            ssm=ssm,
            fleet=Fleet(ssm, ec2, pager),
            pager=pager,
            now=sweep_world.NOW,
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.targeted > 99_000 and not result.error
    return peak / 2**20


def recorded_checked_targets(harness: Harness, run_id: str) -> int:
    """Targets of every checked association, as the sweep recorded them in the state table."""
    dynamodb = harness.clients.get("dynamodb")._client
    total = 0
    for page in dynamodb.get_paginator("query").paginate(
        TableName="state",
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"sweep-run#{run_id}"}},
    ):
        for item in page["Items"]:
            if (
                item["pk"]["S"].startswith("sweep-run#")
                and item["sk"]["S"].count("#") == 1
                and item["sk"]["S"].startswith("result#")
            ):
                summary = json.loads(item["data"]["S"])
                if not summary["error"]:
                    total += summary["targeted"]
    return total


if __name__ == "__main__":
    sys.exit(main())
