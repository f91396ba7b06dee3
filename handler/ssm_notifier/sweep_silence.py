"""Whether the notifier heard of an association's due runs: the sweep's silent-association check.

The notifier writes a RUN item for every event it reports (state.py: pk
"RUN#<account>#<region>#<association id>", sk the run's date, YYYY-MM-DD of its
last-execution-date). An association whose schedule says a run was due since `since` is:
- "ran, no event": SSM ran it since then (targets that ended in a watched status at least
  EVENT_LAG ago, after the sweep began watching) but the table holds no RUN item of it since
  `since`'s date: its events were lost on the way (the rule's WatchedDocuments or
  WatchedStatuses, the queue, the notifier);
- "not run": SSM did not run it either (no execution in the window, its LastExecutionDate
  before the window or none) although it existed before the window began, and no event came.
One Query of at most one key (Limit 1) per association, in the association's own unit of work;
its failure is a note ("could not run"), never a lost digest.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from .log import describe_error
from .paging import Pager
from .times import as_utc

# An event reaches the state table within minutes (the queue's batching window, retries): a run
# that ended more recently than this is not expected there yet.
EVENT_LAG = timedelta(minutes=15)
RAN_NO_EVENT = "ran, no event"
NOT_RUN = "not run"


class Expected(NamedTuple):
    """The runs the notifier should have heard of: targets that ended in one of `statuses`
    between `start` and `end`. `start` None: the check cannot run (`reason` says why)."""

    start: datetime | None
    end: datetime
    statuses: tuple[str, ...]
    reason: str = ""

    def counts(self, target: dict[str, Any]) -> bool:
        """Whether an execution target (DescribeAssociationExecutionTargets) should have sent an
        event the notifier reports."""
        when = target.get("LastExecutionDate")
        return (
            self.start is not None
            and target.get("Status") in self.statuses
            and isinstance(when, datetime)
            and self.start <= as_utc(when) <= self.end
        )


def expected(
    since: datetime, now: datetime, watching_since: datetime | None, statuses: tuple[str, ...]
) -> Expected:
    """Runs count from the window's start, or from when the sweep began watching if later (runs
    before the notifier was deployed sent it nothing), until EVENT_LAG before now."""
    if watching_since is None:
        return Expected(None, now, statuses, "no sweep run recorded yet")
    return Expected(max(since, as_utc(watching_since)), now - EVENT_LAG, statuses)


class EventLog:
    """The notifier's RUN items of one account and region."""

    def __init__(self, dynamodb: Any, table: str, pager: Pager, account: str, region: str) -> None:
        self._dynamodb = dynamodb
        self._table = table
        self._pager = pager
        self._account = account
        self._region = region

    def heard_since(self, association_id: str, since: datetime) -> bool:
        """Whether the notifier reported any event of the association on or after `since`'s
        date (whole days: the RUN items' sort key)."""
        answer = self._pager.call(
            self._dynamodb.query,
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk >= :day",
            ExpressionAttributeValues={
                ":pk": {"S": f"RUN#{self._account}#{self._region}#{association_id}"},
                ":day": {"S": as_utc(since).strftime("%Y-%m-%d")},
            },
            ProjectionExpression="sk",
            Limit=1,
        )
        return bool(answer.get("Items"))


def silence(
    events: EventLog | None,
    association_id: str,
    *,
    since: datetime,
    expect: Expected,
    ran_watched: int,
    executions: int | None,
    description: dict[str, Any],
) -> tuple[str, str]:
    """(kind, text) of what the check finds: kind RAN_NO_EVENT, NOT_RUN, "" (nothing to say),
    or "error" (the text says why the check could not run). `executions`: how many executions
    the window holds (None: not read, the association's LastExecutionDate decides)."""
    if events is None:
        return "", ""
    last = description.get("LastExecutionDate")
    last_text = _iso(last) if isinstance(last, datetime) else "never"
    created = description.get("Date")
    existed = isinstance(created, datetime) and as_utc(created) < since
    not_run_since = last is None or (isinstance(last, datetime) and as_utc(last) < since)
    if ran_watched and expect.start is not None:
        kind = RAN_NO_EVENT
        text = (
            f"SSM ran it on {ran_watched} instance(s) since {_iso(expect.start)} with a watched "
            f"status (its last execution {last_text}), but the notifier recorded no event of it "
            f"since {_iso(since)[:10]}"
        )
    elif not executions and existed and not_run_since:
        kind = NOT_RUN
        text = (
            f"due since {_iso(since)}, but SSM did not run it (its last execution: {last_text}) "
            "and no event came"
        )
    elif expect.start is None:
        return "error", f"silent-association check not run: {expect.reason}"
    else:
        return "", ""
    try:
        if events.heard_since(association_id, since):
            return "", ""
    except Exception as error:
        return "error", f"silent-association check could not run: {describe_error(error)}"
    return kind, text


def overview_ran_watched(description: dict[str, Any], expect: Expected) -> int:
    """For an association whose targets the sweep cannot resolve (no execution targets read):
    its latest run's counts by status (AssociationDescription.Overview), when that run ended in
    the expected span."""
    last = description.get("LastExecutionDate")
    if expect.start is None or not isinstance(last, datetime):
        return 0
    if not expect.start <= as_utc(last) <= expect.end:
        return 0
    counts = (description.get("Overview") or {}).get("AssociationStatusAggregatedCount") or {}
    return sum(int(counts.get(status) or 0) for status in expect.statuses)


def _iso(moment: datetime) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
