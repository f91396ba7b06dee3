"""The soak's one contact with the handler: the only file that changes when the handler does.

`HANDLER` is what bench/soak.py drives. It must offer:
- `name`: shown in the output;
- `budgets`: per service, (tries, connect timeout, read timeout) of the clients the handler would
  make, so the soak's fake endpoints spend exactly the time the real botocore client would;
- `invoke(records, aws, clock) -> {"batchItemFailures": [...]}`: one Lambda invocation on the
  soak's fake clock (`clock.now()`, `clock.sleep(s)`, `clock.seconds_left()`), with the soak's
  clients in `aws` (ssm and sns with faults, dynamodb, s3, sqs on moto; names of the table, bucket,
  queue and topic).

Today this is `notify.process_batch` with its own client options (clients.CLIENT_OPTIONS: botocore
`max_attempts` counts retries, so tries = max_attempts + 1). At integration, replace `TodayHandler`
with one that calls the new entry point with `deadline.BUDGETS` and the table, bucket and queue.
"""

from __future__ import annotations

import os
from typing import Any

from ssm_notifier import log, notify
from ssm_notifier.clients import CLIENT_OPTIONS
from ssm_notifier.settings import Settings


def _budget(options: dict[str, Any]) -> tuple[int, float, float]:
    retries = options.get("retries", {})
    tries = retries.get("total_max_attempts") or retries.get("max_attempts", 4) + 1
    return (tries, float(options["connect_timeout"]), float(options["read_timeout"]))


class TodayHandler:
    name = "notify.process_batch (today's handler)"
    budgets = {service: _budget(options) for service, options in CLIENT_OPTIONS.items()}

    def __init__(self) -> None:
        # Every deferral and failure logs a line: thousands of them would bury the figures.
        log.configure("CRITICAL")

    def invoke(self, records: list[dict], aws: Any, clock: Any) -> dict:
        return notify.process_batch(
            records,
            Settings(topic_arn=aws.topic_arn, log_level="CRITICAL"),
            ssm=aws.ssm,
            sns=aws.sns,
            clock=clock.now,
            sleep=clock.sleep,
            seconds_left=clock.seconds_left,
        )


class PipelineHandler:
    """ssm_notifier.pipeline (the issue-13 prototype), deadline.BUDGETS: SOAK_HANDLER=pipeline."""

    name = "pipeline.process (issue 13 prototype)"

    def __init__(self) -> None:
        from ssm_notifier.deadline import BUDGETS

        log.configure("CRITICAL")
        self.budgets = {
            service: (budget.total_max_attempts, budget.connect_timeout, budget.read_timeout)
            for service, budget in BUDGETS.items()
        }

    def invoke(self, records: list[dict], aws: Any, clock: Any) -> dict:
        from ssm_notifier import pipeline
        from ssm_notifier.deadline import Deadline

        resources = pipeline.Resources(
            aws.topic_arn, aws.table_name, aws.bucket, aws.queue_url, "us-east-1"
        )
        clients = {
            "ssm": aws.ssm,
            "sns": aws.sns,
            "dynamodb": aws.dynamodb,
            "s3": aws.s3,
            "sqs": aws.sqs,
        }
        return pipeline.process(
            records,
            resources,
            clients=clients,
            deadline=Deadline(clock.seconds_left),
            clock=clock.now,
            sleep=clock.sleep,
            wall_clock=clock.wall,
        )


HANDLER = PipelineHandler() if os.environ.get("SOAK_HANDLER") == "pipeline" else TodayHandler()
