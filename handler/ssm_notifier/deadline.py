"""Deadlines for AWS calls: a call starts only if its worst case fits in the invocation's time left.

Every client gets fixed, small timeouts and a fixed number of tries (`CallBudget`), so the longest a
call can take is known before it starts: tries x (connect + read) + the backoff between tries.
Before each call the caller asks its `Deadline` whether that worst case, plus a reserve for what
must still happen afterwards (recording state, answering SQS), fits in the time left.

Why fixed budgets and a check rather than clients made per invocation with timeouts derived from
the time left: a client costs about 50 ms for the first and 3-5 ms for each further one (botocore
1.x, measured on the build host), and a cached client keeps its connection pool warm across
invocations; the time left at the start of an invocation is nearly always the full timeout, so
derived timeouts would almost always equal the fixed ones anyway. A call that does not fit is not
started, and the work it belonged to is deferred (re-enqueued), which is what derived timeouts would
have had to do too.

botocore facts this rests on (botocore/config.py, botocore/retries/standard.py):
- `retries.max_attempts` counts retries (3 means up to 4 requests); `total_max_attempts` counts
  tries and wins if both are given. We always give `total_max_attempts`.
- standard mode waits `rand(0, 1) * min(base * 2 ** (try - 1), 20)` seconds before a retry, base 1 s
  for throttling errors (0.05 s otherwise), raised to an `x-amz-retry-after` header but to at most
  that + 5 s: the bound below takes the throttling base and adds the 5 s.
- `read_timeout` bounds each socket read, not the whole response: a server that trickles a byte
  just inside every read timeout could stretch one try. AWS endpoints answer whole responses; the
  reserve absorbs small overruns, and the Lambda timeout stays the last line.
This module imports no botocore: `client_config` returns keyword arguments for `botocore.Config`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, NamedTuple

RETRY_BACKOFF_CAP_SECONDS = 20.0
RETRY_AFTER_EXTRA_SECONDS = 5.0
THROTTLING_BASE_SECONDS = 1.0


class OutOfTimeError(Exception):
    """A call was not started: its worst case does not fit in the time left."""


class CallBudget(NamedTuple):
    """One client's timeouts and tries, and so the longest one call through it can take."""

    connect_timeout: float
    read_timeout: float
    total_max_attempts: int

    def backoff_worst_seconds(self) -> float:
        """The longest standard-mode retry waits between `total_max_attempts` tries."""
        return sum(
            min(THROTTLING_BASE_SECONDS * 2 ** (retry - 1), RETRY_BACKOFF_CAP_SECONDS)
            + RETRY_AFTER_EXTRA_SECONDS
            for retry in range(1, self.total_max_attempts)
        )

    def worst_case_seconds(self) -> float:
        per_try = self.connect_timeout + self.read_timeout
        return self.total_max_attempts * per_try + self.backoff_worst_seconds()

    def client_config(self) -> dict[str, Any]:
        """Keyword arguments for `botocore.config.Config` that give exactly this budget."""
        return {
            "connect_timeout": self.connect_timeout,
            "read_timeout": self.read_timeout,
            "retries": {"mode": "standard", "total_max_attempts": self.total_max_attempts},
        }


# Per service. SNS publishes one try only: a publish whose answer timed out may have gone out, and a
# botocore retry would send a second copy (the caller decides, see `inbox.publish_outcome`).
# Worst cases: ssm 2 x (2 + 4) + 6 = 18 s; sns 1 x (2 + 6) = 8 s; dynamodb 2 x (1 + 2) + 6 = 12 s;
# s3 2 x (2 + 5) + 6 = 20 s; sqs 2 x (1 + 3) + 6 = 14 s. The notifier's 120 s timeout fits, in
# the worst case, one call of each stage (claim, report, publish, confirm: 12 + 20 + 8 + 12 s),
# re-enqueueing (14 s) and an SSM lookup (18 s): 84 s (pipeline.START_RESERVE_SECONDS).
BUDGETS: dict[str, CallBudget] = {
    "ssm": CallBudget(connect_timeout=2, read_timeout=4, total_max_attempts=2),
    "sns": CallBudget(connect_timeout=2, read_timeout=6, total_max_attempts=1),
    "dynamodb": CallBudget(connect_timeout=1, read_timeout=2, total_max_attempts=2),
    "s3": CallBudget(connect_timeout=2, read_timeout=5, total_max_attempts=2),
    "sqs": CallBudget(connect_timeout=1, read_timeout=3, total_max_attempts=2),
    # Scope=organization (accounts.py): the spokes' reader roles and account names, as optional
    # as the SSM lookups they serve, and bounded alike.
    "sts": CallBudget(connect_timeout=2, read_timeout=4, total_max_attempts=2),
    "organizations": CallBudget(connect_timeout=2, read_timeout=4, total_max_attempts=2),
    # Instance names (instance_names.py): as optional as the output lookups, bounded alike.
    "ec2": CallBudget(connect_timeout=2, read_timeout=4, total_max_attempts=2),
}


class Deadline:
    """The time left in one invocation, and whether a call may start within it."""

    def __init__(self, seconds_left: Callable[[], float]) -> None:
        self._seconds_left = seconds_left

    @classmethod
    def from_context(cls, context: Any) -> Deadline:
        """From the Lambda context; without one (a local run) there is no limit."""
        remaining_ms = getattr(context, "get_remaining_time_in_millis", None)
        if remaining_ms is None:
            return cls(lambda: math.inf)
        return cls(lambda: remaining_ms() / 1000)

    @classmethod
    def from_clock(
        cls, budget_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> Deadline:
        """`budget_seconds` from now on `clock` (tests, the soak's fake clock)."""
        ends = clock() + budget_seconds
        return cls(lambda: ends - clock())

    def seconds_left(self) -> float:
        return self._seconds_left()

    def allows(self, worst_case_seconds: float, reserve_seconds: float = 0.0) -> bool:
        """True if a call taking up to `worst_case_seconds` still leaves `reserve_seconds`."""
        return self._seconds_left() >= worst_case_seconds + reserve_seconds

    def require(self, budget: CallBudget, reserve_seconds: float = 0.0, what: str = "call") -> None:
        """Raise OutOfTimeError unless a call through a client with `budget` may start now."""
        worst = budget.worst_case_seconds()
        if not self.allows(worst, reserve_seconds):
            raise OutOfTimeError(
                f"{what} not started: worst case {worst:g} s + reserve {reserve_seconds:g} s, "
                f"{max(0.0, self._seconds_left()):.1f} s left"
            )


def make_client(service: str, budgets: dict[str, CallBudget] = BUDGETS, **kwargs: Any) -> Any:
    """A boto3 client bounded by its service's budget (boto3 imported here, not at import)."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**budgets[service].client_config()), **kwargs)
