"""What the sweep already reported, per association, so a missed instance is not reported every day.

An instance already reported missed is reported again only when something changed (its state, the
association's schedule or targets: the fingerprint) or once the reminder period has passed since
it was last reported. An instance that is no longer missed is forgotten, so its next miss is new.

Kept in the notifier's state table (env STATE_TABLE_NAME; string keys `pk` and `sk`, TTL attribute
`expires_at` in epoch seconds), under a key prefix of the sweep's own:
  pk = "sweep-missed#<unit>" (the association id; under Scope=organization
  "<account>:<region>:<association id>", sweep_check.unit_key),
  sk = "<instance id>" (or "#schedule" for a schedule the sweep could not read, "#targets" for
  targets it cannot resolve, each reported once like an instance)
  fingerprint (S), reported_at (N), expires_at (N: reported_at + reminder period + a day, so a
  forgotten item never outlives the reminder by much).
Memory: one small item per instance currently missed, read with one streamed Query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .paging import Pager

PREFIX = "sweep-missed#"
SCHEDULE_KEY = "#schedule"
TARGETS_KEY = "#targets"
# BatchWriteItem takes at most 25 requests.
WRITE_BATCH = 25
# TTL deletes within days, not on time: items are read with their reported_at, never trusted
# because they still exist.
EXPIRY_MARGIN = timedelta(days=1)


class Remembered(NamedTuple):
    fingerprint: str
    reported_at: float


def fingerprint(*parts: str) -> str:
    """A short digest of what, if changed, makes a missed instance worth reporting again."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


class MissedMemory:
    """Reads and writes one association's remembered reports."""

    def __init__(self, dynamodb: Any, table_name: str, pager: Pager, reminder: timedelta) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._pager = pager
        self._reminder = reminder

    def recall(self, unit: str) -> dict[str, Remembered]:
        """Every key remembered for the association, streamed from one Query."""
        remembered: dict[str, Remembered] = {}
        for item in self._pager.stream(
            self._dynamodb.query,
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": PREFIX + unit}},
                "ProjectionExpression": "sk, fingerprint, reported_at",
            },
            lambda page: page.get("Items") or [],
        ):
            remembered[item["sk"]["S"]] = Remembered(
                item.get("fingerprint", {}).get("S", ""),
                float(item.get("reported_at", {}).get("N", "0")),
            )
        return remembered

    def is_due(self, remembered: Remembered | None, print_: str, now: datetime) -> bool:
        """Worth reporting: never reported, changed since, or reported a reminder period ago.
        Remembered by this same run (`now` is the run's time): a retried check, so reported."""
        return (
            remembered is None
            or remembered.fingerprint != print_
            or remembered.reported_at == int(now.timestamp())
            or now.timestamp() - remembered.reported_at >= self._reminder.total_seconds()
        )

    def update(
        self,
        unit: str,
        reported: Iterable[tuple[str, str]],
        forgotten: Iterable[str],
        now: datetime,
    ) -> None:
        """Remember `reported` ((key, fingerprint) pairs) as reported now; forget `forgotten`."""
        expires = int((now + self._reminder + EXPIRY_MARGIN).timestamp())
        pk = {"S": PREFIX + unit}
        requests: list[dict[str, Any]] = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": pk,
                        "sk": {"S": key},
                        "fingerprint": {"S": print_},
                        "reported_at": {"N": str(int(now.timestamp()))},
                        "expires_at": {"N": str(expires)},
                    }
                }
            }
            for key, print_ in reported
        ]
        requests += [{"DeleteRequest": {"Key": {"pk": pk, "sk": {"S": key}}}} for key in forgotten]
        for start in range(0, len(requests), WRITE_BATCH):
            write_batch(
                self._dynamodb, self._pager, self._table, requests[start : start + WRITE_BATCH]
            )


def write_batch(dynamodb: Any, pager: Pager, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem, resending what DynamoDB hands back unprocessed (each send a timed call)."""
    pending = {table: requests}
    while pending:
        answer = pager.call(dynamodb.batch_write_item, RequestItems=pending)
        pending = {
            name: left for name, left in (answer.get("UnprocessedItems") or {}).items() if left
        }
