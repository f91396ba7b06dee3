"""Lambda entry point: an SQS batch of association events -> at most a few digests (pipeline.py).

Returns the SQS partial batch response: a record that cannot be handled, or whose digest was
refused, is listed so SQS delivers it again (after the redrive count, to the dead-letter queue).
A record there was no time for is sent back to the queue instead (defer.py), never failed.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import log, pipeline
from .accounts import AccountClients, AccountNames, HandlerRuntime
from .clients import NOTIFIER_CLIENT_OPTIONS, ClientCache
from .deadline import Deadline, make_client
from .display_time import display_zone
from .instance_names import NameCache
from .settings import Settings, load_settings

# Every client the pipeline may use; each is made on its first call (a boto3 client costs tens of
# milliseconds, and an invocation with nothing to report never touches S3 or SQS). ec2 and
# organizations name instances and accounts (pipeline: instance_names, accounts.AccountNames).
SERVICES = ("ssm", "sns", "dynamodb", "s3", "sqs", "ec2", "organizations")
# How long an account's name is kept before Organizations is asked again.
ACCOUNT_NAME_TTL_SECONDS = 3600


class Runtime(HandlerRuntime):
    """What lambda_handler takes from outside; tests and the benchmarks replace parts of it."""

    def __init__(
        self,
        clients: ClientCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        # Clients bounded by deadline.BUDGETS, so the longest call is known before it starts.
        super().__init__(
            ClientCache(factory=make_client) if clients is None else clients,
            NOTIFIER_CLIENT_OPTIONS,
        )
        self.clock = clock
        self.sleep = sleep
        self.wall_clock = wall_clock
        # Names kept for the sandbox's life, each for a while (instance_names, AccountNames).
        self.instance_names = NameCache(clock)
        self.account_names = AccountNames(
            lambda: self.clients.get("organizations"),
            ttl_seconds=ACCOUNT_NAME_TTL_SECONDS,
            clock=clock,
        )


RUNTIME = Runtime()


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    settings = load_settings(os.environ)
    log.configure(settings.log_level)
    # A zone the runtime does not know is logged now, once per sandbox; digests then use UTC.
    display_zone(settings.display_time_zone)
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("the event has no Records list: this function takes SQS events only")
    return process_batch(
        records,
        settings,
        clients={service: RUNTIME.clients.lazy(service) for service in SERVICES},
        deadline=Deadline.from_context(context),
        accounts=RUNTIME.accounts(settings),
        clock=RUNTIME.clock,
        sleep=RUNTIME.sleep,
        wall_clock=RUNTIME.wall_clock,
        instance_names=RUNTIME.instance_names,
        account_names=RUNTIME.account_names,
    )


def process_batch(
    records: list[Mapping[str, Any]],
    settings: Settings,
    *,
    clients: Mapping[str, Any],
    deadline: Deadline | None = None,
    accounts: AccountClients | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], float] = time.time,
    instance_names: NameCache | None = None,
    account_names: AccountNames | None = None,
) -> dict[str, list[dict[str, str]]]:
    """One batch through the pipeline with `settings`; `clients` maps service -> client;
    `instance_names` and `account_names` the sandbox's caches (new ones if None)."""
    return pipeline.process(
        records,
        resources(settings),
        clients=clients,
        deadline=deadline or Deadline(lambda: math.inf),
        clock=clock,
        sleep=sleep,
        wall_clock=wall_clock,
        split_by=settings.email_split,
        cap=settings.emails_per_invocation,
        enrich_max_lookups=settings.enrich_max_lookups,
        enrich_budget_seconds=settings.enrich_time_budget_seconds,
        lease_seconds=settings.lease_seconds,
        ttl_days=settings.state_ttl_days,
        accounts=accounts,
        watched_kinds=settings.watched_kinds,
        instance_names=instance_names,
        account_names=account_names,
        display_time_zone=settings.display_time_zone,
    )


def resources(settings: Settings) -> pipeline.Resources:
    """The pipeline's table, bucket, queue and topic; region and partition from the topic's ARN
    (the function's own: the console links in the email point at its report bucket)."""
    _, partition, _, region, *_ = settings.topic_arn.split(":")
    return pipeline.Resources(
        settings.topic_arn,
        settings.state_table,
        settings.report_bucket,
        settings.queue_url,
        region,
        partition,
    )
