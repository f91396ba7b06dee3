"""grouping: one group per association in arrival order, duplicates collapsed, listing order."""

from __future__ import annotations

from notifier_testkit import groups_of

from templates.sample_events import association_event


def test_listing_order_is_failed_timed_out_others_success() -> None:
    statuses = ["Success", "Skipped", "TimedOut", "Failed", "Weird"]
    [group] = groups_of(*(association_event(f"i-{n}", status) for n, status in enumerate(statuses)))

    assert [entry.event.status for entry in group.entries] == [
        "Failed",
        "TimedOut",
        "Skipped",
        "Weird",
        "Success",
    ]


def test_two_associations_make_two_groups_in_arrival_order() -> None:
    groups = groups_of(
        association_event("i-1", association_id="assoc-b", document_name="Doc-B"),
        association_event("i-2", association_id="assoc-a", document_name="Doc-A"),
        association_event("i-3", association_id="assoc-b", document_name="Doc-B"),
    )
    assert [(g.association_id, g.message_ids) for g in groups] == [
        ("assoc-b", ["m-1", "m-3"]),
        ("assoc-a", ["m-2"]),
    ]


def test_duplicates_collapse_into_one_entry_that_keeps_every_message_id() -> None:
    failed = association_event("i-1", "Failed")
    rerun = association_event(
        "i-1", "Failed", **{"last-execution-date": "2026-05-05T00:00:00.000Z"}
    )
    [group] = groups_of(failed, failed, rerun, failed)

    assert [entry.message_ids for entry in group.entries] == [["m-1", "m-2", "m-4"], ["m-3"]]
    assert [entry.needs_output for entry in group.entries] == [True, True]
