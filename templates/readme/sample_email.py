"""The README's sample digest: the notifier's own code run on AWS-shaped events, offline.

One run of `AWS-UpdateSSMAgent` on two instances, one failed because the requested agent version
does not exist (the case the seed's blog tried). The real handler (`process_batch`) runs on SQS
records from `templates.sample_events`, with a stand-in SSM client that answers with the blog's
command output and a stand-in SNS client that keeps what is published; nothing leaves the machine,
and nothing is written into handler/ (no bytecode).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime

from templates.sample_events import association_event, sqs_record

HANDLER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "handler")
HANDLER_DIR = os.path.normpath(HANDLER_DIR)
ASSOCIATION = "8dfe3659-4309-493a-8755-0123456789ab"
REGION, ACCOUNT = "us-east-1", "123456789012"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:ssm-notifier-Topic"
FAILED_SUMMARY = (
    "1 out of 1 plugin processed, 0 success, 1 failed, 0 timedout, 0 skipped. The operation "
    "aws:updateSsmAgent failed because Failed to update amazon-ssm-agent to 100000."
)
# What the seed's blog saw in Run Command history when the target version did not exist.
FAILED_OUTPUT = """Successfully downloaded manifest
Successfully downloaded updater version 3.1.459.0
Updating amazon-ssm-agent from 3.1.459.0 to 100000
amazon-ssm-agent target version 100000 is unsupported on current platform
Failed to update amazon-ssm-agent to 100000
No rollback needed
"""


def sample_email() -> str:
    """The digest the notifier publishes for the sample run, as a fenced Markdown block."""
    process_batch, load_settings = _handler()
    records = [
        _record("i-0b22a22eec53b9321", "Success", error_code="", execution_summary=""),
        _record(
            "i-0f3c5a1d2e4b6f789",
            "Failed",
            error_code="ExecutionError",
            execution_summary=FAILED_SUMMARY,
        ),
    ]
    published: list[dict] = []
    now = [0.0]  # a clock the pacing waits move forward, so the sample takes no real time
    handler_logger = logging.getLogger("ssm_notifier")
    handler_logger.disabled = True  # its log lines are not part of generate.py's output
    try:
        result = process_batch(
            records,
            load_settings({"TOPIC_ARN": TOPIC_ARN}),
            ssm=_SampleSsm(),
            sns=_SampleSns(published),
            clock=lambda: now[0],
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
        )
    finally:
        handler_logger.disabled = False
    if result != {"batchItemFailures": []} or len(published) != 1:
        raise RuntimeError(f"the sample run did not publish one digest: {result}, {published}")
    (message,) = published
    return f"```\nSubject: {message['Subject']}\n\n{message['Message'].rstrip()}\n```\n"


def _handler():
    """The handler's entry points, imported from handler/ without writing bytecode there (the
    Lambda zip is that directory: it must hold sources only, whatever ran before)."""
    if HANDLER_DIR not in sys.path:
        sys.path.insert(0, HANDLER_DIR)
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        from ssm_notifier.notify import process_batch
        from ssm_notifier.settings import load_settings
    finally:
        sys.dont_write_bytecode = writes_bytecode
    return process_batch, load_settings


def _record(instance: str, status: str, **detail: str) -> dict:
    event = association_event(
        instance,
        status,
        ASSOCIATION,
        account=ACCOUNT,
        region=REGION,
        time="2026-11-01T02:04:31Z",
        event_id=f"6a7e8feb-b491-4cf7-a9f1-{instance[-12:]}",
        omit=("last-updated-date",),
        document_version="1",
        targets='[{"key":"tag:ssm-notifier:fleet","values":["ssm-notifier"]}]',
        creation_date="2026-10-18T02:00:05.118Z",
        last_successful_execution_date="2026-10-18T02:01:12.602Z",
        last_execution_date="2026-11-01T02:04:29.004Z",
        output_url="https://s3.console.aws.amazon.com/s3/object/ssm-notifier-output"
        f"?prefix=ssm-agent-update/{instance}/",
        **detail,
    )
    return sqs_record(
        event, f"059f36b4-87a3-44ab-83d2-{instance[-12:]}", region=REGION, account=ACCOUNT
    )


class _SampleSsm:
    def describe_association_executions(self, **_):
        return {
            "AssociationExecutions": [
                {
                    "ExecutionId": "7abb6378-a4a5-4f10-8312-0123456789ab",
                    "CreatedTime": datetime(2026, 11, 1, 2, 4, 0, tzinfo=UTC),
                }
            ]
        }

    def describe_association_execution_targets(self, **_):
        return {
            "AssociationExecutionTargets": [
                {
                    "OutputSource": {
                        "OutputSourceId": "97fff367-fc5a-4299-aed8-0123456789ab",
                        "OutputSourceType": "RunCommand",
                    }
                }
            ]
        }

    def list_command_invocations(self, **_):
        return {"CommandInvocations": [{"CommandPlugins": [{"Name": "aws:updateSsmAgent"}]}]}

    def get_command_invocation(self, **_):
        return {"StandardOutputContent": FAILED_OUTPUT, "StandardErrorContent": ""}


class _SampleSns:
    def __init__(self, published: list[dict]) -> None:
        self._published = published

    def publish(self, **message):
        self._published.append(message)
        return {"MessageId": f"sample-{len(self._published)}"}
