"""sweep_runs and sweep_report: a run's records in moto's DynamoDB, and results as records."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from conftest import create_state_table
from moto import mock_aws
from ssm_notifier.paging import Pager
from ssm_notifier.sweep_check import AssociationResult
from ssm_notifier.sweep_report import (
    INSTANCES_PER_CHUNK,
    STORED_NAME_CHARS,
    result_from_records,
    result_records,
)
from ssm_notifier.sweep_runs import RunStore
from ssm_notifier.targets import InstanceState
from sweep_testkit import TABLE

RUN = "2026-05-04T06:00:00.000Z"
AT = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
A = "11111111-1111-4111-8111-111111111111"
B = "22222222-2222-4222-8222-222222222222"


@pytest.fixture
def store():
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        create_state_table(dynamodb)
        yield RunStore(dynamodb, TABLE, Pager(lambda: 1000.0, 0.0))


def result(association_id: str, missed: int = 0) -> AssociationResult:
    found = AssociationResult("AWS-UpdateSSMAgent", association_id)
    found.name, found.schedule, found.window = "agent", "rate(1 day)", "rate: every 1 day"
    found.targeted, found.ran, found.held_back = missed + 2, 2, 1
    found.notes = ["a note"]
    found.missed = [
        InstanceState(f"i-{n:017x}", "stopped", "", AT if n % 2 else None, None if n % 3 else False)
        for n in range(missed)
    ]
    return found


def test_a_result_survives_its_records_whole_across_chunks() -> None:
    original = result(A, missed=INSTANCES_PER_CHUNK * 2 + 1)

    summary, chunks = result_records(original)
    # A chunk left by an earlier, failed try of the same unit is not counted.
    back = result_from_records(summary, [*chunks, '[["i-0stale", "", "", null, null]]'])

    assert len(chunks) == 3
    assert back.missed == original.missed
    assert (back.name, back.window, back.targeted, back.ran, back.held_back, back.notes) == (
        "agent",
        "rate: every 1 day",
        original.targeted,
        2,
        1,
        ["a note"],
    )


def test_a_run_counts_its_units_and_reads_back_plan_and_results(store) -> None:
    assert store.start(RUN, AT) is True
    store.plan(RUN, [(A, "AWS-UpdateSSMAgent"), (B, "AWS-UpdateSSMAgent")], AT)
    assert store.expect(RUN, 2) == (0, 2)
    assert store.start(RUN, AT) is False  # a retried scheduled event: already planned

    assert store.record(RUN, A, result(A, missed=INSTANCES_PER_CHUNK + 5), AT) is True
    assert store.record(RUN, A, result(A), AT) is False  # a redelivered message
    assert store.count_done(RUN) == (1, 2)
    assert store.has_result(RUN, A) and not store.has_result(RUN, B)

    planned, results = store.results(RUN)
    assert planned == {A: "AWS-UpdateSSMAgent", B: "AWS-UpdateSSMAgent"}
    [only] = results
    assert (only.association_id, len(only.missed)) == (A, INSTANCES_PER_CHUNK + 5)


def test_unpublished_runs_before_a_run_are_found_for_closing(store) -> None:
    for run in ("2026-05-02T06:00:00.000Z", "2026-05-03T06:00:00.000Z", RUN):
        store.start(run, AT)
    store.mark_published("2026-05-02T06:00:00.000Z", AT)

    assert store.unpublished_before(RUN) == ["2026-05-03T06:00:00.000Z"]
    assert "published_at" in store.run("2026-05-02T06:00:00.000Z")


def test_names_survive_the_records_and_older_records_read_without_them() -> None:
    named = AssociationResult("AWS-UpdateSSMAgent", A)
    named.missed = [
        InstanceState("i-0web", "stopped", name="web-1"),
        InstanceState("i-0long", "stopped", name="n" * 300),
    ]
    summary, chunks = result_records(named)
    back = result_from_records(summary, chunks)
    assert [state.name for state in back.missed] == ["web-1", "n" * STORED_NAME_CHARS]
    # A record written before names were kept: five fields.
    old = result_from_records(summary, ['[["i-0old", "stopped", "", null, null]]'])
    assert old.missed == [InstanceState("i-0old", "stopped")]


def test_a_chunk_of_the_longest_names_stays_under_dynamodbs_item_limit() -> None:
    worst = AssociationResult("AWS-UpdateSSMAgent", A)
    # Characters outside the BMP: JSON escapes each as a surrogate pair, 12 bytes.
    worst.missed = [
        InstanceState(
            f"i-{n:017x}", "shutting-down", "ConnectionLost", AT, True, "\U0001f600" * 256
        )
        for n in range(INSTANCES_PER_CHUNK)
    ]
    _, [chunk] = result_records(worst)
    assert len(chunk.encode()) < 400_000
