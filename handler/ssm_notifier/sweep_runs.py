"""A sweep run's records in the state table: what was planned, each unit's result, how many are
done, and whether its digest went out.

Keys (string `pk`/`sk`, TTL `expires_at`: the notifier's table layout, under the sweep's prefixes):
  pk "sweep-runs",          sk <run id>                   started_at, expected, done, published_at,
                                                          and under Scope=organization: grown
                                                          (units the places' listings added),
                                                          listed and answered (string sets of
                                                          "<account>:<region>")
  pk "sweep-run#<run id>",  sk "plan#<unit>"              document   (one per unit of work)
  pk "sweep-run#<run id>",  sk "result#<unit>"            summary JSON, written once (conditional)
  pk "sweep-run#<run id>",  sk "result#<unit>#<n>"        missed instances, a chunk of them
A unit is an association id, or "document:<name>" for a document that could not be listed; under
Scope=organization each is prefixed by its place (sweep_check.unit_key), and each place's listing
is a unit "place:<account>:<region>" of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .missed_memory import write_batch
from .paging import Pager
from .sweep_check import AssociationResult
from .sweep_report import result_from_records, result_records
from .times import parse_time

RUNS_PK = "sweep-runs"
KEEP_FOR = timedelta(days=14)
WRITE_BATCH = 25


class Counted(NamedTuple):
    done: int
    expected: int | None


def run_pk(run_id: str) -> str:
    return f"sweep-run#{run_id}"


class RunStore:
    def __init__(self, dynamodb: Any, table_name: str, pager: Pager) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._pager = pager

    def _call(self, operation: str, **request: Any) -> dict[str, Any]:
        return self._pager.call(
            getattr(self._dynamodb, operation), TableName=self._table, **request
        )

    def start(self, run_id: str, started_at: datetime) -> bool:
        """Record the run; False when it was already fully planned (a retried scheduled event)."""
        answer = self._call(
            "update_item",
            Key=_key(RUNS_PK, run_id),
            UpdateExpression=(
                "SET started_at = if_not_exists(started_at, :at), expires_at = :expires"
            ),
            ExpressionAttributeValues={
                ":at": {"N": str(int(started_at.timestamp()))},
                ":expires": {"N": str(int((started_at + KEEP_FOR).timestamp()))},
            },
            ReturnValues="ALL_NEW",
        )
        return "expected" not in answer.get("Attributes", {})

    def plan(self, run_id: str, units: list[tuple[str, str]], started_at: datetime) -> None:
        """Note `units` ((unit, document) pairs) as planned for the run."""
        expires = {"N": str(int((started_at + KEEP_FOR).timestamp()))}
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        **_key(run_pk(run_id), f"plan#{unit}"),
                        "document": {"S": document},
                        "expires_at": expires,
                    }
                }
            }
            for unit, document in units
        ]
        for start in range(0, len(requests), WRITE_BATCH):
            write_batch(
                self._dynamodb, self._pager, self._table, requests[start : start + WRITE_BATCH]
            )

    def expect(self, run_id: str, count: int) -> Counted:
        answer = self._call(
            "update_item",
            Key=_key(RUNS_PK, run_id),
            UpdateExpression="SET expected = :count",
            ExpressionAttributeValues={":count": {"N": str(count)}},
            ReturnValues="ALL_NEW",
        )
        return _counted(answer.get("Attributes", {}))

    def count_listed(
        self, run_id: str, place: str, *, added: int, done: int, answered: bool
    ) -> Counted | None:
        """A place's list unit (Scope=organization), once: its `added` units join the run's
        count (`grown`), `done` of them (itself, and the documents it could not list) are done,
        and the place ("<account>:<region>") is noted as listed (and, when every document was
        listed, as answered: coverage's "did report"). One conditional update, so a redelivered
        unit counts nothing twice: None then. The sets are string sets on the run's item (about
        25 bytes a place: tens of thousands fit in an item)."""
        values = {
            ":added": {"N": str(added)},
            ":done": {"N": str(done)},
            ":place": {"SS": [place]},
            ":name": {"S": place},
        }
        expression = "ADD grown :added, done :done, listed :place"
        if answered:
            expression += ", answered :place"
        try:
            answer = self._call(
                "update_item",
                Key=_key(RUNS_PK, run_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(expected) AND NOT contains(listed, :name)",
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except Exception as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return _counted(answer.get("Attributes", {}))

    def has_result(self, run_id: str, unit: str) -> bool:
        answer = self._call(
            "get_item",
            Key=_key(run_pk(run_id), f"result#{unit}"),
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        return "Item" in answer

    def record(
        self, run_id: str, unit: str, result: AssociationResult, started_at: datetime
    ) -> bool:
        """Store the unit's result once; False if it was already stored (a redelivered message)."""
        summary, chunks = result_records(result)
        expires = {"N": str(int((started_at + KEEP_FOR).timestamp()))}
        for number, chunk in enumerate(chunks):
            self._call(
                "put_item",
                Item={
                    **_key(run_pk(run_id), f"result#{unit}#{number:05d}"),
                    "data": {"S": chunk},
                    "expires_at": expires,
                },
            )
        try:
            self._call(
                "put_item",
                Item={
                    **_key(run_pk(run_id), f"result#{unit}"),
                    "data": {"S": summary},
                    "expires_at": expires,
                },
                ConditionExpression="attribute_not_exists(sk)",
            )
        except Exception as error:
            if _error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def count_done(self, run_id: str) -> Counted:
        answer = self._call(
            "update_item",
            Key=_key(RUNS_PK, run_id),
            UpdateExpression="ADD done :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        return _counted(answer.get("Attributes", {}))

    def run(self, run_id: str) -> dict[str, Any]:
        return (
            self._call("get_item", Key=_key(RUNS_PK, run_id), ConsistentRead=True).get("Item") or {}
        )

    def mark_published(self, run_id: str, at: datetime) -> None:
        self._call(
            "update_item",
            Key=_key(RUNS_PK, run_id),
            UpdateExpression="SET published_at = :at",
            ExpressionAttributeValues={":at": {"N": str(int(at.timestamp()))}},
        )

    def first_run_at(self) -> datetime | None:
        """When the earliest run still recorded started (runs are kept KEEP_FOR): the sweep has
        been watching since then, so the notifier was deployed by then."""
        answer = self._call(
            "query",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": RUNS_PK}},
            ProjectionExpression="sk",
            Limit=1,
        )
        items = answer.get("Items") or []
        return parse_time(items[0]["sk"]["S"]) if items else None

    def unpublished_before(self, run_id: str) -> list[str]:
        """Runs older than `run_id` whose digest never went out."""
        return [
            item["sk"]["S"]
            for item in self._pager.stream(
                self._dynamodb.query,
                {
                    "TableName": self._table,
                    "KeyConditionExpression": "pk = :pk AND sk < :run",
                    "FilterExpression": "attribute_not_exists(published_at)",
                    "ExpressionAttributeValues": {":pk": {"S": RUNS_PK}, ":run": {"S": run_id}},
                    "ProjectionExpression": "sk",
                },
                lambda page: page.get("Items") or [],
            )
        ]

    def results(self, run_id: str) -> tuple[dict[str, str], list[AssociationResult]]:
        """The run's planned units ({unit: document}) and its results, read in one Query."""
        planned: dict[str, str] = {}
        results: list[AssociationResult] = []
        for unit, summary, chunks in self._grouped(run_id, planned):
            results.append(result_from_records(summary, chunks))
            del unit
        return planned, results

    def _grouped(
        self, run_id: str, planned: dict[str, str]
    ) -> Iterator[tuple[str, str, list[str]]]:
        current: tuple[str, str, list[str]] | None = None
        for item in self._pager.stream(
            self._dynamodb.query,
            {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk",
                "ExpressionAttributeValues": {":pk": {"S": run_pk(run_id)}},
                "ConsistentRead": True,
            },
            lambda page: page.get("Items") or [],
        ):
            sk = item["sk"]["S"]
            if sk.startswith("plan#"):
                planned[sk.removeprefix("plan#")] = item.get("document", {}).get("S", "")
                continue
            unit, _, chunk = sk.removeprefix("result#").partition("#")
            data = item.get("data", {}).get("S", "")
            if not chunk:
                if current is not None:
                    yield current
                current = (unit, data, [])
            elif current is not None and current[0] == unit:
                current[2].append(data)
        if current is not None:
            yield current


def _key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _counted(attributes: dict[str, Any]) -> Counted:
    """Done, and expected: the units planned, plus those the places' list units added."""
    expected = attributes.get("expected")
    grown = int(attributes.get("grown", {}).get("N", "0"))
    return Counted(
        int(attributes.get("done", {}).get("N", "0")),
        int(expected["N"]) + grown if expected else None,
    )


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))
