"""clients: every AWS call has a deadline and bounded retries; one client per service."""

from __future__ import annotations

import pytest
from ssm_notifier.clients import (
    SWEEP_CALL_SECONDS,
    SWEEP_CLIENT_OPTIONS,
    ClientCache,
    make_client,
    worst_call_seconds,
)

# (connect timeout s, read timeout s, requests in all): the deadlines the functions' timeouts and
# the notifier's time reserves rely on. botocore counts the first request too (3 retries: 4).
# The notifier's own-account clients are deadline.BUDGETS (tests/handler/test_deadline.py);
# these options serve its clients in other accounts and regions (accounts.py).
NOTIFIER = {
    "ssm": (2, 5, 4),
    "s3": (2, 5, 4),
    "sns": (3, 10, 6),
    "sts": (2, 5, 4),  # Scope=organization: the reader roles, optional like enrichment
    "organizations": (2, 5, 4),  # account names, optional
}
SWEEP = {
    "ssm": (2, 5, 3),
    "ec2": (2, 5, 3),
    "dynamodb": (2, 5, 3),
    "sqs": (2, 5, 3),
    "sns": (3, 10, 6),
    "sts": (3, 10, 6),
    "cloudformation": (3, 10, 6),  # coverage: the spokes' stack instances
    "organizations": (3, 10, 6),
}


@pytest.mark.parametrize(
    ("options", "expected"),
    [(SWEEP_CLIENT_OPTIONS, SWEEP)],
    ids=["sweep"],
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


def test_the_worst_case_of_a_call_counts_every_try_and_the_backoffs() -> None:
    """The sweep checks this much time is left before each call: 3 tries x (2 + 5) s + 1 + 2 s."""
    assert SWEEP_CALL_SECONDS == 24
    assert worst_call_seconds(SWEEP_CLIENT_OPTIONS["sns"]) == 6 * 13 + 1 + 2 + 4 + 8 + 16
