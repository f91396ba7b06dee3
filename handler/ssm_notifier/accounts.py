"""Clients for an (account, region) of the organization: the function's own, or the spoke's
reader role's.

With Scope=organization an event, or a unit of the sweep, may belong to any member account and
region. The hub's functions read there through the spoke's reader role, whose name is known from
the account and region alone (`<prefix>-<region>`, templates/spoke.py): STS AssumeRole with the
caller's deadline, the credentials cached per (account, region) until shortly before they expire,
one client per (account, region, service) made with the caller's options. In the function's own
account and region nothing is assumed: its own clients are used. (In its own account but another
region the reader role is assumed too: the function's own role is scoped to its region.)

A role that cannot be assumed (not deployed there, denied, STS unreachable) raises
ReaderUnavailableError with a short reason, remembered for FAILURE_MEMORY_SECONDS so that a batch
of that account's events does not ask STS again for each one. boto3 is imported on first use.

HandlerRuntime is what both entry points (notify.py, sweep.py) keep for the sandbox's life: their
client cache and, under Scope=organization, their AccountClients.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from .deadline import OutOfTimeError
from .log import describe_error, fields, get_logger

if TYPE_CHECKING:
    from .clients import ClientCache

SESSION_NAME = "ssm-notifier-hub"
# AssumeRole's shortest session: enough for one invocation, renewed when close to its end.
SESSION_SECONDS = 900
# Credentials this close to their expiry are renewed before use (an SSM call may take a while).
RENEW_BEFORE_SECONDS = 120
FAILURE_MEMORY_SECONDS = 60

logger = get_logger()


class Place(NamedTuple):
    account: str
    region: str

    def __str__(self) -> str:
        return f"{self.account} {self.region}"


class ReaderUnavailableError(Exception):
    """No client for that place; the message is the short reason a digest shows."""


def reader_role_arn(partition: str, place: Place, prefix: str) -> str:
    """The spoke's reader role in `place`, as spoke.reader_role_name names it."""
    return f"arn:{partition}:iam::{place.account}:role/{prefix}-{place.region}"


def home_of(topic_arn: str) -> tuple[Place, str]:
    """The function's own account and region, and the partition, from its topic's ARN (the topic
    is the hub's own, in the function's account and region): no STS call needed."""
    parts = topic_arn.split(":")
    if len(parts) < 6 or not parts[1] or not parts[3] or not parts[4]:
        raise ValueError(f"not an ARN with a partition, region and account: {topic_arn[:200]!r}")
    return Place(parts[4], parts[3]), parts[1]


ClientFactory = Callable[[str, str, dict[str, str]], Any]  # (service, region, credentials)


class AccountClients:
    """Clients per (account, region, service); `own(service)` gives the function's own."""

    def __init__(
        self,
        *,
        home: Place,
        partition: str,
        reader_prefix: str,
        own: Callable[[str], Any],
        sts: Callable[[], Any],
        make_client: ClientFactory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.home = home
        self._partition = partition
        self._prefix = reader_prefix
        self._own = own
        self._sts = sts
        self._make_client = make_client
        self._clock = clock
        self._credentials: dict[Place, tuple[dict[str, str], float]] = {}
        self._failures: dict[Place, tuple[str, float]] = {}
        self._clients: dict[tuple[Place, str], tuple[Any, float]] = {}
        self.assumed = 0  # AssumeRole calls that succeeded (for logs and tests)

    def place(self, account: str, region: str) -> Place:
        """The place of an event or unit; a missing field means the function's own."""
        return Place(account or self.home.account, region or self.home.region)

    def is_home(self, place: Place) -> bool:
        return place == self.home

    def client(self, service: str, account: str, region: str) -> Any:
        """The `service` client for that account and region, or ReaderUnavailableError."""
        place = self.place(account, region)
        if self.is_home(place):
            return self._own(service)
        credentials, expires = self._valid_credentials(place)
        cached = self._clients.get((place, service))
        if cached is not None and cached[1] == expires:
            return cached[0]
        made = self._make_client(service, place.region, credentials)
        self._clients[(place, service)] = (made, expires)
        return made

    def lazy(self, service: str, account: str, region: str) -> Any:
        """The client, made (and the role assumed) only on its first call."""
        return _LazyClient(lambda: self.client(service, account, region))

    def _valid_credentials(self, place: Place) -> tuple[dict[str, str], float]:
        now = self._clock()
        cached = self._credentials.get(place)
        if cached is not None and cached[1] - RENEW_BEFORE_SECONDS > now:
            return cached
        failed = self._failures.get(place)
        if failed is not None and failed[1] > now:
            raise ReaderUnavailableError(failed[0])
        arn = reader_role_arn(self._partition, place, self._prefix)
        try:
            response = self._sts().assume_role(
                RoleArn=arn, RoleSessionName=SESSION_NAME, DurationSeconds=SESSION_SECONDS
            )
            given = response["Credentials"]
            credentials = {
                "aws_access_key_id": given["AccessKeyId"],
                "aws_secret_access_key": given["SecretAccessKey"],
                "aws_session_token": given["SessionToken"],
            }
            expiration = given.get("Expiration")
            expires = expiration.timestamp() if hasattr(expiration, "timestamp") else 0.0
        except Exception as error:  # any failure: this place is unreadable for a while
            reason = f"reader role {arn} not assumed: {describe_error(error)}"
            self._failures[place] = (reason, now + FAILURE_MEMORY_SECONDS)
            logger.warning(
                "reader role not assumed",
                extra=fields(account=place.account, region=place.region, reason=reason),
            )
            raise ReaderUnavailableError(reason) from None
        # An expiry the response does not give (or in the past): good for this session's length.
        if expires <= now:
            expires = now + SESSION_SECONDS
        self._failures.pop(place, None)
        self._credentials[place] = (credentials, expires)
        self.assumed += 1
        return credentials, expires


class _LazyClient:
    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = self._make()
        return getattr(self._client, name)


class AccountNames:
    """Account id -> name, from Organizations DescribeAccount, cached; "" when not allowed.

    Only the management account and an Organizations delegated administrator may ask; elsewhere
    the first AccessDenied stops the asking, and a digest shows the id alone.

    Kept for one sweep run (no `ttl_seconds`: every answer for the object's life), or for the
    notifier's sandbox life (`ttl_seconds`: a name is asked again after it, a failure after
    FAILURE_MEMORY_SECONDS). `before_call` (the caller's deadline) may refuse a call with
    OutOfTimeError: the id is then shown alone, and nothing is remembered.
    """

    def __init__(
        self,
        organizations: Callable[[], Any],
        *,
        ttl_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._organizations = organizations
        self._ttl = ttl_seconds
        self._clock = clock
        self._names: dict[str, tuple[str, float]] = {}
        self._refused = False

    def name(self, account: str, before_call: Callable[[str], None] | None = None) -> str:
        if not account or self._refused:
            return ""
        now = self._clock()
        kept = self._names.get(account)
        if kept is not None and kept[1] > now:
            return kept[0]
        forever = float("inf")
        try:
            if before_call is not None:
                before_call("organizations")
            described = self._organizations().describe_account(AccountId=account)
            name = str(described.get("Account", {}).get("Name") or "")
            expires = forever if self._ttl is None else now + self._ttl
        except OutOfTimeError:
            return ""
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
            if code in ("AccessDeniedException", "AWSOrganizationsNotInUseException"):
                self._refused = True
            logger.info(
                "account name not read",
                extra=fields(account=account, reason=describe_error(error)),
            )
            name = ""
            expires = forever if self._ttl is None else now + FAILURE_MEMORY_SECONDS
        self._names[account] = (name, expires)
        return name


def boto3_client_factory(options: dict[str, dict[str, Any]]) -> ClientFactory:
    """Clients with assumed credentials, made with the caller's per-service options."""

    def make(service: str, region: str, credentials: dict[str, str]) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service, region_name=region, config=Config(**options[service]), **credentials
        )

    return make


def account_clients(
    topic_arn: str,
    reader_prefix: str,
    own: Callable[[str], Any],
    options: dict[str, dict[str, Any]],
) -> AccountClients:
    """AccountClients for a deployed function: home from its topic, STS and the assumed
    clients made with `options` (the caller's: the notifier's quick ones, the sweep's patient
    ones), `own` its own client cache's `get`."""
    home, partition = home_of(topic_arn)
    return AccountClients(
        home=home,
        partition=partition,
        reader_prefix=reader_prefix,
        own=own,
        sts=lambda: own("sts"),
        make_client=boto3_client_factory(options),
    )


class OrganizationSettings(Protocol):
    """The settings (notifier's or sweep's) that say whether and how to read across accounts."""

    across_organization: bool
    topic_arn: str
    reader_role_name_prefix: str


class HandlerRuntime:
    """An entry point's client cache and, under Scope=organization, its clients per account and
    region, both kept for the sandbox's life; tests and the benchmarks replace parts of it."""

    def __init__(self, clients: ClientCache, client_options: dict[str, dict[str, Any]]) -> None:
        self.clients = clients
        self._client_options = client_options  # for the assumed clients, as for its own
        self._accounts: AccountClients | None = None

    def accounts(self, settings: OrganizationSettings) -> AccountClients | None:
        """Scope=organization: clients per account and region, kept (with their credentials)
        for the sandbox's life; None in Scope=account."""
        if not settings.across_organization:
            return None
        if self._accounts is None:
            self._accounts = account_clients(
                settings.topic_arn,
                settings.reader_role_name_prefix,
                self.clients.get,
                self._client_options,
            )
        return self._accounts
