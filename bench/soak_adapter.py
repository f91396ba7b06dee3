"""The soak's one contact with the handler: the only file that changes when the handler does.

`HANDLER` is what bench/soak.py drives. It must offer:
- `name`: shown in the output;
- `budgets`: per service, (tries, connect timeout, read timeout) of the clients the handler would
  make, so the soak's fake endpoints spend exactly the time the real botocore client would;
- `invoke(records, aws, clock) -> {"batchItemFailures": [...]}`: one Lambda invocation on the
  soak's fake clock (`clock.now()`, `clock.sleep(s)`, `clock.seconds_left()`), with the soak's
  clients in `aws` (ssm and sns with faults, dynamodb, s3, sqs on moto; names of the table, bucket,
  queue and topic).

It is the deployed entry point, `notify.lambda_handler`, with the environment the template gives
the function, a Lambda context whose time left is the fake clock's, and the soak's clients in the
handler's client cache; the clients' budgets are `deadline.BUDGETS`, which the real ones use.

SOAK_REGRESSION plays a deliberate regression, to show the figures catch it (README, "Soak"):
- `email-per-association`: one email per association, uncapped (the old pacing model);
- `checks-between-groups`: no per-call deadline check: a call starts whatever its worst case, and
  the time left is checked only before each stage and each email, against the old handler's fixed
  10 s reserve (it checked only before each group).
Both together (comma-separated) are the old handler's model. These are patches applied here, not
settings of the product.
"""

from __future__ import annotations

import os
from typing import Any

from ssm_notifier import deadline, notify
from ssm_notifier.clients import ClientCache

REGRESSIONS = ("email-per-association", "checks-between-groups")


class FakeContext:
    """The part of the Lambda context the handler reads: the time left, on the fake clock."""

    def __init__(self, clock: Any) -> None:
        self._clock = clock

    def get_remaining_time_in_millis(self) -> int:
        return int(self._clock.seconds_left() * 1000)


class LambdaHandler:
    name = "notify.lambda_handler"
    budgets = {
        service: (budget.total_max_attempts, budget.connect_timeout, budget.read_timeout)
        for service, budget in deadline.BUDGETS.items()
    }

    def __init__(self, regressions: str = "") -> None:
        chosen = [name.strip() for name in regressions.split(",") if name.strip()]
        if set(chosen) - set(REGRESSIONS):
            raise SystemExit(f"SOAK_REGRESSION: comma-separated, of {', '.join(REGRESSIONS)}")
        if chosen:
            self.name += f" with the deliberate regression {', '.join(chosen)}"
        if "email-per-association" in chosen:
            load = notify.load_settings
            notify.load_settings = lambda environ: load(environ)._replace(
                email_split="association", emails_per_invocation=1_000_000
            )
        if "checks-between-groups" in chosen:
            deadline.Deadline.require = lambda self, budget, reserve_seconds=0.0, what="": None
            deadline.Deadline.allows = lambda self, worst, reserve=0.0: self.seconds_left() >= 10.0

    def invoke(self, records: list[dict], aws: Any, clock: Any) -> dict:
        os.environ.update(
            {
                "TOPIC_ARN": aws.topic_arn,
                "STATE_TABLE": aws.table_name,
                "REPORT_BUCKET": aws.bucket,
                "QUEUE_URL": aws.queue_url,
                # Every deferral and failure logs a line: thousands of them would bury the figures.
                "LOG_LEVEL": "CRITICAL",
            }
        )
        clients = ClientCache(factory=_no_other_client)
        for service in notify.SERVICES:
            clients.set(service, getattr(aws, service))
        notify.RUNTIME = notify.Runtime(clients, clock.now, clock.sleep, clock.wall)
        return notify.lambda_handler({"Records": records}, FakeContext(clock))


def _no_other_client(service: str) -> Any:
    raise RuntimeError(f"the soak gives the handler no {service} client")


HANDLER = LambdaHandler(os.environ.get("SOAK_REGRESSION", ""))
