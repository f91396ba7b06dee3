"""Lambda entry point of the missed-instance sweep: check, then publish one digest if needed.

SSM sends no event at all for stopped or offline instances: they are simply not run (they run late
when they come back). Run on a schedule, this checks every association of the watched documents
(`sweep_check`) and publishes ONE digest (`sweep_digest`) of the instances that were missed and of
what could not be checked. Nothing missed and nothing that could not be checked: no message, one
log line. A digest that cannot be published raises, so Lambda retries the invocation and then the
failure queue and its alarm take over.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from . import log, sweep_digest
from .clients import SWEEP_CLIENT_OPTIONS, ClientCache, make_client
from .periods import duration_text
from .publish import Pacer, publish_digest
from .settings import SweepSettings, load_sweep_settings
from .sweep_check import sweep
from .times import utc_now

logger = log.get_logger()


class Runtime:
    """What lambda_handler takes from outside; tests replace parts of it."""

    def __init__(
        self, clients: ClientCache | None = None, now: Callable[[], datetime] = utc_now
    ) -> None:
        self.clients = (
            ClientCache(partial(make_client, options=SWEEP_CLIENT_OPTIONS))
            if clients is None
            else clients
        )
        self.now = now


RUNTIME = Runtime()


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    settings = load_sweep_settings(os.environ)
    log.configure(settings.log_level)
    remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
    return run_sweep(
        settings,
        ssm=RUNTIME.clients.get("ssm"),
        ec2=RUNTIME.clients.get("ec2"),
        sns=RUNTIME.clients.get("sns"),
        now=RUNTIME.now(),
        seconds_left=(lambda: remaining_ms() / 1000) if remaining_ms else (lambda: math.inf),
    )


def run_sweep(
    settings: SweepSettings,
    *,
    ssm: Any,
    ec2: Any,
    sns: Any,
    now: datetime,
    seconds_left: Callable[[], float] = lambda: math.inf,
) -> dict[str, Any]:
    """Sweep, and publish a digest if there is anything to say; raise if it cannot be published."""
    logger.info(
        "sweep started",
        extra=log.fields(
            documents=list(settings.documents),
            sweep_period=duration_text(settings.sweep_period),
        ),
    )
    report = sweep(settings, ssm=ssm, ec2=ec2, now=now, seconds_left=seconds_left)
    summary = {
        "associations": sum(1 for result in report.results if result.association_id),
        "missed": report.missed_count,
        "not_checked": len(report.not_checked),
        "targets_not_checked": len(report.unresolved),
        "published": False,
    }
    if not report.worth_sending:
        logger.info("sweep done: nothing missed, no digest published", extra=log.fields(**summary))
        return summary
    try:
        sns_message_id = publish_digest(
            sns,
            settings.topic_arn,
            sweep_digest.subject(report),
            sweep_digest.message(report),
            Pacer(),
        )
    except Exception as error:
        logger.error(
            "publish failed",
            exc_info=not log.is_aws_error(error),
            extra=log.fields(error=log.describe_error(error), **summary),
        )
        raise
    summary["published"] = True
    logger.info("digest published", extra=log.fields(sns_message_id=sns_message_id, **summary))
    return summary
