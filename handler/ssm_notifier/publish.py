"""Publish digests to SNS, paced: an email endpoint sent over 10 messages a second is suspended.

Each invocation publishes at most one message a second and returns no sooner than 1 s after its
last publish started, so with the event source mapping's MaximumConcurrency of 2 at most two
messages go out in any second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

PUBLISH_INTERVAL_SECONDS = 1.0


class Pacer:
    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        interval: float = PUBLISH_INTERVAL_SECONDS,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._interval = interval
        self._last_start: float | None = None

    def seconds_until_free(self) -> float:
        if self._last_start is None:
            return 0.0
        return max(0.0, self._last_start + self._interval - self._clock())

    def wait_turn(self) -> None:
        """Wait until the next publish may start, and note that it starts now."""
        self.wait_until_free()
        self._last_start = self._clock()

    def wait_until_free(self) -> None:
        # A loop, because a sleep may end a hair early by another clock's reckoning.
        while (delay := self.seconds_until_free()) > 0:
            self._sleep(delay)


def publish_digest(
    sns: Any,
    topic_arn: str,
    subject: str,
    message: str,
    pacer: Pacer,
    attributes: dict[str, dict[str, str]] | None = None,
) -> str:
    """Publish one digest in its turn, with the message attributes filter policies read; return
    the SNS MessageId. Errors propagate to the caller."""
    pacer.wait_turn()
    extra = {"MessageAttributes": attributes} if attributes else {}
    return sns.publish(TopicArn=topic_arn, Subject=subject, Message=message, **extra)["MessageId"]
