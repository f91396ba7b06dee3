"""The README's sample digest: the notifier's own code run on AWS-shaped events, offline.

One run of `AWS-UpdateSSMAgent` on two instances, one failed because the requested agent version
does not exist (the case the seed's blog tried). The real handler (`process_batch`, the pipeline)
runs on SQS records from `templates.sample_events`, with a stand-in SSM client that answers with the
blog's command output, a stand-in SNS client that keeps what is published, and stand-ins for the
state table (empty: the first report of this run) and the report bucket; nothing leaves the machine,
and nothing is written into handler/ (no bytecode).
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import sys
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType

HANDLER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "handler")
HANDLER_DIR = os.path.normpath(HANDLER_DIR)
ASSOCIATION = "8dfe3659-4309-493a-8755-0123456789ab"
REGION, ACCOUNT = "us-east-1", "123456789012"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:ssm-notifier-Topic"
# Names as CloudFormation would make them (the template gives none).
ENVIRONMENT = {
    "TOPIC_ARN": TOPIC_ARN,
    "STATE_TABLE": "ssm-notifier-StateTable-1A2B3C4D5E6F",
    "REPORT_BUCKET": "ssm-notifier-reportbucket-1a2b3c4d5e6f",
    "QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/ssm-notifier-Queue-1A2B3C4D5E6F",
    # The DisplayTimeZone parameter, set: times in UTC and in that zone.
    "DISPLAY_TIME_ZONE": "Europe/Paris",
}
# The demo instances' Name tags (templates/network.py: `<stack name>-<n>`).
INSTANCE_NAMES = {"i-0b22a22eec53b9321": "ssm-notifier-1", "i-0f3c5a1d2e4b6f789": "ssm-notifier-2"}
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


# What the sample is a function of: the handler's code, this module and the event builder. The
# README records their digest beside the sample, so an unchanged sample is not run again.
TEMPLATES_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INPUTS = (
    os.path.join(HANDLER_DIR, "ssm_notifier"),
    os.path.abspath(__file__),
    os.path.join(TEMPLATES_DIR, "sample_events.py"),
)
STAMP = re.compile(r"<!-- inputs=([0-9a-f]{16}) output=([0-9a-f]{16}) -->\n")


def sample_email_section(current: str | None) -> str:
    """The README's sample-email section: a stamp line, then the sample (see `cached`)."""
    return cached(current, INPUTS, sample_email)


def cached(current: str | None, inputs: tuple[str, ...], make: Callable[[], str]) -> str:
    """A generated section that runs the handler, kept as it is while its inputs are unchanged.

    `current` is the section as the README has it now. Its stamp line names the checksum of the
    `inputs` files and of the text below it; when both still match, the section is kept, since
    the same inputs give the same text (a build cache, like make's, that also notices a hand edit
    of the text). Otherwise `make()` runs and the section is made anew, stamped.
    """
    digest = inputs_digest(inputs)
    stamp = STAMP.match(current or "")
    if stamp and stamp.group(1) == digest:
        text = current[stamp.end() :]
        if _checksum(text.encode()) == stamp.group(2):
            return current
    text = make()
    return f"<!-- inputs={digest} output={_checksum(text.encode())} -->\n{text}"


def inputs_digest(inputs: tuple[str, ...] = INPUTS) -> str:
    """A checksum of input files (names relative to the repository, and bytes); a directory
    stands for its .py files."""
    files = []
    for path in inputs:
        if os.path.isdir(path):
            files += [os.path.join(path, name) for name in os.listdir(path) if name.endswith(".py")]
        else:
            files.append(path)
    root = os.path.dirname(TEMPLATES_DIR)
    chunks = []
    for path in sorted(files):
        with open(path, "rb") as file:
            content = file.read()
        name = os.path.relpath(path, root).replace(os.sep, "/").encode()
        chunks.append(b"%d:%s%d:" % (len(name), name, len(content)) + content)
    return _checksum(b"".join(chunks))


def _checksum(data: bytes) -> str:
    """CRC-32 and Adler-32 side by side: a cache key, not a signature (no one gains by forging
    one), and zlib loads in a twentieth of the time hashlib's OpenSSL does."""
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


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
            load_settings(ENVIRONMENT),
            clients={
                "ssm": _SampleSsm(),
                "ec2": _SampleEc2(),
                "sns": _SampleSns(published),
                "dynamodb": EmptyStateTable(),
                "s3": ReportBucket(),
                "sqs": None,  # nothing is deferred: the sample has all the time it needs
            },
            clock=lambda: now[0],
            sleep=lambda seconds: now.__setitem__(0, now[0] + seconds),
            wall_clock=lambda: datetime(2026, 11, 1, 2, 5, tzinfo=UTC).timestamp(),
        )
    finally:
        handler_logger.disabled = False
    if result != {"batchItemFailures": []} or len(published) != 1:
        raise RuntimeError(f"the sample run did not publish one digest: {result}, {published}")
    (message,) = published
    return f"```\nSubject: {message['Subject']}\n\n{message['Message'].rstrip()}\n```\n"


def _handler():
    """The handler's entry points."""
    notify, settings = handler_modules("notify", "settings")
    return notify.process_batch, settings.load_settings


def handler_modules(*names: str) -> list[ModuleType]:
    """Modules of handler/ssm_notifier by name, imported without writing bytecode there (the
    Lambda zip is that directory: it must hold sources only, whatever ran before)."""
    if HANDLER_DIR not in sys.path:
        sys.path.insert(0, HANDLER_DIR)
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        return [importlib.import_module(f"ssm_notifier.{name}") for name in names]
    finally:
        sys.dont_write_bytecode = writes_bytecode


def _record(instance: str, status: str, **detail: str) -> dict:
    # Imported here: generate.py's usual run keeps the sample and never builds its events.
    from templates.sample_events import association_event, sqs_record

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


class _SampleEc2:
    def describe_tags(self, Filters, **_):  # noqa: N803
        ids = next(f["Values"] for f in Filters if f["Name"] == "resource-id")
        return {
            "Tags": [
                {
                    "Key": "Name",
                    "Value": INSTANCE_NAMES[i],
                    "ResourceId": i,
                    "ResourceType": "instance",
                }
                for i in ids
                if i in INSTANCE_NAMES
            ]
        }


class _SampleSns:
    def __init__(self, published: list[dict]) -> None:
        self._published = published

    def publish(self, **message):
        self._published.append(message)
        return {"MessageId": f"sample-{len(self._published)}"}


class EmptyStateTable:
    """The state table before this run: nothing read, every claim taken, run counters added up."""

    def __init__(self) -> None:
        self._counters: dict[str, dict[str, int]] = {}

    def batch_get_item(self, **_):
        return {"Responses": {}}

    def put_item(self, **_):
        return {}

    def update_item(self, Key, ExpressionAttributeValues, ExpressionAttributeNames=None, **_):  # noqa: N803
        counters = self._counters.setdefault(Key["sk"]["S"], {})
        for placeholder, name in (ExpressionAttributeNames or {}).items():
            amount = int(ExpressionAttributeValues[":" + placeholder[1:]]["N"])
            counters[name] = counters.get(name, 0) + amount
        return {"Attributes": {name: {"N": str(count)} for name, count in counters.items()}}


class ReportBucket:
    def put_object(self, **_):
        return {}
