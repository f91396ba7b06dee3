"""publish.Pacer: one publish a second per invocation, and a full second after the last one."""

from __future__ import annotations

import itertools

from notifier_testkit import FakeClock
from ssm_notifier.publish import Pacer, publish_digest


class RecordingSns:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.started: list[float] = []

    def publish(self, **kwargs: str) -> dict:
        self.started.append(self.clock.now)
        self.clock.now += 0.2  # the call itself takes time
        return {"MessageId": f"sns-{len(self.started)}"}


def test_publishes_start_at_least_a_second_apart_and_the_end_waits_a_second() -> None:
    clock = FakeClock()
    sns = RecordingSns(clock)
    pacer = Pacer(clock, clock.sleep)

    ids = [publish_digest(sns, "arn", "s", "m", pacer) for _ in range(3)]
    pacer.wait_until_free()

    assert ids == ["sns-1", "sns-2", "sns-3"]
    assert [b - a for a, b in itertools.pairwise(sns.started)] == [1.0, 1.0]
    assert clock.now == sns.started[-1] + 1.0


def test_no_wait_before_the_first_publish_nor_when_time_has_passed() -> None:
    clock = FakeClock()
    sns = RecordingSns(clock)
    pacer = Pacer(clock, clock.sleep)

    publish_digest(sns, "arn", "s", "m", pacer)
    clock.now += 5  # slow formatting, enrichment...
    publish_digest(sns, "arn", "s", "m", pacer)

    assert clock.sleeps == []


def test_an_invocation_that_publishes_nothing_does_not_wait() -> None:
    clock = FakeClock()
    Pacer(clock, clock.sleep).wait_until_free()
    assert clock.sleeps == []
