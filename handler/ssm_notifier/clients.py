"""AWS clients, made on first use: importing the handler must not import boto3 (cold start)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _options(connect: int, read: int, attempts: int) -> dict[str, Any]:
    """botocore Config options: timeouts in seconds; `attempts` counts retries, not tries."""
    return {
        "connect_timeout": connect,
        "read_timeout": read,
        "retries": {"mode": "standard", "max_attempts": attempts},
    }


# Publishing (each function's job) and the sweep's listings: patient, retried hard.
_PATIENT = _options(connect=3, read=10, attempts=5)
# The notifier's enrichment is optional and time-boxed: fail fast.
_QUICK = _options(connect=2, read=5, attempts=3)
# s3 reads only the end of a run's output that the API cut short: as optional as the SSM lookups.
NOTIFIER_CLIENT_OPTIONS: dict[str, dict[str, Any]] = {"ssm": _QUICK, "s3": _QUICK, "sns": _PATIENT}
SWEEP_CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "ssm": _PATIENT,
    "ec2": _PATIENT,
    "sns": _PATIENT,
}


def make_client(service: str, options: dict[str, dict[str, Any]] = NOTIFIER_CLIENT_OPTIONS) -> Any:
    """A boto3 client with the timeouts and retries `options` gives its service."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(**options[service]))


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
