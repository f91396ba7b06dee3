"""AWS clients, made on first use: importing the handler must not import boto3 (cold start)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Enrichment is optional and time-boxed: fail fast. Publishing is the job: retry harder.
CLIENT_OPTIONS: dict[str, dict[str, Any]] = {
    "ssm": {
        "connect_timeout": 2,
        "read_timeout": 5,
        "retries": {"mode": "standard", "max_attempts": 3},
    },
    "sns": {
        "connect_timeout": 3,
        "read_timeout": 10,
        "retries": {"mode": "standard", "max_attempts": 5},
    },
}


def make_client(service: str, options: dict[str, dict[str, Any]] = CLIENT_OPTIONS) -> Any:
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
