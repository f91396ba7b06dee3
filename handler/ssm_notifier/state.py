"""The state table (DynamoDB): what was reported per instance, claims on digests, run counters.

One table, string keys `pk` and `sk`, TTL on `expires_at` (every item has one):

  pk = "INSTANCE#<account>#<region>#<association-id>"   sk = "<instance-id>"
      the latest reported run of one instance: status, last_execution, failing_since, the claim
      (digest_id, delivery = claimed | sent | unknown, lease_until) and what it was before
      (previous_status, previous_failing_since) so a claim taken over after a crash classifies
      the same way.
  pk = "RUN#<account>#<region>#<association-id>"        sk = "<run date, YYYY-MM-DD>"
      counters per status of the instances reported so far in that run (`count_<Status>`), and
      `unconfirmed`: report links of digests whose publish had no answer.

The guarantee (claim before publish, confirm after):
- `claim` reads each instance's item (BatchGetItem, consistent) and writes a claim with a
  conditional PutItem on the version it read. An event not newer than what is stored (same
  last-execution-date, or older) is skipped: a redelivered record whose event went out is not
  reported again, and the latest state wins whatever order events arrive in.
- After SNS answers, `confirm(..., "sent")`. A publish that timed out may have gone out: the caller
  confirms it `"unknown"`, so it is never sent again (no duplicate); its names are in its S3 report,
  whose link every later email of that run carries (no silent loss). A publish SNS refused (an
  error answer, or no connection) did not go out: `release` marks the claims released (taken again
  by the retry, not counted twice) and the records are retried.
- Where it stops: an invocation that dies between claim and confirm (out of memory, a crash; not a
  timeout, which `deadline` prevents) leaves a claim that another invocation takes over once
  `lease_until` passes, and publishes again, marked as a possible repeat: at-least-once in that
  window only, never a loss.
Costs: per event one consistent read (1 RRU, 100 keys per BatchGetItem) and two conditional writes
(claim, confirm: 1 WRU each under 1 KB), plus one counter update per run and digest. Conditional
writes cannot go in BatchWriteItem and TransactWriteItems costs 2 WRU per item, so they are one call
per item, made by a few threads (botocore clients are thread-safe).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

FAILED_STATUSES = frozenset({"Failed", "TimedOut"})
SUCCESS_STATUSES = frozenset({"Success"})
# Counted statuses; anything else counts as Other (the counter names are attribute names).
COUNTED_STATUSES = ("Success", "Failed", "TimedOut", "Skipped")
BATCH_GET_MAX = 100
CLAIM_THREADS = 8
CLAIM_RACE_RETRIES = 3


class Observation(NamedTuple):
    """One instance's reported run, as the state table needs it (built from a parsed event)."""

    account: str
    region: str
    association_id: str
    instance_id: str
    status: str
    last_execution: str  # ISO 8601 as the event carries it; compared as text

    @property
    def instance_key(self) -> dict[str, dict[str, str]]:
        pk = f"INSTANCE#{self.account}#{self.region}#{self.association_id}"
        return {"pk": {"S": pk}, "sk": {"S": self.instance_id}}

    @property
    def run_key(self) -> tuple[str, str, str, str]:
        return (self.account, self.region, self.association_id, self.last_execution[:10])

    @property
    def order(self) -> tuple[str, str]:
        """Later runs win; on the same timestamp the status decides, so the winner is stable."""
        return (self.last_execution, self.status)


class Claim(NamedTuple):
    """An observation this invocation may report, and how to show it."""

    observation: Observation
    classification: str  # new | still_failing | recovered | ok | other
    failing_since: str  # when the current failure streak began ("" if not failing)
    possible_repeat: bool  # taken over from a claim that was never confirmed
    digest_id: str
    # The status this instance was already counted under in the same run ("" if none).
    replaced_status: str = ""


class Skipped(NamedTuple):
    observation: Observation
    reason: str  # already_reported | superseded | claimed_elsewhere


class ClaimResult(NamedTuple):
    claimed: list[Claim]
    skipped: list[Skipped]
    # Per run key: counters after this claim, and links of reports whose delivery is unknown.
    run_totals: dict[tuple[str, str, str, str], dict[str, int]]
    unconfirmed_reports: dict[tuple[str, str, str, str], list[str]]


class _RaceLostError(Exception):
    """Another invocation wrote the item between our read and our conditional write."""


def digest_id_of(observations: Iterable[Observation]) -> str:
    """Stable id of a digest: the same events give the same id (and the same report key)."""
    keys = sorted(
        "|".join((o.account, o.region, o.association_id, o.instance_id, *o.order))
        for o in observations
    )
    import hashlib  # here, not at import: a cold start needs no OpenSSL

    return hashlib.sha256("\n".join(keys).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def classify(status: str, previous_status: str, previous_failing_since: str, at: str) -> tuple:
    """(classification, failing_since) of `status` after `previous_status` ("" if none)."""
    if status in FAILED_STATUSES:
        if previous_status in FAILED_STATUSES:
            return "still_failing", previous_failing_since or at
        return "new", at
    if status in SUCCESS_STATUSES:
        return ("recovered" if previous_status in FAILED_STATUSES else "ok"), ""
    return "other", ""


class Store:
    """Reads and writes the state table; every call first passes `before_call` (the deadline)."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = 900,
        ttl_days: int = 90,
        before_call: Callable[[str], None] = lambda what: None,
        threads: int = CLAIM_THREADS,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._clock = clock
        self._lease = lease_seconds
        self._ttl = ttl_days * 86400
        self._before_call = before_call
        self._threads = threads

    # -- claim ---------------------------------------------------------------------------------

    def claim(self, observations: Iterable[Observation], digest_id: str) -> ClaimResult:
        latest: dict[tuple, Observation] = {}
        skipped: list[Skipped] = []
        for observation in observations:
            key = (*observation.run_key[:3], observation.instance_id)
            kept = latest.get(key)
            if kept is None or observation.order > kept.order:
                if kept is not None and kept.order != observation.order:
                    skipped.append(Skipped(kept, "superseded"))
                latest[key] = observation
            elif observation.order != kept.order:
                skipped.append(Skipped(observation, "superseded"))
        stored = self._read_items([o.instance_key for o in latest.values()])
        outcomes = self._map(
            lambda o: self._claim_one(o, stored.get(_key_text(o.instance_key)), digest_id),
            list(latest.values()),
        )
        claimed = [outcome for outcome in outcomes if isinstance(outcome, Claim)]
        skipped.extend(outcome for outcome in outcomes if isinstance(outcome, Skipped))
        fresh = [c for c in claimed if not c.possible_repeat]
        totals, unconfirmed = self._count(fresh, claimed, sign=1)
        return ClaimResult(claimed, skipped, totals, unconfirmed)

    def _claim_one(self, observation: Observation, item: dict | None, digest_id: str) -> object:
        for _ in range(CLAIM_RACE_RETRIES):
            try:
                return self._try_claim(observation, item, digest_id)
            except _RaceLostError:
                item = self._read_items([observation.instance_key]).get(
                    _key_text(observation.instance_key)
                )
        return Skipped(observation, "claimed_elsewhere")

    def _try_claim(self, observation: Observation, item: dict | None, digest_id: str) -> object:
        now = self._clock()
        possible_repeat = False
        replaced_status = ""
        if item is None:
            previous_status, previous_since = "", ""
        else:
            stored_order = (_s(item, "last_execution"), _s(item, "status"))
            if observation.order < stored_order:
                return Skipped(observation, "superseded")
            if observation.order == stored_order:
                delivery = _s(item, "delivery")
                if delivery in ("sent", "unknown"):
                    return Skipped(observation, "already_reported")
                if delivery == "claimed" and float(_n(item, "lease_until")) > now:
                    return Skipped(observation, "claimed_elsewhere")
                # Released (not sent), or a claim never confirmed whose invocation ended: take it
                # over, classified as the first claim was; the latter may have gone out already.
                possible_repeat = delivery == "claimed"
                previous_status = _s(item, "previous_status")
                previous_since = _s(item, "previous_failing_since")
                replaced_status = _s(item, "previous_counted")
            else:
                previous_status = _s(item, "status")
                previous_since = _s(item, "failing_since")
                same_run = _s(item, "last_execution")[:10] == observation.last_execution[:10]
                reported = _s(item, "delivery") in ("sent", "unknown")
                replaced_status = previous_status if same_run and reported else ""
        classification, failing_since = classify(
            observation.status, previous_status, previous_since, observation.last_execution
        )
        version = int(_n(item, "version")) if item else 0
        new_item = {
            **observation.instance_key,
            "status": {"S": observation.status},
            "last_execution": {"S": observation.last_execution},
            "failing_since": {"S": failing_since},
            "previous_status": {"S": previous_status},
            "previous_failing_since": {"S": previous_since},
            "previous_counted": {"S": replaced_status},
            "classification": {"S": classification},
            "delivery": {"S": "claimed"},
            "digest_id": {"S": digest_id},
            "lease_until": {"N": str(int(now + self._lease))},
            "version": {"N": str(version + 1)},
            "expires_at": {"N": str(int(now + self._ttl))},
        }
        if item is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition, values = "version = :version", {":version": {"N": str(version)}}
        try:
            self._call(
                "PutItem",
                self._db.put_item,
                TableName=self._table,
                Item=new_item,
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except Exception as error:
            if _is_condition_failure(error):
                raise _RaceLostError from None
            raise
        return Claim(
            observation, classification, failing_since, possible_repeat, digest_id, replaced_status
        )

    # -- after the publish -----------------------------------------------------------------------

    def confirm(self, claims: list[Claim], delivery: str, report_link: str = "") -> None:
        """Mark claims `sent`, or `unknown` (no answer from SNS: never sent again)."""
        if delivery not in ("sent", "unknown"):
            raise ValueError(f"delivery must be sent or unknown, not {delivery!r}")
        self._map(lambda claim: self._set_delivery(claim, delivery), claims)
        if delivery == "unknown" and report_link:
            for run_key in sorted({claim.observation.run_key for claim in claims}):
                self._call(
                    "UpdateItem",
                    self._db.update_item,
                    TableName=self._table,
                    Key=_run_item_key(run_key),
                    UpdateExpression="ADD unconfirmed :link SET expires_at = :expires",
                    ExpressionAttributeValues={
                        ":link": {"SS": [report_link]},
                        ":expires": {"N": str(int(self._clock() + self._ttl))},
                    },
                )

    def release(self, claims: list[Claim]) -> None:
        """SNS refused the publish (it did not go out): free the claims and take back the counts."""
        self._map(lambda claim: self._set_delivery(claim, "released"), claims)
        self._count([], claims, sign=-1)

    def _set_delivery(self, claim: Claim, delivery: str) -> None:
        # Conditional: a claim taken over after its lease belongs to the other digest now.
        try:
            self._call(
                "UpdateItem",
                self._db.update_item,
                TableName=self._table,
                Key=claim.observation.instance_key,
                UpdateExpression="SET delivery = :delivery",
                ConditionExpression="digest_id = :digest AND delivery = :claimed",
                ExpressionAttributeValues={
                    ":delivery": {"S": delivery},
                    ":digest": {"S": claim.digest_id},
                    ":claimed": {"S": "claimed"},
                },
            )
        except Exception as error:
            if not _is_condition_failure(error):
                raise

    # -- run counters ----------------------------------------------------------------------------

    def _count(
        self, fresh: list[Claim], claimed: list[Claim], sign: int
    ) -> tuple[dict[tuple, dict[str, int]], dict[tuple, list[str]]]:
        additions: dict[tuple, dict[str, int]] = {}
        for claim in fresh if sign > 0 else claimed:
            counts = additions.setdefault(claim.observation.run_key, {})
            status = _counter_name(claim.observation.status)
            counts[status] = counts.get(status, 0) + sign
            if claim.replaced_status:
                replaced = _counter_name(claim.replaced_status)
                counts[replaced] = counts.get(replaced, 0) - sign
        for claim in claimed:
            additions.setdefault(claim.observation.run_key, {})
        totals: dict[tuple, dict[str, int]] = {}
        unconfirmed: dict[tuple, list[str]] = {}
        for run_key, counts in additions.items():
            names = {f"#c{i}": f"count_{status}" for i, status in enumerate(counts)}
            values = {f":c{i}": {"N": str(amount)} for i, amount in enumerate(counts.values())}
            values[":expires"] = {"N": str(int(self._clock() + self._ttl))}
            adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
            answer = self._call(
                "UpdateItem",
                self._db.update_item,
                TableName=self._table,
                Key=_run_item_key(run_key),
                UpdateExpression=(f"ADD {adds} " if adds else "") + "SET expires_at = :expires",
                **({"ExpressionAttributeNames": names} if names else {}),
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
            attributes = answer.get("Attributes", {})
            totals[run_key] = {
                name[len("count_") :]: int(value["N"])
                for name, value in attributes.items()
                if name.startswith("count_")
            }
            unconfirmed[run_key] = sorted(attributes.get("unconfirmed", {}).get("SS", []))
        return totals, unconfirmed

    # -- plumbing --------------------------------------------------------------------------------

    def _read_items(self, keys: list[dict]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        unique = list({_key_text(key): key for key in keys}.values())
        for start in range(0, len(unique), BATCH_GET_MAX):
            pending = {
                self._table: {"Keys": unique[start : start + BATCH_GET_MAX], "ConsistentRead": True}
            }
            while pending:
                answer = self._call("BatchGetItem", self._db.batch_get_item, RequestItems=pending)
                for item in answer.get("Responses", {}).get(self._table, []):
                    found[_key_text(item)] = item
                pending = answer.get("UnprocessedKeys") or {}
        return found

    def _map(self, work: Callable[[Observation], object], items: list[Observation]) -> list:
        if self._threads <= 1 or len(items) <= 1:
            return [work(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor  # not at import: cold start

        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            return list(pool.map(work, items))

    def _call(self, what: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        self._before_call(what)
        return method(**kwargs)


def _run_item_key(run_key: tuple[str, str, str, str]) -> dict[str, dict[str, str]]:
    account, region, association_id, run_date = run_key
    return {"pk": {"S": f"RUN#{account}#{region}#{association_id}"}, "sk": {"S": run_date}}


def _counter_name(status: str) -> str:
    return status if status in COUNTED_STATUSES else "Other"


def _key_text(item: dict) -> str:
    return item["pk"]["S"] + "\n" + item["sk"]["S"]


def _s(item: dict | None, name: str) -> str:
    return (item or {}).get(name, {}).get("S", "")


def _n(item: dict | None, name: str) -> str:
    return (item or {}).get(name, {}).get("N", "0")


def _error_code(error: Exception) -> str:
    return getattr(error, "response", {}).get("Error", {}).get("Code", "")


def _is_condition_failure(error: Exception) -> bool:
    return _error_code(error) == "ConditionalCheckFailedException"


def _is_transaction_condition_failure(error: Exception) -> bool:
    reasons = getattr(error, "response", {}).get("CancellationReasons", [])
    return _error_code(error) == "TransactionCanceledException" and any(
        reason.get("Code") == "ConditionalCheckFailed" for reason in reasons
    )
