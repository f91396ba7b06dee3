"""AWS-shaped sample events: the one builder of association events and SQS records.

Used by the README's sample email (generate.py), the handler tests, the end-to-end run and the
benchmarks, so every one of them feeds the handler the same shape. AWS's own documented samples
are kept verbatim as fixtures in `tests/events/`.
"""

from __future__ import annotations

import json
from typing import Any

DETAIL_TYPE = "EC2 State Manager Instance Association State Change"
SOURCE = "aws.ssm"
ACCOUNT = "123456789012"
REGION = "us-east-1"
RUN_TIME = "2026-05-04T03:02:10.000Z"


def association_event(
    instance_id: str = "i-0aaa",
    status: str = "Success",
    association_id: str = "34fcb7e0-5a52-4b9b-8b53-0aa3fe6fd1a3",
    document_name: str = "AWS-UpdateSSMAgent",
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    time: str = RUN_TIME,
    event_id: str | None = None,
    omit: tuple[str, ...] = (),
    **detail: Any,
) -> dict[str, Any]:
    """An `EC2 State Manager Instance Association State Change` event as EventBridge sends it.

    The document ARN carries an empty account field, as AWS-owned documents' ARNs do (DESIGN.md).
    Keyword arguments other than the named ones override `detail` fields, with `_` for `-`
    (`error_code="InvalidAssoc"`) or spelled as AWS does (`**{"output-url": "..."}`); `omit`
    names `detail` fields to leave out, as an older agent's events lack some.
    """
    failed = status in ("Failed", "TimedOut")
    body: dict[str, Any] = {
        "association-id": association_id,
        "instance-id": instance_id,
        "document-name": document_name,
        "document-version": "$DEFAULT",
        "targets": json.dumps([{"key": "InstanceIds", "values": [instance_id]}]),
        "creation-date": time,
        "last-successful-execution-date": "" if failed else time,
        "last-execution-date": time,
        "last-updated-date": time,
        "status": status,
        "detailed-status": status,
        "error-code": "ExecutionError" if failed else "",
        "execution-summary": (
            "1 out of 1 plugin processed, 0 success, 1 failed, 0 timedout, 0 skipped."
            if failed
            else "1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0 skipped."
        ),
        "output-url": "",
        "instance-association-cwe-version": "1.0",
    }
    body.update({key.replace("_", "-"): value for key, value in detail.items()})
    for field in omit:
        body.pop(field, None)
    return {
        "version": "0",
        "id": event_id or f"evt-{account}-{region}-{instance_id}-{status}",
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [
            f"arn:aws:ec2:{region}:{account}:instance/{instance_id}",
            f"arn:aws:ssm:{region}::document/{document_name}",
        ],
        "detail": body,
    }


COMMAND_DETAIL_TYPE = "EC2 Command Invocation Status-change Notification"


def command_invocation_event(
    instance_id: str,
    status: str,
    command_id: str,
    document_name: str = "AWS-RunShellScript",
    *,
    account: str = ACCOUNT,
    region: str = REGION,
    time: str = RUN_TIME,
) -> dict[str, Any]:
    """An `EC2 Command Invocation Status-change Notification` as EventBridge sends it: the
    documented sample's fields (tests/events/runs/command_invocation_status_change.json)."""
    return {
        "version": "0",
        "id": f"evt-{account}-{region}-{command_id}-{instance_id}-{status}",
        "detail-type": COMMAND_DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": time,
        "region": region,
        "resources": [f"arn:aws:ec2:{region}:{account}:instance/{instance_id}"],
        "detail": {
            "command-id": command_id,
            "document-name": document_name,
            "instance-id": instance_id,
            "requested-date-time": time,
            "status": status,
        },
    }


def sqs_record(
    body: dict[str, Any] | str,
    message_id: str,
    *,
    region: str = REGION,
    account: str = ACCOUNT,
    receive_count: int = 1,
) -> dict[str, Any]:
    """One record of the SQS event a Lambda event source mapping sends (AWS's documented shape)."""
    return {
        "messageId": message_id,
        "receiptHandle": f"handle-{message_id}",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": str(receive_count)},
        "messageAttributes": {},
        "md5OfBody": "-",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{region}:{account}:ssm-notifier-Queue",
        "awsRegion": region,
    }
