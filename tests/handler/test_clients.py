"""clients: every AWS call has a deadline and bounded retries; one client per service."""

from __future__ import annotations

import pytest
from ssm_notifier.clients import (
    NOTIFIER_CLIENT_OPTIONS,
    SWEEP_CLIENT_OPTIONS,
    ClientCache,
    make_client,
)

# (connect timeout s, read timeout s, requests in all): the deadlines the functions' timeouts and
# the notifier's time reserves rely on. botocore counts the first request too (3 retries: 4).
NOTIFIER = {"ssm": (2, 5, 4), "s3": (2, 5, 4), "sns": (3, 10, 6)}
SWEEP = {"ssm": (3, 10, 6), "ec2": (3, 10, 6), "sns": (3, 10, 6)}


@pytest.mark.parametrize(
    ("options", "expected"),
    [(NOTIFIER_CLIENT_OPTIONS, NOTIFIER), (SWEEP_CLIENT_OPTIONS, SWEEP)],
    ids=["notifier", "sweep"],
)
def test_each_client_has_timeouts_and_bounded_retries(options, expected) -> None:
    made = {}
    for service in expected:
        config = make_client(service, options).meta.config
        made[service] = (
            config.connect_timeout,
            config.read_timeout,
            config.retries["total_max_attempts"],
        )
        assert config.retries["mode"] == "standard"

    assert made == expected
    assert set(options) == set(expected)


def test_a_lazy_client_is_made_on_its_first_call_only() -> None:
    made: list[str] = []

    class Client:
        def head_object(self, **_):
            return "answer"

    clients = ClientCache(factory=lambda service: made.append(service) or Client())
    lazy = clients.lazy("s3")
    assert made == []
    assert lazy.head_object(Bucket="b", Key="k") == "answer"
    assert lazy.head_object(Bucket="b", Key="k") == "answer"
    assert made == ["s3"]


def test_the_cache_makes_one_client_per_service() -> None:
    made: list[str] = []
    cache = ClientCache(lambda service: made.append(service) or f"client-{service}")

    assert [cache.get("ssm"), cache.get("ssm"), cache.get("sns")] == [
        "client-ssm",
        "client-ssm",
        "client-sns",
    ]
    assert made == ["ssm", "sns"]
