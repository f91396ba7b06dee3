"""`tox -e local`: deploy the notifier to a local moto server and show what it would email.

    python tests/e2e/demo.py [--keep DIR]

Starts a moto server on 127.0.0.1 (taught first what it lacks: emulator_extensions), runs
generate.py, `aws cloudformation package` and `aws cloudformation deploy` (the real AWS CLI, as
README's deploy section), prints the stacks and resources the emulator created, simulates a run of
AWS-UpdateSSMAgent that fails on one instance, puts its State Manager events on the default event
bus, runs the deployed handler on what the rule routed to the queue, and prints the emails the
topic sent: one digest, the failed instance's command output, account and output URL in it, the
full report in the report bucket. Then a later run that cannot be published at first, a
replay of a dead-lettered event with README's command, and (deployed with WatchRunCommand=true)
a Run Command command that fails on one instance: its invocations digested under the command,
with the failed instance's output. Last, the daily sweep's digest, which names the misspelled
document the demo watches alongside the real one (sweep_demo). Exits non-zero if any step does
not do what it should; Ctrl-C stops it with one line, leaving no process and no work files. No
AWS account, no network; one region (us-east-1).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import quote

# The harness's modules by their plain names; the project root for templates.sample_events.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chat_routes
import moto_workarounds
import sweep_demo
from aws_cli import aws_environment
from deploy import NOTIFICATION_EMAIL, Deployment, deploy
from emulator import REGION, MotoServer, port_is_open, process_is_running
from pipeline import (
    DOCUMENT,
    FAILED_ERROR,
    FAILED_OUTPUT,
    UPDATED_OUTPUT,
    Email,
    Pipeline,
    live_event,
    readme_replay_commands,
)
from readback import inspect

from tests import chat_schema

INTERRUPTED_EXIT = 130  # what a shell reports for a command ended by SIGINT

WIDTH = 78


def heading(text: str) -> None:
    print(f"\n{'=' * WIDTH}\n{text}\n{'=' * WIDTH}")


def check(ok: bool, what: str) -> None:
    print(f"  [{'ok' if ok else 'FAILED'}] {what}")
    if not ok:
        raise SystemExit(f"demo failed: {what}")


def show_stacks(deployment: Deployment) -> None:
    heading("What was deployed (read back from the emulator)")
    skipped = set(moto_workarounds.SKIPPED_TYPES)
    for title, child in deployment.children.items():
        print(f"\nstack {child.stack_name}   (nested stack {title} of the parent)")
        if child.parameters:
            print("  parameters: " + ", ".join(f"{k}={v}" for k, v in child.parameters.items()))
        resources = deployment.resources[title]
        for logical_id, resource in sorted(resources.items()):
            print(
                f"  {logical_id:<28} {resource['ResourceType']:<34} "
                f"{_short(resource.get('PhysicalResourceId') or '(no physical id in moto)')}"
            )
        template = json.loads(json.dumps(_template_resources(child.template_path)))
        missing = sorted(
            f"{name} ({spec['Type']})"
            for name, spec in template.items()
            if name not in resources and spec["Type"] in skipped
        )
        if missing:
            print("  not created by moto (asserted on the templates): " + ", ".join(missing))
    print("\nparent outputs (as CloudFormation would show them):")
    for name, value in deployment.outputs.items():
        print(f"  {name:<20} {value}")


def _template_resources(path: str) -> dict:
    from awscli.customizations.cloudformation.yamlhelper import yaml_parse

    return yaml_parse(Path(path).read_text())["Resources"]


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]


def show_facts(facts: dict) -> None:
    heading("Key properties, through the service APIs")
    bucket = facts["bucket"]
    algorithm = bucket["encryption"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
    print(f"  output bucket {bucket['name']}: encryption {algorithm}")
    for name, document in facts["instance_role"]["inline_policies"].items():
        for statement in document["Statement"]:
            print(
                f"  instance role policy {name}: {statement['Effect']} "
                f"{', '.join(statement['Action'])} on {', '.join(statement['Resource'])}"
            )
    network = facts["network"]
    print(
        f"  VPC {network['vpc']}; subnets " + ", ".join(f"{c} ({a})" for c, a in network["subnets"])
    )
    for instance in network["instances"]:
        print(f"  instance {instance['id']}: {instance['state']} in {instance['subnet']}")
    rule = facts["rule"]
    print(f"  rule {rule['name']} ({rule['state']}): pattern {json.dumps(rule['pattern'])}")
    for target in rule["targets"]:
        print(
            f"    -> {target['Arn'].rsplit(':', 1)[1]}, retry {target['RetryPolicy']}, "
            f"dead letters to {target['DeadLetterConfig']['Arn'].rsplit(':', 1)[1]}"
        )
    redrive = facts["queue"]["RedrivePolicy"]
    print(
        f"  queue: visibility {facts['queue']['VisibilityTimeout']} s, after "
        f"{redrive['maxReceiveCount']} receives to {redrive['deadLetterTargetArn'].split(':')[-1]}"
    )
    configuration = facts["function"]["configuration"]
    variables = configuration["Environment"]["Variables"]
    print(
        f"  function {configuration['FunctionName']}: {configuration['Runtime']}, "
        f"{configuration['Handler']}, TOPIC_ARN={variables['TOPIC_ARN']}"
    )
    print(f"    code: {', '.join(facts['function']['code_files'])}")
    for mapping in facts["function"]["event_source_mappings"]:
        print(
            f"    event source mapping: batch {mapping['BatchSize']}, window "
            f"{mapping['MaximumBatchingWindowInSeconds']} s, {mapping['ScalingConfig']}, "
            f"{mapping['FunctionResponseTypes']}"
        )
    log_group = facts["log_group"]
    print(f"  log group {log_group['logGroupName']}: kept {log_group['retentionInDays']} days")
    topic = facts["topic"]
    print(
        f"  topic {topic['arn'].rsplit(':', 1)[1]}: KMS key {topic['attributes']['KmsMasterKeyId']}"
        f" (rotation {'on' if topic['key_rotation'] else 'off'})"
    )


def show_email(email: Email) -> None:
    print(f"\n  To:      {NOTIFICATION_EMAIL}")
    print(f"  Subject: {email.subject}")
    print("  " + "-" * (WIDTH - 2))
    print(textwrap.indent(email.body.rstrip(), "  | ", lambda _: True))
    print("  " + "-" * (WIDTH - 2))


def show_chat_and_routes(pipeline: Pipeline, email: Email, events: list[dict]) -> None:
    """The same digest as Slack or Teams get it, and who receives what by filter policy."""
    heading("The same digest in chat, and routed by filter policies")
    print(
        "  published again through the deployed zip's routing.py (one message, per protocol:\n"
        "  the email text for email/sqs, the chat JSON for Amazon Q Developer's https\n"
        "  subscription), with routing attributes; filtered queues subscribed to the topic"
    )
    modules = chat_routes.Modules(pipeline)
    links = chat_routes.links_for(events, modules)
    queues = {
        "no filter": chat_routes.subscribe_filtered(pipeline, "demo-route-all", None),
        "failures only": chat_routes.subscribe_filtered(
            pipeline, "demo-route-failures", chat_routes.FAILURES_ONLY
        ),
        f"account {chat_routes.OTHER_ACCOUNT}": chat_routes.subscribe_filtered(
            pipeline, "demo-route-other", {"accounts": [chat_routes.OTHER_ACCOUNT]}
        ),
    }
    here = chat_routes.publish(
        pipeline, modules, "failed", chat_routes.digest_of(events, email, modules), links
    )
    elsewhere = chat_routes.planned(
        chat_routes.digest_of(
            events, email, modules, status="Success", account=chat_routes.OTHER_ACCOUNT
        ),
        links,
        modules,
    )
    there = chat_routes.publish(pipeline, modules, "ok-other-account", elsewhere, links)
    validator = chat_schema.validator()
    for published in (here, there):
        print(f"\n  digest {published.name!r}, subject {published.subject!r}")
        print(f"chat: {published.chat}")
        errors = [error.message for error in validator.iter_errors(json.loads(published.chat))]
        check(not errors, f"its chat payload validates against the schema {errors or ''}")
    expected = {
        "no filter": ["failed", "ok-other-account"],
        "failures only": ["failed"],
        f"account {chat_routes.OTHER_ACCOUNT}": ["ok-other-account"],
    }
    for name, url in queues.items():
        got = chat_routes.received(pipeline, url, [here, there])
        print(f"  subscription ({name}) received: {', '.join(got) or 'nothing'}")
        check(got == expected[name], f"only what the {name!r} policy admits")


def run_pipeline(deployment: Deployment) -> None:
    pipeline = Pipeline(deployment)
    inbox = pipeline.subscribe_inbox("demo-inbox")
    first, second = deployment.outputs["InstanceIds"].split(",")
    association = str(uuid.uuid4())

    heading(f"A run of {DOCUMENT} on the two instances: {second} fails")
    run = pipeline.update_agent_run(association, succeeded=first, failed=second)
    print(
        "  simulated in the emulator (State Manager's execution, targets and command output;\n"
        "  DescribeAssociationExecution(s/Targets) and GetCommandInvocation answer for it)"
    )
    events = [
        *run,
        live_event(first, "Pending", association),  # not a watched status
        live_event(second, "Failed", association, "AWS-RunPatchBaseline"),  # not the document
    ]
    pipeline.put_events(events)
    for event in events:
        detail = event["detail"]
        print(
            f"  put on the default bus: {detail['document-name']} {detail['status']} "
            f"on {detail['instance-id']}"
        )
    records = pipeline.receive_batch()
    print(f"\n  the rule routed {len(records)} of {len(events)} events to the queue:")
    for record in records:
        body = json.loads(record["body"])
        detail = body["detail"]
        print(
            f"    {record['messageId']}  {detail['document-name']} {detail['status']}"
            f"  (account {body.get('account') or '-'}, region {body['region']})"
        )
    check(len(records) == 2, "only the watched document's Success and Failed reached the queue")

    invocation = pipeline.invoke(records)
    print(
        f"\n  handler (deployed code, as the Lambda runtime runs it) returned {invocation.response}"
    )
    print(f"  its log (request {invocation.run.request_id}):")
    for line in invocation.run.output.splitlines():
        print(f"    {line[: WIDTH * 2]}")
    check(invocation.response == {"batchItemFailures": []}, "the batch was handled")
    emails = inbox.emails()
    check(len(emails) == 1, "one digest for the invocation")
    heading("The email that would have been sent")
    for email in emails:
        show_email(email)
    body = emails[0].body
    check(
        emails[0].subject == "SSM associations: 1 failed (1 new), 0 recovered, 1 ok",
        "digest subject",
    )
    check(
        all(f"| {line}" in body for line in FAILED_OUTPUT.splitlines()),
        "the failed instance's command output is in the email",
    )
    check(bool(re.search(r"^== \d{12} ", body, re.MULTILINE)), "a 12-digit account id")
    check(
        f"output url {run[1]['detail']['output-url']}" in body,
        "the failed instance's output URL",
    )
    reports = pipeline.reports()
    print(f"\n  report bucket: {len(reports)} objects")
    for key in sorted(reports):
        print(f"    {key}")
    check(
        any(quote(key, safe="") in body for key in reports),
        "the email links the full report, which is in the report bucket",
    )

    heading("The same events delivered again")
    pipeline.put_events(run)
    again = pipeline.receive_batch()
    invocation = pipeline.invoke(again)
    print(f"  handler returned {invocation.response} for {len(again)} redelivered record(s)")
    check(invocation.response == {"batchItemFailures": []}, "the redelivery is handled")
    check(inbox.emails() == [], "and sends no second email (the state table has them)")

    show_chat_and_routes(pipeline, emails[0], [json.loads(r["body"]) for r in records])

    heading("When the digest cannot be published (topic deleted)")
    topic_attributes = pipeline.sns.get_topic_attributes(TopicArn=pipeline.topic_arn)["Attributes"]
    # The next run fails again on the same instance: "still failing".
    rerun = pipeline.update_agent_run(association, succeeded=first, failed=second)
    pipeline.put_events([rerun[1]])
    pipeline.sns.delete_topic(TopicArn=pipeline.topic_arn)
    records = pipeline.receive_batch()
    invocation = pipeline.invoke(records)
    print(f"  handler returned {invocation.response}")
    check(
        invocation.failed_ids == [r["messageId"] for r in records],
        "the record is reported failed, so SQS delivers it again",
    )
    print(f"  queue now: {pipeline.queue_depth()} (in flight until the visibility timeout)")
    pipeline.sns.create_topic(
        Name=pipeline.topic_arn.rsplit(":", 1)[1],
        Attributes={k: topic_attributes[k] for k in ("DisplayName", "KmsMasterKeyId")},
    )
    inbox = pipeline.subscribe_inbox("demo-inbox-2")
    pipeline.expire_visibility(records)
    again = pipeline.receive_batch()
    print(
        f"  topic back; redelivered {len(again)} record(s), receive count "
        f"{again[0]['attributes']['ApproximateReceiveCount'] if again else '-'}"
    )
    invocation = pipeline.invoke(again)
    check(invocation.response == {"batchItemFailures": []}, "published on redelivery")
    for email in inbox.emails():
        show_email(email)

    heading("Replaying an event EventBridge dead-lettered (README's command)")
    pipeline.dead_letter_as_eventbridge(run[1])
    print(f"  dead-letter queue: {pipeline.queue_depth(pipeline.dead_letter_queue_url)}")
    arns = {"DLQ_ARN": pipeline.dead_letter_queue_arn, "QUEUE_ARN": pipeline.queue_arn}
    for command in readme_replay_commands(arns):
        call = deployment.cli(*command)
        print(f"  $ aws {' '.join(command)}\n{textwrap.indent(call.stdout.rstrip(), '    ')}")
    replayed = pipeline.receive_batch()
    check(len(replayed) == 1, "the dead-lettered event is on the queue again")
    check(
        pipeline.invoke(replayed).response == {"batchItemFailures": []},
        "and is handled (its run was reported already: no second email)",
    )

    run_command_digest(pipeline, first, second)


# The demo deploys with this on (WatchRunCommand), so a Run Command run is reported too.
DEMO_OVERRIDES = {
    "WatchRunCommand": "true",
    # A misspelled watched document: the sweep's digest must name it.
    "WatchedDocuments": sweep_demo.WATCHED_DOCUMENTS,
}
RUN_COMMAND_PLUGIN = "aws:updateSsmAgent"  # AWS-UpdateSSMAgent's one step


def run_command_digest(pipeline: Pipeline, first: str, second: str) -> None:
    """The agent update run by hand with Run Command (`aws ssm send-command --document-name
    AWS-UpdateSSMAgent`): one digest for the command's invocations, the failure's output fetched
    through the emulator by the deployed handler."""
    heading(f"Run Command: {DOCUMENT} sent to the two instances, {second} fails (WatchRunCommand)")
    invocations = pipeline.run_command(
        DOCUMENT,
        RUN_COMMAND_PLUGIN,
        [
            {"InstanceId": first, "Status": "Success", "StandardOutputContent": UPDATED_OUTPUT},
            {
                "InstanceId": second,
                "Status": "Failed",
                "StandardOutputContent": FAILED_OUTPUT,
                "StandardErrorContent": FAILED_ERROR,
            },
        ],
    )
    command_id = invocations[0]["detail"]["command-id"]
    in_progress = {**invocations[1], "detail": {**invocations[1]["detail"], "status": "InProgress"}}
    other_document = pipeline.run_command(
        "AWS-RunShellScript",
        "aws:runShellScript",
        [{"InstanceId": second, "Status": "Failed", "StandardErrorContent": "exit status 1"}],
    )
    events = [in_progress, *invocations, *other_document]
    pipeline.put_events(events)
    for event in events:
        detail = event["detail"]
        print(
            f"  put on the default bus: {event['detail-type']}: {detail['document-name']} "
            f"{detail['status']} on {detail['instance-id']} (command {detail['command-id']})"
        )
    records = pipeline.receive_batch()
    print(f"\n  the rule routed {len(records)} of {len(events)} events to the queue")
    check(
        sorted(json.loads(r["body"])["detail"]["status"] for r in records) == ["Failed", "Success"],
        "only the watched document's final invocations reached the queue",
    )
    inbox = pipeline.subscribe_inbox("demo-inbox-run-command")
    invocation = pipeline.invoke(records)
    check(invocation.response == {"batchItemFailures": []}, "the batch was handled")
    emails = inbox.emails()
    check(len(emails) == 1, "one digest for the command's invocations")
    heading("The Run Command digest that would have been sent")
    for email in emails:
        show_email(email)
    body = emails[0].body
    check(
        f"Run Command {command_id} ({DOCUMENT}): 1 failed, 1 other in this digest" in body,
        "grouped under the command (its id and document)",
    )
    check(
        re.search(rf"NEW {re.escape(second)}( \([^)]+\))?: Failed", body) is not None,
        "the failed instance is named",
    )
    check("1 Run Command command, 1 account" in body, "counted as a command, not an association")
    check(
        all(f"| {line}" in body for line in FAILED_OUTPUT.splitlines()),
        "the failed instance's command output is in the email",
    )
    check("output not fetched" not in body, "its output was fetched")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="keep the work files (templates, logs) here")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, _interrupted)
    try:
        return run(args.keep)
    except KeyboardInterrupt:
        # Everything is cleaned up by now: the `with` blocks ran on the way out.
        print("\ninterrupted: moto server stopped, work files removed", file=sys.stderr)
        return INTERRUPTED_EXIT


def _interrupted(signum: int, frame: object) -> None:
    """The first Ctrl-C stops the demo; further ones are ignored while it cleans up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def run(keep: Path | None) -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ssm-notifier-local-") as scratch:
        workdir = keep or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        log_path = workdir / "moto.log"
        moto = MotoServer(log_path=log_path)
        try:
            with moto, aws_environment(moto.endpoint):
                heading(f"moto server on {moto.endpoint} (pid {moto.last_pid}), region {REGION}")
                deployment = deploy(
                    moto,
                    workdir,
                    say=lambda text: print(textwrap.indent(text, "  ")),
                    overrides=DEMO_OVERRIDES,
                )
                facts = inspect(deployment)
                show_stacks(deployment)
                show_facts(facts)
                run_pipeline(deployment)
                sweep_demo.run_sweep(deployment, heading, check)
        except (Exception, SystemExit):
            if log_path.exists():
                tail = log_path.read_text(errors="replace").splitlines()[-30:]
                print("\nlast lines of the moto server's log:\n" + "\n".join(tail), file=sys.stderr)
            raise
        stopped = moto.last_pid is not None and not process_is_running(moto.last_pid)
        print(
            f"\nmoto server stopped: {stopped} (port {moto.port} open: {port_is_open(moto.port)})"
        )
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
