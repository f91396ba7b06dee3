"""The state table against moto's DynamoDB: idempotency, latest wins, classification, run counts."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from notifier_testkit import REGION
from ssm_notifier.deadline import OutOfTimeError
from ssm_notifier.state import Observation, Store, classify, digest_id_of

from templates.state_store import TABLE_KEYS

TABLE = "notifier-state"
ASSOCIATION = "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def dynamodb() -> Iterator[object]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        client.create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            **TABLE_KEYS,  # the stack's own (templates/state_store.py)
        )
        yield client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(dynamodb: object, clock: Clock) -> Store:
    return Store(dynamodb, TABLE, clock=clock, lease_seconds=900)


def seen(instance: str, status: str, at: str = "2026-05-04T03:02:10.000Z") -> Observation:
    return Observation("123456789012", REGION, ASSOCIATION, instance, status, at)


def report(store: Store, *observations: Observation, delivery: str = "sent"):
    result = store.claim(observations, digest_id_of(observations))
    store.confirm(result.claimed, delivery, report_link="https://example/report")
    return result


def test_classification_rules() -> None:
    assert classify("Failed", "", "", "t1") == ("new", "t1")
    assert classify("Failed", "Success", "", "t2") == ("new", "t2")
    assert classify("TimedOut", "Failed", "t1", "t3") == ("still_failing", "t1")
    assert classify("Success", "Failed", "t1", "t4") == ("recovered", "")
    assert classify("Success", "Success", "", "t5") == ("ok", "")
    assert classify("Skipped", "", "", "t6") == ("other", "")


def test_new_then_still_failing_since_the_first_then_recovered(store: Store) -> None:
    first = report(store, seen("i-1", "Failed", "2026-05-04T03:00:00Z"))
    assert [(c.classification, c.failing_since) for c in first.claimed] == [
        ("new", "2026-05-04T03:00:00Z")
    ]
    again = report(store, seen("i-1", "Failed", "2026-05-05T03:00:00Z"))
    assert [(c.classification, c.failing_since) for c in again.claimed] == [
        ("still_failing", "2026-05-04T03:00:00Z")
    ]
    back = report(store, seen("i-1", "Success", "2026-05-06T03:00:00Z"))
    assert [c.classification for c in back.claimed] == ["recovered"]
    steady = report(store, seen("i-1", "Success", "2026-05-07T03:00:00Z"))
    assert [c.classification for c in steady.claimed] == ["ok"]


def test_a_redelivered_event_that_went_out_is_not_reported_again(store: Store) -> None:
    event = seen("i-1", "Failed")
    report(store, event)
    again = store.claim([event, event], "d2")
    assert again.claimed == []
    assert [s.reason for s in again.skipped] == ["already_reported"]


def test_duplicates_in_one_batch_are_claimed_once(store: Store) -> None:
    event = seen("i-1", "Failed")
    result = store.claim([event, event, event], "d1")
    assert len(result.claimed) == 1
    assert result.skipped == []


def test_the_latest_state_wins_whatever_the_order(store: Store) -> None:
    late_success = seen("i-1", "Success", "2026-05-04T04:00:00Z")
    early_failure = seen("i-1", "Failed", "2026-05-04T03:02:00Z")
    # Both in one batch, the older last.
    together = store.claim([late_success, early_failure], "d1")
    assert [c.observation for c in together.claimed] == [late_success]
    assert [(s.observation, s.reason) for s in together.skipped] == [(early_failure, "superseded")]
    store.confirm(together.claimed, "sent")
    # The older one again, in a later batch.
    later = store.claim([early_failure], "d2")
    assert later.claimed == []
    assert [s.reason for s in later.skipped] == ["superseded"]


def test_an_unconfirmed_claim_is_held_until_its_lease_ends_then_taken_over_as_a_repeat(
    store: Store, clock: Clock
) -> None:
    report(store, seen("i-1", "Failed", "2026-05-04T03:00:00Z"))
    event = seen("i-1", "Failed", "2026-05-05T03:00:00Z")
    first = store.claim([event], "d1")  # the invocation then dies before confirming
    assert first.claimed[0].classification == "still_failing"
    held = store.claim([event], "d2")
    assert [s.reason for s in held.skipped] == ["claimed_elsewhere"]
    clock.now += 901
    taken = store.claim([event], "d3")
    assert [(c.classification, c.failing_since, c.possible_repeat) for c in taken.claimed] == [
        ("still_failing", "2026-05-04T03:00:00Z", True)
    ]
    # Counted once, by the first claim.
    assert taken.run_totals[event.run_key] == {"Failed": 1}


def test_a_released_claim_is_retried_as_new_and_counted_once(store: Store) -> None:
    event = seen("i-1", "Failed")
    first = store.claim([event], "d1")
    assert first.run_totals[event.run_key] == {"Failed": 1}
    store.release(first.claimed)
    retry = store.claim([event], "d1")
    assert [(c.classification, c.possible_repeat) for c in retry.claimed] == [("new", False)]
    assert retry.run_totals[event.run_key] == {"Failed": 1}


def test_a_publish_without_answer_is_never_sent_again_and_its_report_is_carried(
    store: Store,
) -> None:
    event = seen("i-1", "Failed")
    report(store, event, delivery="unknown")
    assert store.claim([event], "d2").claimed == []
    neighbour = store.claim([seen("i-2", "Success")], "d3")
    assert neighbour.unconfirmed_reports[event.run_key] == ["https://example/report"]


def test_run_counters_span_batches_and_move_with_a_changed_status(store: Store) -> None:
    one = report(store, *(seen(f"i-{n}", "Success") for n in range(3)))
    assert one.run_totals[seen("i-0", "Success").run_key] == {"Success": 3}
    two = report(store, seen("i-9", "Failed"))
    assert two.run_totals[seen("i-9", "Failed").run_key] == {"Success": 3, "Failed": 1}
    # i-0 fails later the same day: it moves from Success to Failed, not counted twice.
    three = report(store, seen("i-0", "Failed", "2026-05-04T05:00:00Z"))
    assert three.run_totals[seen("i-0", "Failed").run_key] == {"Success": 2, "Failed": 2}


def test_every_item_carries_a_ttl(store: Store, dynamodb: object) -> None:
    report(store, seen("i-1", "Failed"), seen("i-2", "Success"), delivery="unknown")
    items = dynamodb.scan(TableName=TABLE)["Items"]
    assert {item["pk"]["S"].split("#")[0] for item in items} == {"INSTANCE", "RUN"}
    assert all(int(item["expires_at"]["N"]) > 1_800_000_000 + 80 * 86400 for item in items)


def test_every_call_asks_the_deadline_first(dynamodb: object, clock: Clock) -> None:
    asked: list[str] = []

    def refuse(what: str) -> None:
        asked.append(what)
        raise OutOfTimeError(f"{what} not started")

    store = Store(dynamodb, TABLE, clock=clock, before_call=refuse)
    with pytest.raises(OutOfTimeError):
        store.claim([seen("i-1", "Failed")], "d1")
    assert asked == ["BatchGetItem"]
    assert dynamodb.scan(TableName=TABLE)["Items"] == []


def test_a_concurrent_writer_between_read_and_claim_is_seen(dynamodb: object, clock: Clock) -> None:
    event = seen("i-1", "Failed")
    rival = Store(dynamodb, TABLE, clock=clock)
    first_read = True

    class Racing:
        """The real client, but a rival claims the same event right after our first read."""

        def __getattr__(self, name: str) -> object:
            return getattr(dynamodb, name)

        def batch_get_item(self, **kwargs: object) -> dict:
            nonlocal first_read
            answer = dynamodb.batch_get_item(**kwargs)
            if first_read:
                first_read = False
                rival.claim([event], "rival")
            return answer

    result = Store(Racing(), TABLE, clock=clock, threads=1).claim([event], "ours")
    assert result.claimed == []
    assert [s.reason for s in result.skipped] == ["claimed_elsewhere"]


def test_calls_for_a_thousand_events(dynamodb: object, clock: Clock) -> None:
    calls: dict[str, int] = {}

    def count(what: str) -> None:
        calls[what] = calls.get(what, 0) + 1

    store = Store(dynamodb, TABLE, clock=clock, before_call=count)
    events = [seen(f"i-{n:04}", "Failed" if n % 10 == 0 else "Success") for n in range(1000)]
    result = store.claim(events, digest_id_of(events))
    store.confirm(result.claimed, "sent")
    assert len(result.claimed) == 1000
    assert calls == {"BatchGetItem": 10, "PutItem": 1000, "UpdateItem": 1001}
    assert result.run_totals[events[0].run_key] == {"Success": 900, "Failed": 100}
