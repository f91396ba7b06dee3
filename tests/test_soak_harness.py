"""The soak's fakes spend what botocore would: its try loop, timeouts, and the Lambda timeout."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from soak import FakeClock, LambdaTimeout, Tries


def test_a_hung_call_spends_every_try_then_raises() -> None:
    clock = FakeClock(0.0, 900)
    tries = Tries(clock, (4, 2.0, 5.0), random.Random(1))
    with pytest.raises(ReadTimeoutError):
        tries.run("ssm.X", lambda: "hang", lambda: {})
    # 4 reads of 5 s, and 3 short non-throttling backoffs.
    assert 20.0 <= clock.now() < 20.0 + 3 * 0.2


def test_a_lost_answer_is_done_once_per_try() -> None:
    done = []
    clock = FakeClock(0.0, 900)
    outcomes = iter(["lost", "lost", "ok"])
    answer = Tries(clock, (6, 3.0, 10.0), random.Random(1)).run(
        "sns.Publish", lambda: next(outcomes), lambda: done.append(1) or {"MessageId": "m"}
    )
    assert answer == {"MessageId": "m"} and len(done) == 3  # three copies reached SNS


def test_errors_answered_are_retried_and_the_last_raised() -> None:
    clock = FakeClock(0.0, 900)
    with pytest.raises(ClientError, match="Throttling"):
        Tries(clock, (2, 1.0, 1.0), random.Random(1)).run("sns.Publish", lambda: "throttle", dict)


def test_the_lambda_timeout_kills_the_invocation_where_it_stands() -> None:
    clock = FakeClock(100.0, 60)
    with pytest.raises(LambdaTimeout):
        Tries(clock, (6, 3.0, 10.0), random.Random(1)).run("sns.Publish", lambda: "hang", dict)
    assert clock.now() == 160.0


def test_the_soak_gives_the_notifier_every_client_it_asks_for() -> None:
    """The soak hands the handler one client per notify.SERVICES entry: a service the handler
    starts to use must be added to the soak too (instance names brought ec2)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "handler"))
    from soak import Aws
    from ssm_notifier import notify

    clients = {service: object() for service in notify.SERVICES}
    names = {"topic_arn": "t", "table_name": "n", "bucket": "b", "queue_url": "q"}
    aws = Aws(clients, names, clients["ssm"], clients["sns"])
    assert all(getattr(aws, service) is clients[service] for service in notify.SERVICES)
