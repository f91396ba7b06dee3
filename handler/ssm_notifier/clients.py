"""AWS clients, made on first use: importing the handler must not import boto3 (cold start)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# botocore's standard retry mode waits at most this long before a retry.
MAX_BACKOFF_SECONDS = 20


def _options(connect: int, read: int, attempts: int) -> dict[str, Any]:
    """botocore Config options: timeouts in seconds; `attempts` counts retries, not tries."""
    return {
        "connect_timeout": connect,
        "read_timeout": read,
        "retries": {"mode": "standard", "max_attempts": attempts},
    }


def worst_call_seconds(options: dict[str, Any]) -> float:
    """The longest one call with these options can take: every try timing out (connect + read),
    plus the standard mode's backoff before each retry (2 ** n s, at most 20 s)."""
    retries = options["retries"]["max_attempts"]
    tries = retries + 1
    backoff = sum(min(2**retry, MAX_BACKOFF_SECONDS) for retry in range(retries))
    return tries * (options["connect_timeout"] + options["read_timeout"]) + backoff


# Publishing (each function's job): patient, retried hard.
_PATIENT = _options(connect=3, read=10, attempts=5)
# The notifier's enrichment is optional and time-boxed: fail fast.
_QUICK = _options(connect=2, read=5, attempts=3)
# The sweep's reads and records: many small calls, each bounded so that the time check made before
# it (worst_call_seconds: 3 tries x 7 s + 3 s of backoff = 24 s) holds.
_SWEEP = _options(connect=2, read=5, attempts=2)
# s3 reads only the end of a run's output that the API cut short: as optional as the SSM lookups.
# Scope=organization (accounts.py): sts assumes the spokes' reader roles, organizations names
# accounts (the notifier's, optional) and lists them (the sweep's coverage, with cloudformation).
NOTIFIER_CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "ssm": _QUICK,
    "s3": _QUICK,
    "sns": _PATIENT,
    "sts": _QUICK,
    "organizations": _QUICK,
    "ec2": _QUICK,  # instance names, as optional as the output lookups (instance_names.py)
}
SWEEP_CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "ssm": _SWEEP,
    "ec2": _SWEEP,
    "dynamodb": _SWEEP,
    "sqs": _SWEEP,
    "sns": _PATIENT,
    "sts": _PATIENT,
    "cloudformation": _PATIENT,
    "organizations": _PATIENT,
}
# The worst case of one sweep read or record, and of one publish.
SWEEP_CALL_SECONDS = worst_call_seconds(_SWEEP)
PUBLISH_CALL_SECONDS = worst_call_seconds(_PATIENT)


def make_client(service: str, options: dict[str, dict[str, Any]] = NOTIFIER_CLIENT_OPTIONS) -> Any:
    """A boto3 client with the timeouts and retries `options` gives its service."""
    import boto3
    from botocore.config import Config

    chosen = options[service]
    # Config rewrites the retries dict it is given (max_attempts -> total_max_attempts): a copy.
    return boto3.client(service, config=Config(**{**chosen, "retries": dict(chosen["retries"])}))


class ClientCache:
    """One client per service for the sandbox's life; tests and the bench `set` fakes."""

    def __init__(self, factory: Callable[[str], Any] = make_client) -> None:
        self._factory = factory
        self._clients: dict[str, Any] = {}

    def get(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._factory(service)
        return self._clients[service]

    def set(self, service: str, client: Any) -> None:
        self._clients[service] = client

    def lazy(self, service: str) -> Any:
        """The client, made on its first call: for one an invocation may well not need (making a
        boto3 client costs tens of milliseconds)."""
        return _LazyClient(self, service)


class _LazyClient:
    def __init__(self, cache: ClientCache, service: str) -> None:
        self._cache = cache
        self._service = service

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache.get(self._service), name)
