"""sweep_silence: which runs the notifier should have heard of (a watched status, ended at least
EVENT_LAG ago, after the sweep began watching), and what the check says without a table read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ssm_notifier import sweep_silence

NOW = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)


def target(status: str, ended: datetime) -> dict:
    return {"ResourceId": "i-01", "Status": status, "LastExecutionDate": ended}


def test_a_run_counts_once_settled_with_a_watched_status_after_watching_began() -> None:
    expect = sweep_silence.expected(SINCE, NOW, NOW - timedelta(days=3), ("Success", "Failed"))
    assert expect.start == SINCE
    assert expect.counts(target("Success", NOW - timedelta(hours=2)))
    # Still on its way: the queue's batching window and retries.
    assert not expect.counts(target("Success", NOW - timedelta(minutes=10)))
    assert expect.counts(target("Failed", NOW - sweep_silence.EVENT_LAG))
    assert not expect.counts(target("Skipped", NOW - timedelta(hours=2)))  # not watched
    assert not expect.counts({"ResourceId": "i-01", "Status": "Success"})  # no time: unknown


def test_runs_before_the_sweep_began_watching_do_not_count() -> None:
    began = NOW - timedelta(hours=1)
    expect = sweep_silence.expected(SINCE, NOW, began, ("Success",))
    assert expect.start == began
    assert not expect.counts(target("Success", NOW - timedelta(hours=2)))
    unknown = sweep_silence.expected(SINCE, NOW, None, ("Success",))
    assert not unknown.counts(target("Success", NOW - timedelta(hours=2)))


def test_nothing_ran_and_nothing_was_due_before_it_existed_says_nothing() -> None:
    expect = sweep_silence.expected(SINCE, NOW, NOW - timedelta(days=3), ("Success",))

    class NoTable:
        def heard_since(self, *_):
            raise AssertionError("no read needed")

    # Created after the window began: its first run is not due yet.
    kind, _ = sweep_silence.silence(
        NoTable(),
        "assoc",
        since=SINCE,
        expect=expect,
        ran_watched=0,
        executions=0,
        description={"Date": NOW - timedelta(hours=2)},
    )
    assert kind == ""
    # Executions in the window, none settled with a watched status: nothing to compare.
    kind, _ = sweep_silence.silence(
        NoTable(),
        "assoc",
        since=SINCE,
        expect=expect,
        ran_watched=0,
        executions=2,
        description={"Date": NOW - timedelta(days=30), "LastExecutionDate": NOW},
    )
    assert kind == ""
