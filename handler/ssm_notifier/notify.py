"""Lambda entry point: an SQS batch of association events -> one SNS digest per association.

Returns the SQS partial batch response: a record that cannot be parsed, or whose digest was not
published, is listed so SQS delivers it again (after the redrive count, to the dead-letter queue).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from . import log, notify_digest
from .clients import ClientCache
from .enrich import Enricher
from .events import InvalidRecordError, message_id_of, parse_record
from .grouping import Group, group_events
from .publish import Pacer, publish_digest
from .settings import Settings, load_settings

# Time kept back before starting a group: its publish with retries, and the final pacing wait.
# A group that does not fit is handed back to SQS rather than risking the function timeout,
# which would send the whole batch, already-published digests included, again.
PUBLISH_RESERVE_SECONDS = 10.0

logger = log.get_logger()


class Runtime:
    """What lambda_handler takes from outside; tests and the benchmark replace parts of it."""

    def __init__(
        self,
        clients: ClientCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clients = ClientCache() if clients is None else clients
        self.clock = clock
        self.sleep = sleep


RUNTIME = Runtime()


def lambda_handler(event: Mapping[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    settings = load_settings(os.environ)
    log.configure(settings.log_level)
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise ValueError("the event has no Records list: this function takes SQS events only")
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return process_batch(
        records,
        settings,
        ssm=RUNTIME.clients.get("ssm"),
        sns=RUNTIME.clients.get("sns"),
        s3=RUNTIME.clients.lazy("s3"),  # only a long output's end is read from S3
        clock=RUNTIME.clock,
        sleep=RUNTIME.sleep,
        seconds_left=(lambda: remaining_ms() / 1000) if remaining_ms else (lambda: math.inf),
    )


def process_batch(
    records: list[Mapping[str, Any]],
    settings: Settings,
    *,
    ssm: Any,
    sns: Any,
    s3: Any = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> dict[str, list[dict[str, str]]]:
    """Digest and publish a batch; return the ids of the records SQS must deliver again."""
    failed: list[str] = []
    events = []
    for record in records:
        message_id = message_id_of(record)
        try:
            events.append((message_id, parse_record(record)))
        except InvalidRecordError as rejected:
            failed.append(message_id)
            logger.warning(
                "record rejected", extra=log.fields(message_id=message_id, reason=rejected.reason)
            )

    enricher = Enricher(
        ssm, settings.enrich_max_lookups, settings.enrich_time_budget_seconds, clock, s3=s3
    )
    pacer = Pacer(clock, sleep)
    published = 0
    for group in group_events(events):
        needed = pacer.seconds_until_free() + enricher.budget_left() + PUBLISH_RESERVE_SECONDS
        if seconds_left() < needed:
            failed.extend(group.message_ids)
            logger.warning(
                "digest deferred: not enough time left in this invocation",
                extra=log.fields(
                    association_id=group.association_id, message_ids=group.message_ids
                ),
            )
        elif _deliver(group, settings.topic_arn, sns, enricher, pacer):
            published += 1
        else:
            failed.extend(group.message_ids)
    pacer.wait_until_free()

    logger.info(
        "batch done",
        extra=log.fields(records=len(records), failed=len(failed), published=published),
    )
    return {
        "batchItemFailures": [
            {"itemIdentifier": message_id} for message_id in dict.fromkeys(failed)
        ]
    }


def _deliver(group: Group, topic_arn: str, sns: Any, enricher: Enricher, pacer: Pacer) -> bool:
    """Enrich, format and publish one group; False (and an error line) if it did not go out."""
    try:
        for entry in group.entries:
            if entry.needs_output:
                entry.output = enricher.lookup(entry.event)
        sns_message_id = publish_digest(
            sns, topic_arn, notify_digest.subject(group), notify_digest.message(group), pacer
        )
    except Exception as error:  # any failure keeps this group's records on the queue, and only them
        logger.error(
            "publish failed",
            exc_info=not log.is_aws_error(error),
            extra=log.fields(
                association_id=group.association_id,
                message_ids=group.message_ids,
                error=log.describe_error(error),
            ),
        )
        return False
    logger.info(
        "digest published",
        extra=log.fields(
            association_id=group.association_id,
            sns_message_id=sns_message_id,
            instances=len(group.entries),
            records=len(group.message_ids),
        ),
    )
    return True
