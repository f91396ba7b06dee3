"""Issue 17's done-criterion at handler level: any document's failed step shows its last lines.

A failed AWS-RunPatchBaseline run (three steps, a log past the API's 24,000 characters) and a
failed Windows AWS-RunPowerShellScript run go through `notify.process_batch` against SSM and S3
responses shaped like AWS's documented ones (tests/events/ssm/). The digest must hold the failed
step's last lines: the stubs expect ListCommandInvocations first and GetCommandInvocation with
the failed step's PluginName, so a lookup without the step name fails them.
"""

from __future__ import annotations

from notifier_testkit import (
    ASSOCIATION_ID,
    failed_ids,
    store_clients,
    stub_executions,
)
from ssm_fixtures import (
    API_STDOUT_CAP,
    PATCH_LOG_END,
    bucket_and_key,
    load,
    object_tail,
    patch_log,
    stub_ssm,
    stubbed,
)
from ssm_notifier import notify
from ssm_notifier.command_output import TAIL_BYTES

from templates.sample_events import association_event, sqs_record


def stub_run(stubber, instance_id: str, listing: dict, invocation: dict, step: str) -> None:
    """The whole lookup chain of one failed instance, each call with the parameters it needs."""
    command_id = invocation["CommandId"]
    stubber.add_response(
        "describe_association_execution_targets",
        {
            "AssociationExecutionTargets": [
                {
                    "AssociationId": ASSOCIATION_ID,
                    "ExecutionId": "exec-1",
                    "ResourceId": instance_id,
                    "ResourceType": "ManagedInstance",
                    "Status": "Failed",
                    "OutputSource": {
                        "OutputSourceId": command_id,
                        "OutputSourceType": "RunCommand",
                    },
                }
            ]
        },
        {
            "AssociationId": ASSOCIATION_ID,
            "ExecutionId": "exec-1",
            "Filters": [{"Key": "ResourceId", "Value": instance_id}],
        },
    )
    stub_ssm(stubber, listing, invocation, instance_id, step)


class OutputReadsStubbed:
    """One S3 client for the pipeline: the output bucket's reads stubbed, report writes to moto."""

    def __init__(self, stubbed_s3: object, report_s3: object) -> None:
        self.get_object = stubbed_s3.get_object
        self.put_object = report_s3.put_object


def run(records, settings, topic, ssm_client, clock, s3=None):
    stores = store_clients()
    if s3 is not None:
        stores["s3"] = OutputReadsStubbed(s3, stores["s3"])
    return notify.process_batch(
        records,
        settings,
        clients={"ssm": ssm_client, "sns": topic.sns, **stores},
        clock=clock,
        sleep=clock.sleep,
    )


def output_lines(body: str, instance_id: str) -> list[str]:
    """The `    | ` lines of one instance's entry in a digest."""
    entry = body.split(f"{instance_id}: ", 1)[1].split("\n\n", 1)[0]
    return [line[6:] for line in entry.splitlines() if line.startswith("    | ")]


def test_a_failed_patch_baseline_run_shows_the_failed_steps_last_lines(
    topic, ssm, settings, clock
) -> None:
    client, stubber = ssm
    listing = load("list_command_invocations_patch_baseline.json")
    instance_id = listing["CommandInvocations"][0]["InstanceId"]
    log = patch_log()
    invocation = load("get_command_invocation_patch_baseline.json")
    invocation["StandardOutputContent"] = log[:API_STDOUT_CAP]
    stub_executions(stubber)
    stub_run(stubber, instance_id, listing, invocation, "PatchLinux")
    bucket, key = bucket_and_key(invocation["StandardOutputUrl"])
    event = association_event(instance_id, "Failed", document_name="AWS-RunPatchBaseline")

    with stubbed("s3") as (s3_client, s3_stub):
        s3_stub.add_response(
            "get_object",
            object_tail(log.encode(), TAIL_BYTES),
            {"Bucket": bucket, "Key": key, "Range": f"bytes=-{TAIL_BYTES}"},
        )
        response = run([sqs_record(event, "m-1")], settings, topic, client, clock, s3_client)
        s3_stub.assert_no_pending_responses()

    assert failed_ids(response) == []
    [note] = topic.published()
    assert note["Subject"].startswith("SSM associations: 1 failed (1 new)")
    assert "output not fetched" not in note["Message"]
    shown = output_lines(note["Message"], instance_id)
    # Standard output's last lines are the log's own end, then standard error.
    assert shown[-len(PATCH_LOG_END) - 1 : -1] == PATCH_LOG_END
    assert shown[-1] == "failed to run commands: exit status 1"
    assert log[:API_STDOUT_CAP].rstrip().splitlines()[-1] not in shown
    stubber.assert_no_pending_responses()


def test_a_failed_windows_powershell_run_shows_its_last_lines(topic, ssm, settings, clock) -> None:
    client, stubber = ssm
    listing = load("list_command_invocations_powershell.json")
    instance_id = listing["CommandInvocations"][0]["InstanceId"]
    invocation = load("get_command_invocation_powershell.json")
    stub_executions(stubber)
    stub_run(stubber, instance_id, listing, invocation, "aws:runPowerShellScript")
    event = association_event(instance_id, "Failed", document_name="AWS-RunPowerShellScript")

    response = run([sqs_record(event, "m-1")], settings, topic, client, clock)

    assert failed_ids(response) == []
    [note] = topic.published()
    body = note["Message"]
    assert "output not fetched" not in body
    assert "\r" not in body
    shown = output_lines(body, instance_id)
    assert shown[:3] == [
        "Stopping service W3SVC...",
        "Copying site files to D:\\inetpub\\wwwroot",
        "Starting service W3SVC...",
    ]
    assert shown[-1] == "failed to run commands: exit status 1"
    assert any("Start-Service : Service 'World Wide Web" in line for line in shown)
    stubber.assert_no_pending_responses()
