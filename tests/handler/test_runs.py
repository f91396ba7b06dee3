"""Run Command invocations and maintenance window task target invocations through the notifier.

AWS's documented sample events (tests/events/runs/) go through `notify.process_batch` with the
kinds watched or not: a Run Command failure is digested under its command, with the failed step's
output read by its command id (the SSM stubs expect exactly those calls); a window target
invocation under its window execution; a kind not watched is dropped, not failed; the command-level
event, which names no instance, is refused.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
from notifier_testkit import failed_ids, log_lines, report_texts, store_clients
from ssm_fixtures import load, stub_ssm
from ssm_notifier import notify
from ssm_notifier.events import InvalidRecordError, parse_record
from ssm_notifier.state import Observation

from templates.sample_events import association_event, sqs_record

RUNS = Path(__file__).resolve().parents[1] / "events" / "runs"


def sample(name: str, **detail) -> dict:
    event = json.loads((RUNS / f"{name}.json").read_text())
    event = copy.deepcopy(event)
    event["detail"].update(detail)
    return event


def powershell_failure() -> tuple[dict, dict, dict]:
    """The documented invocation event, failed, naming the command and instance of the
    PowerShell fixtures (tests/events/ssm/), with those fixtures."""
    listing = load("list_command_invocations_powershell.json")
    invocation = load("get_command_invocation_powershell.json")
    found = listing["CommandInvocations"][0]
    event = sample(
        "command_invocation_status_change",
        status="Failed",
        **{"command-id": found["CommandId"], "instance-id": found["InstanceId"]},
    )
    return event, listing, invocation


def run(records, settings, topic, ssm_client, clock):
    return notify.process_batch(
        records,
        settings,
        clients={"ssm": ssm_client, "sns": topic.sns, **store_clients()},
        clock=clock,
        sleep=clock.sleep,
    )


def test_a_failed_run_command_invocation_is_digested_under_its_command_with_its_output(
    topic, ssm, settings, clock
) -> None:
    client, stubber = ssm
    event, listing, invocation = powershell_failure()
    instance_id = event["detail"]["instance-id"]
    # No association lookups: the event names its command.
    stub_ssm(stubber, listing, invocation, instance_id, "aws:runPowerShellScript")
    # The sample as published (Success on i-9bb89e2b), as another instance of the same command.
    succeeded = sample(
        "command_invocation_status_change", **{"command-id": event["detail"]["command-id"]}
    )

    response = run(
        [sqs_record(event, "m-1"), sqs_record(succeeded, "m-2")],
        settings._replace(watch_run_command=True),
        topic,
        client,
        clock,
    )

    assert failed_ids(response) == []
    [note] = topic.published()
    body = note["Message"]
    command_id = event["detail"]["command-id"]
    assert f"Run Command {command_id} (AWS-RunPowerShellScript): 1 failed, 1 other" in body
    # Counted as what it is: a command, not an association.
    assert note["Subject"].startswith("SSM runs: 1 failed (1 new), 0 recovered")
    assert body.startswith("SSM runs: 1 failed (1 new, 0 still failing)")
    assert "\n1 Run Command command, 1 account, 1 account-region.\n" in body
    assert re.search(rf"NEW {instance_id}( \([^)]+\))?: Failed", body)
    assert "| failed to run commands: exit status 1" in body
    assert "output not fetched" not in body
    assert "association" not in body.split("\n== ", 1)[1].splitlines()[0]
    stubber.assert_no_pending_responses()
    (report,) = [text for key, text in report_texts().items() if key.startswith("reports/")]
    assert report.startswith(f"Run Command {command_id} (AWS-RunPowerShellScript)")
    assert "i-9bb89e2b: Success" in report  # the success is named in the report


def test_a_maintenance_window_target_invocation_is_digested_under_its_window_execution(
    topic, ssm, settings, clock
) -> None:
    client, stubber = ssm  # no SSM call at all: the event names no command
    timed_out = sample("maintenance_window_task_target_invocation")  # as published: TIMED_OUT

    response = run(
        [sqs_record(timed_out, "m-1")],
        settings._replace(watch_maintenance_windows=True),
        topic,
        client,
        clock,
    )

    assert failed_ids(response) == []
    [note] = topic.published()
    body = note["Message"]
    assert (
        "maintenance window mw-0ed7251d3fcf6e0c2 execution b60fb56e-776c-4e5c-84ee-123456789012"
        ": 1 failed" in body
    )
    target = "target e7265f13-3cc5-4f2f-97a9-123456789012 task 6417e808-7f35-4d1a-843f-123456789012"
    assert f"NEW {target}: TimedOut" in body
    assert "owner information: Owner" in body
    assert "output not fetched: a maintenance window event names no command" in body
    stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("command_invocation_status_change", "command"),
        ("maintenance_window_task_target_invocation", "window"),
    ],
)
def test_a_kind_not_watched_is_dropped_with_a_log_line_not_failed(
    topic, ssm, settings, clock, caplog, name, kind
) -> None:
    client, _ = ssm
    response = run(
        [sqs_record(sample(name, status="Failed"), "m-1")], settings, topic, client, clock
    )

    assert failed_ids(response) == []  # deleted from the queue: nothing to retry
    assert topic.published() == []
    dropped = [line for line in log_lines(caplog.records) if "not watched" in line["message"]]
    assert [(line["message_id"], line["kind"]) for line in dropped] == [("m-1", kind)]


def test_the_command_level_event_names_no_instance_and_is_refused(
    topic, ssm, settings, clock
) -> None:
    client, _ = ssm
    record = sqs_record(sample("command_status_change"), "m-1")
    with pytest.raises(InvalidRecordError, match="unexpected detail-type"):
        parse_record(record)
    response = run([record], settings._replace(watch_run_command=True), topic, client, clock)
    assert failed_ids(response) == ["m-1"]


@pytest.mark.parametrize(
    "name", ["maintenance_window_execution", "maintenance_window_task_execution"]
)
def test_window_and_task_execution_summaries_are_refused(name) -> None:
    with pytest.raises(InvalidRecordError, match="unexpected detail-type"):
        parse_record(sqs_record(sample(name), "m-1"))


@pytest.mark.parametrize(
    ("name", "missing", "reason"),
    [
        ("command_invocation_status_change", "command-id", "no command-id"),
        ("command_invocation_status_change", "instance-id", "no instance-id"),
        ("maintenance_window_task_target_invocation", "window-execution-id", "no window-exec"),
    ],
)
def test_an_event_without_its_identity_fails_alone(name, missing, reason) -> None:
    event = sample(name)
    del event["detail"][missing]
    with pytest.raises(InvalidRecordError, match=reason):
        parse_record(sqs_record(event, "m-1"))


def test_the_run_keys_of_a_command_never_collide_with_an_association_of_the_same_id() -> None:
    """An association id and a command id are both UUIDs: the state table keys them apart."""
    event, _, _ = powershell_failure()
    command = parse_record(sqs_record(event, "m-1"))
    same_id = parse_record(
        sqs_record(
            association_event(command.instance_id, "Failed", event["detail"]["command-id"]),
            "m-2",
        )
    )
    keys = [
        Observation(e.account, e.region, e.association_id, e.instance_id, e.status, "x")
        for e in (command, same_id)
    ]
    assert keys[0].instance_key != keys[1].instance_key
    assert keys[0].run_key != keys[1].run_key


def test_a_redelivered_run_command_event_sends_no_second_email(topic, ssm, settings, clock) -> None:
    client, _ = ssm
    succeeded = sample("command_invocation_status_change")
    watching = settings._replace(watch_run_command=True)
    assert failed_ids(run([sqs_record(succeeded, "m-1")], watching, topic, client, clock)) == []
    assert len(topic.published()) == 1
    assert failed_ids(run([sqs_record(succeeded, "m-2")], watching, topic, client, clock)) == []
    assert topic.published() == []
